//go:build amd64 && !noasm

package kernels

import "unsafe"

// Declarations of simd_erf_amd64.s: dst[i] = gelu(x[i]) (tanh form), or its derivative, for
// i < n, in float64 lanes, n a multiple of four with AVX2 and FMA, of eight
// with AVX-512F, bitwise the same results.

//go:noescape
func geluTanhAVX2F32(dst, x *float32, n int)

//go:noescape
func geluTanhAVX512F32(dst, x *float32, n int)

//go:noescape
func geluTanhGradAVX2F32(dst, x *float32, n int)

//go:noescape
func geluTanhGradAVX512F32(dst, x *float32, n int)

// Declarations of simd_erf32_amd64.s: erf, the exact GELU and its derivative in float32
// lanes, n a multiple of eight (AVX2 and FMA) or of sixteen (AVX-512F),
// bitwise the same results.

//go:noescape
func erfAVX2F32L(dst, x *float32, n int)

//go:noescape
func geluAVX2F32L(dst, x *float32, n int)

//go:noescape
func geluGradAVX2F32L(dst, x *float32, n int)

//go:noescape
func erfAVX512F32L(dst, x *float32, n int)

//go:noescape
func geluAVX512F32L(dst, x *float32, n int)

//go:noescape
func geluGradAVX512F32L(dst, x *float32, n int)

// erfGeluCall runs op's routine on n elements (a multiple of eight): the
// AVX-512 one on as many as it takes where the processor has AVX-512F, the
// AVX2 one on the rest.
func erfGeluCall(op erfGeluOp, dst, x *float32, n int) {
	if op != opGeluTanh && op != opGeluTanhGrad {
		erfGelu32Call(op, dst, x, n)
		return
	}
	// Direct calls, not function values: those would let the pointers
	// escape (//go:noescape holds for direct calls only).
	grad := op == opGeluTanhGrad
	if m := n &^ 7; m > 0 && X86.HasAVX512F {
		if grad {
			geluTanhGradAVX512F32(dst, x, m)
		} else {
			geluTanhAVX512F32(dst, x, m)
		}
		if m == n {
			return
		}
		dst, x, n = (*float32)(unsafe.Add(unsafe.Pointer(dst), 4*m)), (*float32)(unsafe.Add(unsafe.Pointer(x), 4*m)), n-m
	}
	if grad {
		geluTanhGradAVX2F32(dst, x, n)
	} else {
		geluTanhAVX2F32(dst, x, n)
	}
}

// erfGelu32Call runs the float32-lane erf, GELU or GELU derivative on n
// elements (a multiple of eight).
func erfGelu32Call(op erfGeluOp, dst, x *float32, n int) {
	if m := n &^ 15; m > 0 && X86.HasAVX512F {
		switch op {
		case opErf:
			erfAVX512F32L(dst, x, m)
		case opGeluGrad:
			geluGradAVX512F32L(dst, x, m)
		default:
			geluAVX512F32L(dst, x, m)
		}
		if m == n {
			return
		}
		dst, x, n = (*float32)(unsafe.Add(unsafe.Pointer(dst), 4*m)), (*float32)(unsafe.Add(unsafe.Pointer(x), 4*m)), n-m
	}
	switch op {
	case opErf:
		erfAVX2F32L(dst, x, n)
	case opGeluGrad:
		geluGradAVX2F32L(dst, x, n)
	default:
		geluAVX2F32L(dst, x, n)
	}
}
