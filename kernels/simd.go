package kernels

// simdOp names a vectorized elementwise routine (simd_amd64.s).
type simdOp int

// simdOff turns the vector routines off (benchmarks compare with it).
var simdOff bool

const (
	simdExp simdOp = iota
	simdSigmoid
	simdTanh
	simdLog
	// The ops below run fused_amd64.s's loops, bitwise equal to the Go
	// loops they replace.
	simdNeg
	simdRelu
	simdSquare
	simdSqrt
	simdAbs
	simdAddAcc // dst += x
	simdMaxAcc // dst = max(dst, x) with Go's max (NaN wins, +0 over -0)
)

// Accuracy of the vector routines, in units in the last place of the
// result's type, measured against math.Exp, math.Tanh and sigmoid (the
// float32 results against the float64 reference rounded to float32) over
// 10^7 arguments per op and type (half uniform over the range where the
// result is neither 0, 1 nor Inf, half random bit patterns), plus ±0,
// ±Inf, NaN, subnormals and the over- and underflow thresholds with their
// neighbours; TestSIMDAccuracy checks the bounds on 2^21 of them. Between
// x = 709.437 and the true overflow threshold 709.78 Go's amd64 math.Exp
// returns +Inf; there the reference is a 200-bit evaluation. Where the routines do not run (noasm, other processors) the
// rows are the math package's own, at 0 ulp.
const (
	simdExpULP64     = 2
	simdExpULP32     = 1
	simdSigmoidULP64 = 2
	simdSigmoidULP32 = 2
	simdTanhULP32    = 1
	simdLogULP64     = 1
	simdLogULP32     = 1
)
