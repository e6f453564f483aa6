//go:build amd64 && !noasm

package kernels

// Declarations of simd_amd64.s: dst[i] = OP(x[i]) for i < n, n a multiple
// of four, with AVX2 and FMA.

//go:noescape
func expAVX2F64(dst, x *float64, n int)

//go:noescape
func expAVX512F64(dst, x *float64, n int)

// expAVX2F32N is exp in float32 arithmetic, eight lanes at a time
// (simd_exp32_amd64.s): n a multiple of eight.
//
//go:noescape
func expAVX2F32N(dst, x *float32, n int)

//go:noescape
func expAVX512F32N(dst, x *float32, n int)

// sigmoidAVX2F32N is sigmoid in float32 arithmetic on expAVX2F32N's exp.
//
//go:noescape
func sigmoidAVX2F32N(dst, x *float32, n int)

//go:noescape
func sigmoidAVX512F32N(dst, x *float32, n int)

//go:noescape
func sigmoidAVX2F64(dst, x *float64, n int)

// tanhAVX2F32N is tanh in float32 arithmetic on expAVX2F32N's exp.
//
//go:noescape
func tanhAVX2F32N(dst, x *float32, n int)

//go:noescape
func tanhAVX512F32N(dst, x *float32, n int)

// Natural logarithm, simd_log_amd64.s: n a multiple of four.
//
//go:noescape
func logAVX2F64(dst, x *float64, n int)

//go:noescape
func logAVX2F32(dst, x *float32, n int)

// simdMath says whether the vector math routines can run here.
func simdMath() bool { return X86.HasAVX2 && X86.HasFMA && !simdOff }

func simdCall64(op simdOp, dst, x *float64, n int) bool {
	switch op {
	case simdExp:
		if m := n &^ 7; X86.HasAVX512F && m > 0 {
			expAVX512F64(dst, x, m)
			if m == n {
				break
			}
			dst, x, n = ptrAt(dst, m), ptrAt(x, m), n-m
		}
		expAVX2F64(dst, x, n)
	case simdSigmoid:
		sigmoidAVX2F64(dst, x, n)
	case simdLog:
		logAVX2F64(dst, x, n)
	default:
		return false
	}
	return true
}

func simdCall32(op simdOp, dst, x *float32, n int) bool {
	switch op {
	case simdExp:
		if m := n &^ 15; X86.HasAVX512F && m > 0 {
			expAVX512F32N(dst, x, m)
			if m == n {
				break
			}
			dst, x, n = ptrAt(dst, m), ptrAt(x, m), n-m
		}
		expAVX2F32N(dst, x, n)
	case simdSigmoid:
		if m := n &^ 15; X86.HasAVX512F && m > 0 {
			sigmoidAVX512F32N(dst, x, m)
			if m == n {
				break
			}
			dst, x, n = ptrAt(dst, m), ptrAt(x, m), n-m
		}
		sigmoidAVX2F32N(dst, x, n)
	case simdTanh:
		if m := n &^ 15; X86.HasAVX512F && m > 0 {
			tanhAVX512F32N(dst, x, m)
			if m == n {
				break
			}
			dst, x, n = ptrAt(dst, m), ptrAt(x, m), n-m
		}
		tanhAVX2F32N(dst, x, n)
	case simdLog:
		logAVX2F32(dst, x, n)
	default:
		return false
	}
	return true
}

// simdRow64 applies op to x in four-lane blocks; the last n%4 elements go
// through a zero-padded block, so that every element gets the same lane
// arithmetic wherever it sits in the row.
func simdRow64(op simdOp, dst, x []float64) bool {
	n := len(x)
	if n == 0 {
		return true
	}
	dst = dst[:n]
	m := n &^ 3
	if m > 0 && !simdCall64(op, &dst[0], &x[0], m) {
		return false
	}
	if m < n {
		var buf [4]float64
		copy(buf[:], x[m:])
		if !simdCall64(op, &buf[0], &buf[0], 4) {
			return false
		}
		copy(dst[m:], buf[:n-m])
	}
	return true
}

// simdRow32 is simdRow64 for float32, in blocks of eight.
func simdRow32(op simdOp, dst, x []float32) bool {
	n := len(x)
	if n == 0 {
		return true
	}
	dst = dst[:n]
	m := n &^ 7
	if m > 0 && !simdCall32(op, &dst[0], &x[0], m) {
		return false
	}
	if m < n {
		var buf [8]float32
		copy(buf[:], x[m:])
		if !simdCall32(op, &buf[0], &buf[0], 8) {
			return false
		}
		copy(dst[m:], buf[:n-m])
	}
	return true
}

// simdUnary computes dst = op(x) with the vector routines and reports
// whether it did: false for an element type or op without one, or a
// processor without AVX2 and FMA.
func simdUnary[T Float](op simdOp, dst, x []T) bool {
	if !simdMath() {
		return false
	}
	switch d := any(dst).(type) {
	case []float32:
		x := any(x).([]float32)
		if n := len(x); op >= simdNeg {
			if n > 0 && len(d) >= n {
				return simdCheap32(op, &d[0], &x[0], n)
			}
			return n == 0
		}
		return simdRow32(op, d, x)
	case []float64:
		x := any(x).([]float64)
		if n := len(x); op >= simdNeg {
			if n > 0 && len(d) >= n {
				return simdCheap64(op, &d[0], &x[0], n)
			}
			return n == 0
		}
		return simdRow64(op, d, x)
	}
	return false
}
