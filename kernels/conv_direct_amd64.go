//go:build amd64 && !noasm

package kernels

// sconvKern6x16 (conv_direct_amd64.s, AVX2 and FMA) computes one 6×16 tile
// of a direct convolution: for rows r < 6 and columns j < 16,
//
//	c[r·ldc+j] = Σ_{i<k} a[6i+r] · x[offs[i]+j]
//
// summed in the order of i with fused multiply-adds from zero. a is a
// panel of six output channels' weights, interleaved by tap; offs holds
// each tap's element offset into x.
//
//go:noescape
func sconvKern6x16(k int, a, x *float32, offs *int, c *float32, ldc int)

// convDirectAsm reports whether the direct convolution's kernel can run.
func convDirectAsm() bool { return X86.HasAVX2 && X86.HasFMA }

func convDirectTile(k int, a, x []float32, offs []int, c []float32, ldc int) {
	sconvKern6x16(k, &a[0], &x[0], &offs[0], &c[0], ldc)
}
