//go:build amd64 && !noasm

package kernels

// sconvKern6x16 (conv_direct_amd64.s, AVX2 and FMA) computes one 6×16 tile
// of a direct convolution: for rows r < 6 and columns j < 16,
//
//	c[r·ldc+j] = Σ_{i<k} a[6i+r] · x[offs[i]+j]
//
// summed in the order of i with fused multiply-adds from zero. a is a
// panel of six output channels' weights, interleaved by tap; offs holds
// each tap's element offset into x. Then, when bias is not nil, row r gets
// bias[r] added, and when relu is not 0, relu (NaN and -0 kept), as the
// unfused add and relu ops compute them.
//
//go:noescape
func sconvKern6x16(k int, a, x *float32, offs *int, c *float32, ldc int, bias *float32, relu int)

// convDirectAsm reports whether the direct convolution's kernel can run.
func convDirectAsm() bool { return X86.HasAVX2 && X86.HasFMA }

// sconvKern6x32 (conv_direct_amd64.s, AVX-512F) is sconvKern6x16 for 32
// columns: the same sum for each element, so bitwise the same results.
//
//go:noescape
func sconvKern6x32(k int, a, x *float32, offs *int, c *float32, ldc int, bias *float32, relu int)

// sconvKern12x32 and sconvKern12x16 (AVX-512F) compute tiles of 12
// output channels (a a panel of 12 channels' weights) by 32 and 16
// columns: the same sum for each element as sconvKern6x16.
//
//go:noescape
func sconvKern12x32(k int, a, x *float32, offs *int, c *float32, ldc int, bias *float32, relu int)

//go:noescape
func sconvKern12x16(k int, a, x *float32, offs *int, c *float32, ldc int, bias *float32, relu int)

// sconvKern8x32, sconvKern8x16, sconvKern4x32 and sconvKern4x16 (AVX-512F)
// are the tiles of a last panel of 8 or 4 output channels (convPanels):
// the same sum for each element as sconvKern6x16.
//
//go:noescape
func sconvKern8x32(k int, a, x *float32, offs *int, c *float32, ldc int, bias *float32, relu int)

//go:noescape
func sconvKern8x16(k int, a, x *float32, offs *int, c *float32, ldc int, bias *float32, relu int)

//go:noescape
func sconvKern4x32(k int, a, x *float32, offs *int, c *float32, ldc int, bias *float32, relu int)

//go:noescape
func sconvKern4x16(k int, a, x *float32, offs *int, c *float32, ldc int, bias *float32, relu int)

// convDirectWideOff turns the AVX-512 kernels off (tests compare them with
// the AVX2 one).
var convDirectWideOff bool

// convDirectWideOK reports whether the AVX-512 kernels run: tiles of 12
// channels by 32 positions (a processor with AVX-512F).
func convDirectWideOK() bool { return X86.HasAVX512F && !convDirectWideOff }

// convDirectTile computes one tile of mr channels (12, 8, 6 or 4) by w positions
// (16 or 32), then adds bias (nil: none; else mr values) and applies relu.
func convDirectTile(mr, w, k int, a, x []float32, offs []int, c []float32, ldc int, bias *float32, relu bool) {
	r := 0
	if relu {
		r = 1
	}
	wide := w == convDirectWide
	switch {
	case mr == convDirectWideMR && wide:
		sconvKern12x32(k, &a[0], &x[0], &offs[0], &c[0], ldc, bias, r)
	case mr == convDirectWideMR:
		sconvKern12x16(k, &a[0], &x[0], &offs[0], &c[0], ldc, bias, r)
	case mr == 8 && wide:
		sconvKern8x32(k, &a[0], &x[0], &offs[0], &c[0], ldc, bias, r)
	case mr == 8:
		sconvKern8x16(k, &a[0], &x[0], &offs[0], &c[0], ldc, bias, r)
	case mr == 4 && wide:
		sconvKern4x32(k, &a[0], &x[0], &offs[0], &c[0], ldc, bias, r)
	case mr == 4:
		sconvKern4x16(k, &a[0], &x[0], &offs[0], &c[0], ldc, bias, r)
	case w == convDirectWide:
		sconvKern6x32(k, &a[0], &x[0], &offs[0], &c[0], ldc, bias, r)
	default:
		sconvKern6x16(k, &a[0], &x[0], &offs[0], &c[0], ldc, bias, r)
	}
}

// sconvTail4x16, sconvTail4x32, sconvTail4x48 and sconvTail4x64
// (AVX-512F) compute the last positions of a plane, 4 positions by 16, 32,
// 48 or 64 output channels with the channels in the lanes: for positions
// p < 4 and channels j,
//
//	c[64·p+j] = Σ_{i<k} a[lda·i+j] · x[offs[i]+p]
//
// in the order of i with fused multiply-adds from zero, then bias[j] and
// relu as sconvKern6x16: the same chain for each element as the channel
// panels' kernels, so bitwise their results.
//
//go:noescape
func sconvTail4x16(k int, a *float32, lda int, x *float32, offs *int, c *float32, bias *float32, relu int)

//go:noescape
func sconvTail4x32(k int, a *float32, lda int, x *float32, offs *int, c *float32, bias *float32, relu int)

//go:noescape
func sconvTail4x48(k int, a *float32, lda int, x *float32, offs *int, c *float32, bias *float32, relu int)

//go:noescape
func sconvTail4x64(k int, a *float32, lda int, x *float32, offs *int, c *float32, bias *float32, relu int)

// convTailTile computes 4 positions by 16·vecs channels (vecs 1 to 4) with
// the channels in the lanes (sconvTail4x64 and its narrower forms) into c
// (rows of 64), then adds bias (nil: none; else 16·vecs values) and
// applies relu.
func convTailTile(vecs, k int, a []float32, lda int, x []float32, offs []int, c []float32, bias *float32, relu bool) {
	r := 0
	if relu {
		r = 1
	}
	switch vecs {
	case 4:
		sconvTail4x64(k, &a[0], lda, &x[0], &offs[0], &c[0], bias, r)
	case 3:
		sconvTail4x48(k, &a[0], lda, &x[0], &offs[0], &c[0], bias, r)
	case 2:
		sconvTail4x32(k, &a[0], lda, &x[0], &offs[0], &c[0], bias, r)
	default:
		sconvTail4x16(k, &a[0], lda, &x[0], &offs[0], &c[0], bias, r)
	}
}
