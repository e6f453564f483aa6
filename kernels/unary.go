package kernels

import "math"

// Unary elementwise rows: dst and x have the same length (dst may alias x).
// NegRow to SignRow run long rows in parallel tasks (see parallelEW), most
// of them in vector code (simd.go); ScaleRow and the rows from SinRow on run
// one serial Go loop, the transcendental ones in float64, rounded once.

// NegRow computes dst = -x.
func NegRow[T Float](dst, x []T) {
	if !parallelEW(ewNeg, dst, x, nil) {
		negRow(dst, x)
	}
}

func negRow[T Float](dst, x []T) {
	if simdUnary(simdNeg, dst, x) {
		return
	}
	for i, v := range x {
		dst[i] = -v
	}
}

// ExpRow computes dst = exp(x). With AVX2 and FMA it runs vector code
// (simd_amd64.s, simd_exp32_amd64.s) within 2 ulp of math.Exp for float64
// and 1 ulp of the rounded float64 result for float32 (see simdExpULP64).
func ExpRow[T Float](dst, x []T) {
	if !parallelEW(ewExp, dst, x, nil) {
		expRow(dst, x)
	}
}

func expRow[T Float](dst, x []T) {
	if simdUnary(simdExp, dst, x) {
		return
	}
	for i, v := range x {
		dst[i] = T(math.Exp(float64(v)))
	}
}

// LogRow computes dst = log(x). With AVX2 and FMA it runs vector code
// within simdLogULP64 ulp of math.Log (float64) and simdLogULP32 of its
// rounded result (float32).
func LogRow[T Float](dst, x []T) {
	if !parallelEW(ewLog, dst, x, nil) {
		logRow(dst, x)
	}
}

func logRow[T Float](dst, x []T) {
	if simdUnary(simdLog, dst, x) {
		return
	}
	for i, v := range x {
		dst[i] = T(math.Log(float64(v)))
	}
}

// Log1pRow computes dst = log(1 + x), accurate for small x.
func Log1pRow[T Float](dst, x []T) {
	if !parallelEW(ewLog1p, dst, x, nil) {
		log1pRow(dst, x)
	}
}

func log1pRow[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(math.Log1p(float64(v)))
	}
}

// TanhRow computes dst = tanh(x). float32 rows run vector code in float32
// lanes with AVX2 and FMA (sixteen lanes with AVX-512F;
// simd_exp32_amd64.s), within 1 ulp of the rounded math.Tanh; float64 rows
// call math.Tanh.
func TanhRow[T Float](dst, x []T) {
	if !parallelEW(ewTanh, dst, x, nil) {
		tanhRow(dst, x)
	}
}

func tanhRow[T Float](dst, x []T) {
	if simdUnary(simdTanh, dst, x) {
		return
	}
	for i, v := range x {
		dst[i] = T(math.Tanh(float64(v)))
	}
}

// SigmoidRow computes dst = 1 / (1 + exp(-x)) without overflow for large |x|.
// With AVX2 and FMA it runs vector code within 2 ulp of sigmoid (float64)
// and 2 ulp of its rounded result (float32).
func SigmoidRow[T Float](dst, x []T) {
	if !parallelEW(ewSigmoid, dst, x, nil) {
		sigmoidRow(dst, x)
	}
}

func sigmoidRow[T Float](dst, x []T) {
	if simdUnary(simdSigmoid, dst, x) {
		return
	}
	for i, v := range x {
		dst[i] = T(sigmoid(float64(v)))
	}
}

