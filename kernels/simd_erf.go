package kernels

// Vector erf and GELU rows for float32 (simd_erf_amd64.s, written by
// simd_erf_gen.py). Every lane is computed in float64 and rounded to
// float32 once, so a lane's result does not depend on its neighbours, on
// where a row starts or on how rows are split between threads. float64
// rows, builds without the assembly (noasm, other processors) and
// processors without AVX2 and FMA run the math package's erf and tanh.

// Accuracy of the float32 vector rows, in units in the last place of
// float32, measured by TestSIMDErfAccuracy over a dense sweep of [-16, 16]
// (step 2^-14) and 2^19 further arguments (half uniform over [-8, 8], half
// random bit patterns) plus ±0, ±Inf, NaN, subnormals and the branch
// points, against float64 references rounded to float32: math.Erf;
// x·math.Erfc(-x/√2)/2 for GELU; x·σ(2u) for the tanh form. The float64
// evaluation is within 1e-10 relative of the true value (simd_erf_gen.py
// prints the fits' errors), so results are the correctly rounded ones or
// their neighbours. GELU's lower tail is computed as x·erfc(|z|)/2, without
// the cancellation of 0.5·x·(1 + erf(z)): the Go rows (float64, noasm)
// use the latter formula and lose relative accuracy below x ≈ -4.
const (
	simdErfULP32      = 1
	simdGeluULP32     = 1
	simdGeluTanhULP32 = 1
)

// erfGeluOp selects a row of simd_erf_amd64.s.
type erfGeluOp int

const (
	opErf erfGeluOp = iota
	opGelu
	opGeluTanh
)

// simdErfRow runs op over a float32 row in vector code and reports whether
// it did (false for float64 rows or where the vector code cannot run).
// The last len(x)%4 elements go through a zero-padded block of four.
func simdErfRow[T Float](op erfGeluOp, dst, x []T) bool {
	d, ok := any(dst).([]float32)
	if !ok || !simdMath() {
		return false
	}
	xs := any(x).([]float32)
	n := len(xs)
	if n == 0 {
		return true
	}
	d = d[:n]
	m := n &^ 3
	if m > 0 {
		erfGeluCall(op, &d[0], &xs[0], m)
	}
	if m < n {
		var buf [4]float32
		copy(buf[:], xs[m:])
		erfGeluCall(op, &buf[0], &buf[0], 4)
		copy(d[m:], buf[:n-m])
	}
	return true
}
