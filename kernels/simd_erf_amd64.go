//go:build amd64 && !noasm

package kernels

import "unsafe"

// Declarations of simd_erf_amd64.s: dst[i] = OP(x[i]) for i < n, n a
// multiple of four, with AVX2 and FMA; the AVX512 ones take n a multiple of
// eight and give bitwise the same results.

//go:noescape
func erfAVX2F32(dst, x *float32, n int)

//go:noescape
func geluAVX2F32(dst, x *float32, n int)

//go:noescape
func geluTanhAVX2F32(dst, x *float32, n int)

//go:noescape
func erfAVX512F32(dst, x *float32, n int)

//go:noescape
func geluAVX512F32(dst, x *float32, n int)

//go:noescape
func geluTanhAVX512F32(dst, x *float32, n int)

// erfGeluCall runs op's routine on n elements (a multiple of four): the
// AVX-512 one on the first n &^ 7 where the processor has AVX-512F, the
// AVX2 one on the rest.
func erfGeluCall(op erfGeluOp, dst, x *float32, n int) {
	if m := n &^ 7; m > 0 && X86.HasAVX512F {
		switch op {
		case opErf:
			erfAVX512F32(dst, x, m)
		case opGelu:
			geluAVX512F32(dst, x, m)
		default:
			geluTanhAVX512F32(dst, x, m)
		}
		if m == n {
			return
		}
		dst, x, n = (*float32)(unsafe.Add(unsafe.Pointer(dst), 4*m)), (*float32)(unsafe.Add(unsafe.Pointer(x), 4*m)), n-m
	}
	switch op {
	case opErf:
		erfAVX2F32(dst, x, n)
	case opGelu:
		geluAVX2F32(dst, x, n)
	default:
		geluTanhAVX2F32(dst, x, n)
	}
}