// sigmoid is the logistic function, computed so that exp never overflows.
func sigmoid(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// ReluRow computes dst = max(x, 0) (NaN stays NaN).
func ReluRow[T Float](dst, x []T) {
	if !parallelEW(ewRelu, dst, x, nil) {
		reluRow(dst, x)
	}
}

func reluRow[T Float](dst, x []T) {
	if simdUnary(simdRelu, dst, x) {
		return
	}
	for i, v := range x {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

// SqrtRow computes dst = sqrt(x).
func SqrtRow[T Float](dst, x []T) {
	if !parallelEW(ewSqrt, dst, x, nil) {
		sqrtRow(dst, x)
	}
}

func sqrtRow[T Float](dst, x []T) {
	if simdUnary(simdSqrt, dst, x) {
		return
	}
	for i, v := range x {
		dst[i] = T(math.Sqrt(float64(v)))
	}
}

// AbsRow computes dst = |x|.
func AbsRow[T Float](dst, x []T) {
	if !parallelEW(ewAbs, dst, x, nil) {
		absRow(dst, x)
	}
}

func absRow[T Float](dst, x []T) {
	if simdUnary(simdAbs, dst, x) {
		return
	}
	for i, v := range x {
		if v < 0 {
			v = -v
		}
		dst[i] = v
	}
}

// SquareRow computes dst = x * x.
func SquareRow[T Float](dst, x []T) {
	if !parallelEW(ewSquare, dst, x, nil) {
		squareRow(dst, x)
	}
}

func squareRow[T Float](dst, x []T) {
	if simdUnary(simdSquare, dst, x) {
		return
	}
	for i, v := range x {
		dst[i] = v * v
	}
}

// SignRow computes dst = -1, 0 or 1 by the sign of x (NaN stays NaN).
func SignRow[T Float](dst, x []T) {
	if !parallelEW(ewSign, dst, x, nil) {
		signRow(dst, x)
	}
}

func signRow[T Float](dst, x []T) {
	for i, v := range x {
		switch {
		case v > 0:
			v = 1
		case v < 0:
			v = -1
		}
		dst[i] = v
	}
}

// ScaleRow computes dst = x * c (f32 in AVX2 where the processor has it:
// the same IEEE products, so the same bits).
func ScaleRow[T Float](dst, x []T, c T) {
	if d32, ok := any(dst).([]float32); ok && len(x) > 0 && vecRows32() {
		scaleRow32(d32[:len(x)], any(x).([]float32), float32(c))
		return
	}
	for i, v := range x {
		dst[i] = v * c
	}
}

// SinRow computes dst = sin(x).
func SinRow[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(math.Sin(float64(v)))
	}
}

// CosRow computes dst = cos(x).
func CosRow[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(math.Cos(float64(v)))
	}
}

// RsqrtRow computes dst = 1 / sqrt(x).
func RsqrtRow[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(1 / math.Sqrt(float64(v)))
	}
}

// ErfRow computes dst = erf(x). float32 rows run vector code with AVX2
// and FMA (simd_erf.go), within simdErfULP32 ulp of the rounded math.Erf.
// Long rows run in parallel tasks (see parallelEW).
func ErfRow[T Float](dst, x []T) {
	if !parallelEW(ewErf, dst, x, nil) {
		erfRow(dst, x)
	}
}

func erfRow[T Float](dst, x []T) {
	if !simdErfRow(opErf, dst, x) {
		erfRowGo(dst, x)
	}
}

func erfRowGo[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(math.Erf(float64(v)))
	}
}

// SiluRow computes dst = x * sigmoid(x).
func SiluRow[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(float64(v) * sigmoid(float64(v)))
	}
}

// softplus is log(1 + e**v), computed as max(v, 0) + log1p(e**-|v|) so that
// it neither overflows nor loses precision.
func softplus(v float64) float64 {
	return math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
}

// SoftplusRow computes dst = log(1 + exp(x)) stably.
func SoftplusRow[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(softplus(float64(v)))
	}
}

// MishRow computes dst = x * tanh(softplus(x)) in float64, rounded once.
func MishRow[T Float](dst, x []T) {
	for i, v := range x {
		f := float64(v)
		dst[i] = T(f * math.Tanh(softplus(f)))
	}
}

// LeakyReluRow computes dst = x where x > 0, slope*x elsewhere.
func LeakyReluRow[T Float](dst, x []T, slope T) {
	for i, v := range x {
		if v > 0 {
			dst[i] = v
		} else {
			dst[i] = slope * v
		}
	}
}

// EluRow computes dst = x where x > 0, alpha*(exp(x)-1) elsewhere.
func EluRow[T Float](dst, x []T, alpha float64) {
	for i, v := range x {
		if v > 0 {
			dst[i] = v
		} else {
			dst[i] = T(alpha * math.Expm1(float64(v)))
		}
	}
}

