//go:build !amd64 || noasm

package kernels

// convDirectAsm reports whether the direct convolution's kernel can run:
// not on this build, where convolutions take im2col and the gemm.
func convDirectAsm() bool { return false }

// convDirectWideOff: as on amd64 (no effect here).
var convDirectWideOff bool

func convDirectWideOK() bool { return false }

func convDirectTile(mr, w, k int, a, x []float32, offs []int, c []float32, ldc int, bias *float32, relu bool) {
	panic("kernels: no direct convolution kernel on this build")
}

func convTailTile(vecs, k int, a []float32, lda int, x []float32, offs []int, c []float32, bias *float32, relu bool) {
	panic("kernels: no direct convolution kernel on this build")
}
