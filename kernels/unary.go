package kernels

import "math"

// Unary elementwise rows: dst and x have the same length (dst may alias x).
// Long rows run in parallel tasks (see parallelEW).

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

// TanhRow computes dst = tanh(x). float32 rows run vector code with AVX2
// and FMA, within 1 ulp of the rounded math.Tanh; float64 rows call
// math.Tanh.
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
// With AVX2 and FMA it runs vector code within 2 ulp of Sigmoid (float64)
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
		dst[i] = T(Sigmoid(float64(v)))
	}
}

// Sigmoid is the logistic function, computed so that exp never overflows.
func Sigmoid(v float64) float64 {
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

// ScaleRow computes dst = x * c.
func ScaleRow[T Float](dst, x []T, c T) {
	for i, v := range x {
		dst[i] = v * c
	}
}