// The constants of GELU's tanh form: u = geluTanhC·(x + geluTanhK·x³).
const (
	geluTanhC = 0.7978845608028654 // sqrt(2/π)
	geluTanhK = 0.044715
)

// GeluRow computes dst = x * Φ(x) with Φ the standard normal distribution
// function, exactly (erf) or, when tanh is set, with the tanh approximation
// 0.5*x*(1 + tanh(sqrt(2/π)*(x + 0.044715*x³))). float32 rows run vector
// code with AVX2 and FMA (simd_erf.go), within simdGeluULP32 and
// simdGeluTanhULP32 ulp of the rounded float64 values, tails included;
// the Go rows (float64, noasm) evaluate the formulas as written. Long rows
// run in parallel tasks (see parallelEW).
func GeluRow[T Float](dst, x []T, tanh bool) {
	op := ewGelu
	if tanh {
		op = ewGeluTanh
	}
	if !parallelEW(op, dst, x, nil) {
		geluRow(dst, x, tanh)
	}
}

func geluRow[T Float](dst, x []T, tanh bool) {
	op := opGelu
	if tanh {
		op = opGeluTanh
	}
	if !simdErfRow(op, dst, x) {
		geluRowGo(dst, x, tanh)
	}
}

func geluRowGo[T Float](dst, x []T, tanh bool) {
	if tanh {
		for i, v := range x {
			f := float64(v)
			dst[i] = T(0.5 * f * (1 + math.Tanh(geluTanhC*(f+geluTanhK*f*f*f))))
		}
		return
	}
	for i, v := range x {
		f := float64(v)
		dst[i] = T(0.5 * f * (1 + math.Erf(f/math.Sqrt2)))
	}
}

// GeluGradRow computes the derivative of GeluRow's GELU: dst = Φ(x) +
// x·φ(x) (φ the standard normal density) for the exact form, and with tanh
// set dst = σ(2u)·(1 + 2x·u'·(1 - σ(2u))), u = c(x + k x³), u' = c(1 +
// 3k x²), which is (1 + tanh u)/2 + x(1 - tanh² u)u'/2 without its
// cancellations. float32 rows run vector code with AVX2 and FMA
// (simd_erf.go), within simdGeluGradULP32 and simdGeluTanhGradULP32 ulp of
// the larger of the two terms (each sum crosses zero near x = -0.75); the
// Go rows compute the formulas in float64 (0.5·erfc(-x/√2) +
// x·exp(-x²/2)/√(2π) for the exact form). Long rows run in parallel tasks
// (see parallelEW).
func GeluGradRow[T Float](dst, x []T, tanh bool) {
	op := ewGeluGrad
	if tanh {
		op = ewGeluTanhGrad
	}
	if !parallelEW(op, dst, x, nil) {
		geluGradRow(dst, x, tanh)
	}
}

func geluGradRow[T Float](dst, x []T, tanh bool) {
	op := opGeluGrad
	if tanh {
		op = opGeluTanhGrad
	}
	if !simdErfRow(op, dst, x) {
		geluGradRowGo(dst, x, tanh)
	}
}

func geluGradRowGo[T Float](dst, x []T, tanh bool) {
	if tanh {
		for i, v := range x {
			f := float64(v)
			s := sigmoid(2 * geluTanhC * (f + geluTanhK*f*f*f))
			if s == 0 || s == 1 {
				// The second term is below s·(1 - s)·2x·u', 0 here (and
				// not Inf·0 for huge or infinite x).
				dst[i] = T(s)
				continue
			}
			du := geluTanhC * (1 + 3*geluTanhK*f*f)
			dst[i] = T(s * (1 + 2*f*du*(1-s)))
		}
		return
	}
	c := 1 / math.Sqrt(2*math.Pi)
	for i, v := range x {
		f := float64(v)
		p := 0.5 * math.Erfc(-f/math.Sqrt2)
		if math.IsInf(f, 0) {
			dst[i] = T(p) // x·φ(x) is 0 there, not Inf·0
			continue
		}
		dst[i] = T(p + f*math.Exp(-0.5*f*f)*c)
	}
}

// ClipRow computes dst = min(max(x, lo), hi) (NaN stays NaN).
func ClipRow[T Float](dst, x []T, lo, hi T) {
	for i, v := range x {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		dst[i] = v
	}
}
