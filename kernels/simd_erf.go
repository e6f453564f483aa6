package kernels

// Vector erf and GELU rows for float32. erf and the exact GELU are
// computed in float32 lanes (simd_erf32_amd64.s, written by
// simd_erf32_gen.py: sixteen lanes with AVX-512F, eight with AVX2 and FMA,
// the same operations on each lane); GELU's tanh form in float64 lanes,
// rounded to float32 once (simd_erf_amd64.s, simd_erf_gen.py). Either way a
// lane's result does not depend on its neighbours, on where a row starts
// or on how rows are split between threads. float64 rows, builds without
// the assembly (noasm, other processors) and processors without AVX2 and
// FMA run the math package's erf and tanh.

// Accuracy of the float32 vector rows, in units in the last place of
// float32, measured by TestSIMDErfAccuracy over a dense sweep of [-16, 16]
// (step 2^-14) and 2^19 further arguments (half uniform over [-8, 8], half
// random bit patterns) plus ±0, ±Inf, NaN, subnormals and the branch
// points, against float64 references rounded to float32: math.Erf;
// x·math.Erfc(-x/√2)/2 for GELU; x·σ(2u) for the tanh form. The float32
// GELU is within 2 ulp from x = -0.7 up and within 5 in the lower tail,
// where its result is x·erfc(|x|/√2)/2 through a chain of roundings (the
// float64 forms were within 1 ulp everywhere at twice the time per
// element). GELU's lower tail is computed without the cancellation of
// 0.5·x·(1 + erf(z)): the Go rows (float64, noasm) use that formula and
// lose relative accuracy below x ≈ -4. GELU's derivative Φ(x) + x·φ(x)
// (GeluGradRow, from the same erfc and exponential) crosses zero near x =
// -0.75, so its error is measured in ulp of the larger of its two terms:
// 3.6 at most from x = -13 up, 4.8 in the lower tail, where the result is
// subnormal (TestGeluGradAccuracy, same arguments).
const (
	simdErfULP32       = 1
	simdGeluULP32      = 5
	simdGeluUpperULP32 = 2 // for x >= -0.7
	simdGeluTanhULP32  = 1
	simdGeluGradULP32  = 5 // of the larger of Φ(x) and |x·φ(x)|
	// of the larger of σ(2u) and |2x·u'·σ(2u)(1 - σ(2u))| (float64 lanes)
	simdGeluTanhGradULP32 = 1
)

// erfGeluOp selects a row of simd_erf_amd64.s.
type erfGeluOp int

const (
	opErf erfGeluOp = iota
	opGelu
	opGeluTanh
	opGeluGrad
	opGeluTanhGrad
)

// simdErfRow runs op over a float32 row in vector code and reports whether
// it did (false for float64 rows or where the vector code cannot run).
// The last len(x)%8 elements go through a zero-padded block of eight.
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
	m := n &^ 7
	if m > 0 {
		erfGeluCall(op, &d[0], &xs[0], m)
	}
	if m < n {
		var buf [8]float32
		copy(buf[:], xs[m:])
		erfGeluCall(op, &buf[0], &buf[0], 8)
		copy(d[m:], buf[:n-m])
	}
	return true
}
