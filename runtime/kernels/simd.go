package kernels

// simdOp names a vectorized elementwise routine (simd_amd64.s).
type simdOp int

// simdOff turns the vector routines off (benchmarks compare with it).
var simdOff bool

const (
	simdExp simdOp = iota
	simdSigmoid
	simdTanh
	// The ops below run fused_amd64.s's loops, bitwise equal to the Go
	// loops they replace.
	simdNeg
	simdRelu
	simdSquare
	simdSqrt
	simdAbs
	simdAdd
	simdSub
	simdMul
	simdDiv
	simdAddAcc // dst += x
	simdMaxAcc // dst = max(dst, x) with Go's max (NaN wins, +0 over -0)
)

// Accuracy of the vector routines, in units in the last place of the
// result's type, measured against math.Exp, math.Tanh and Sigmoid over
// simd_test.go's sample (random arguments over each op's whole range and
// random bit patterns, special values and the over- and underflow
// thresholds). Where the routines do not run (noasm, other processors) the
// rows are the math package's own, at 0 ulp.
const (
	simdExpULP64     = 2
	simdExpULP32     = 1
	simdSigmoidULP64 = 2
	simdSigmoidULP32 = 2
	simdTanhULP32    = 1
)
