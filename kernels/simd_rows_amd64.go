//go:build amd64 && !noasm

package kernels

import "unsafe"

// The plain kernels' cheap unary rows (negRow, reluRow...) and the running
// sum of the reductions run the fused interpreter's AVX2 loops
// (fused_amd64.s), which are bitwise equal to the Go loops; simd_max_amd64.s
// adds the running maximum. The binary rows' loops are in binary_amd64.go.

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
