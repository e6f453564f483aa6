//go:build amd64 && !noasm

package kernels

import "unsafe"

// The plain kernels' cheap rows (negRow, reluRow, addRow...) run the fused
// interpreter's AVX2 loops (fused_amd64.s), which are bitwise equal to the
// Go loops; simd_max_amd64.s adds the running maximum of the reductions.

//go:noescape
func maxAccV32(dst, x *float32, n int)

//go:noescape
func maxAccV64(dst, x *float64, n int)

// ptrAt is &p[i] for p the first element of a row.
func ptrAt[T Float](p *T, i int) *T {
	return (*T)(unsafe.Add(unsafe.Pointer(p), uintptr(i)*unsafe.Sizeof(*p)))
}

func simdCheap32(op simdOp, dst, x *float32, n int) bool {
	switch op {
	case simdNeg:
		negV32(dst, x, n)
	case simdRelu:
		reluV32(dst, x, n)
	case simdSquare:
		squareV32(dst, x, n)
	case simdSqrt:
		sqrtV32(dst, x, n)
	case simdAbs:
		absV32(dst, x, n)
	case simdAddAcc:
		addVV32(dst, dst, x, n)
	case simdMaxAcc:
		maxAccV32(dst, x, n&^7)
		for i := n &^ 7; i < n; i++ {
			p, q := ptrAt(dst, i), ptrAt(x, i)
			*p = max(*p, *q)
		}
	default:
		return false
	}
	return true
}

func simdCheap64(op simdOp, dst, x *float64, n int) bool {
	switch op {
	case simdNeg:
		negV64(dst, x, n)
	case simdRelu:
		reluV64(dst, x, n)
	case simdSquare:
		squareV64(dst, x, n)
	case simdSqrt:
		sqrtV64(dst, x, n)
	case simdAbs:
		absV64(dst, x, n)
	case simdAddAcc:
		addVV64(dst, dst, x, n)
	case simdMaxAcc:
		maxAccV64(dst, x, n&^3)
		for i := n &^ 3; i < n; i++ {
			p, q := ptrAt(dst, i), ptrAt(x, i)
			*p = max(*p, *q)
		}
	default:
		return false
	}
	return true
}

// simdBinary computes dst = x op y (op simdAdd, simdSub, simdMul or
// simdDiv; x or y may be one repeated element) with fused_amd64.s's loops
// and reports whether it did.
func simdBinary[T Float](op simdOp, dst, x, y []T) bool {
	if !X86.HasAVX2 || simdOff || len(dst) == 0 {
		return false
	}
	switch d := any(dst).(type) {
	case []float32:
		return simdBin32(op, d, any(x).([]float32), any(y).([]float32))
	case []float64:
		return simdBin64(op, d, any(x).([]float64), any(y).([]float64))
	}
	return false
}

func simdBin32(op simdOp, dst, x, y []float32) bool {
	n := len(dst)
	vv, vs, sv := len(x) == n && len(y) == n, len(x) == n, len(y) == n
	if !vv && !vs && !sv {
		return false
	}
	var fvv func(dst, x, y *float32, n int)
	var fvs, fsv func(dst, x *float32, n int, c float32)
	switch op {
	case simdAdd:
		fvv, fvs, fsv = addVV32, addVS32, addSV32
	case simdSub:
		fvv, fvs, fsv = subVV32, subVS32, subSV32
	case simdMul:
		fvv, fvs, fsv = mulVV32, mulVS32, mulSV32
	case simdDiv:
		fvv, fvs, fsv = divVV32, divVS32, divSV32
	default:
		return false
	}
	switch {
	case vv:
		fvv(&dst[0], &x[0], &y[0], n)
	case vs:
		fvs(&dst[0], &x[0], n, y[0])
	default:
		fsv(&dst[0], &y[0], n, x[0])
	}
	return true
}

func simdBin64(op simdOp, dst, x, y []float64) bool {
	n := len(dst)
	vv, vs, sv := len(x) == n && len(y) == n, len(x) == n, len(y) == n
	if !vv && !vs && !sv {
		return false
	}
	var fvv func(dst, x, y *float64, n int)
	var fvs, fsv func(dst, x *float64, n int, c float64)
	switch op {
	case simdAdd:
		fvv, fvs, fsv = addVV64, addVS64, addSV64
	case simdSub:
		fvv, fvs, fsv = subVV64, subVS64, subSV64
	case simdMul:
		fvv, fvs, fsv = mulVV64, mulVS64, mulSV64
	case simdDiv:
		fvv, fvs, fsv = divVV64, divVS64, divSV64
	default:
		return false
	}
	switch {
	case vv:
		fvv(&dst[0], &x[0], &y[0], n)
	case vs:
		fvs(&dst[0], &x[0], n, y[0])
	default:
		fsv(&dst[0], &y[0], n, x[0])
	}
	return true
}
