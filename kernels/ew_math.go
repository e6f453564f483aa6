package kernels

import "math"

// More unary elementwise rows: dst and x have the same length (dst may alias
// x). Each computes in float64 and rounds once.

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

// ErfRow computes dst = erf(x).
func ErfRow[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(math.Erf(float64(v)))
	}
}

// SiluRow computes dst = x * sigmoid(x).
func SiluRow[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(float64(v) * Sigmoid(float64(v)))
	}
}

// Softplus is log(1 + e**v), computed as max(v, 0) + log1p(e**-|v|) so that
// it neither overflows nor loses precision.
func Softplus(v float64) float64 {
	return math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
}

// SoftplusRow computes dst = log(1 + exp(x)) stably.
func SoftplusRow[T Float](dst, x []T) {
	for i, v := range x {
		dst[i] = T(Softplus(float64(v)))
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

// GeluRow computes dst = x * Φ(x) with Φ the standard normal distribution
// function, exactly (erf) or, when tanh is set, with the tanh approximation
// 0.5*x*(1 + tanh(sqrt(2/π)*(x + 0.044715*x³))).
func GeluRow[T Float](dst, x []T, tanh bool) {
	if tanh {
		c := math.Sqrt(2 / math.Pi)
		for i, v := range x {
			f := float64(v)
			dst[i] = T(0.5 * f * (1 + math.Tanh(c*(f+0.044715*f*f*f))))
		}
		return
	}
	for i, v := range x {
		f := float64(v)
		dst[i] = T(0.5 * f * (1 + math.Erf(f/math.Sqrt2)))
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

// Where writes dst = x where cond is nonzero (true), y elsewhere, with
// broadcasting: p walks dst over (cond, x, y); off has three entries.
func Where[C comparable, T any](p *Bcast, dst []T, cond []C, x, y []T, idx, off []int) {
	var zero C
	n := p.Row
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		d := dst[r*n : (r+1)*n]
		for i := range d {
			c := cond[off[0]+i*p.Inner[0]]
			if c != zero {
				d[i] = x[off[1]+i*p.Inner[1]]
			} else {
				d[i] = y[off[2]+i*p.Inner[2]]
			}
		}
	}
}
