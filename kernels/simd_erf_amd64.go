//go:build amd64 && !noasm

package kernels

// Declarations of simd_erf_amd64.s: dst[i] = OP(x[i]) for i < n, n a
// multiple of four, with AVX2 and FMA.

//go:noescape
func erfAVX2F32(dst, x *float32, n int)

//go:noescape
func geluAVX2F32(dst, x *float32, n int)

//go:noescape
func geluTanhAVX2F32(dst, x *float32, n int)

// erfGeluCall runs op's routine on n elements (a multiple of four).
func erfGeluCall(op erfGeluOp, dst, x *float32, n int) {
	switch op {
	case opErf:
		erfAVX2F32(dst, x, n)
	case opGelu:
		geluAVX2F32(dst, x, n)
	default:
		geluTanhAVX2F32(dst, x, n)
	}
}
