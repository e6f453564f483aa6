package kernels

import "math"

// Binary elementwise rows: in each, x or y may be a single repeated element
// (length 1) and the other has dst's length.

// SubRow computes dst = x - y.
func SubRow[T Float](dst, x, y []T) {
	if !parallelEW(ewSub, dst, x, y) {
		subRow(dst, x, y)
	}
}

func subRow[T Float](dst, x, y []T) {
	if simdBinary(simdSub, dst, x, y) {
		return
	}
	switch {
	case len(x) == len(dst) && len(y) == len(dst):
		for i := range dst {
			dst[i] = x[i] - y[i]
		}
	case len(x) == len(dst):
		c := y[0]
		for i := range dst {
			dst[i] = x[i] - c
		}
	case len(y) == len(dst):
		c := x[0]
		for i := range dst {
			dst[i] = c - y[i]
		}
	default:
		c := x[0] - y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

// MulRow computes dst = x * y.
func MulRow[T Float](dst, x, y []T) {
	if !parallelEW(ewMul, dst, x, y) {
		mulRow(dst, x, y)
	}
}

func mulRow[T Float](dst, x, y []T) {
	if simdBinary(simdMul, dst, x, y) {
		return
	}
	switch {
	case len(x) == len(dst) && len(y) == len(dst):
		for i := range dst {
			dst[i] = x[i] * y[i]
		}
	case len(x) == len(dst):
		c := y[0]
		for i := range dst {
			dst[i] = x[i] * c
		}
	case len(y) == len(dst):
		c := x[0]
		for i := range dst {
			dst[i] = c * y[i]
		}
	default:
		c := x[0] * y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

// DivRow computes dst = x / y.
func DivRow[T Float](dst, x, y []T) {
	if !parallelEW(ewDiv, dst, x, y) {
		divRow(dst, x, y)
	}
}

func divRow[T Float](dst, x, y []T) {
	if simdBinary(simdDiv, dst, x, y) {
		return
	}
	switch {
	case len(x) == len(dst) && len(y) == len(dst):
		for i := range dst {
			dst[i] = x[i] / y[i]
		}
	case len(x) == len(dst):
		c := y[0]
		for i := range dst {
			dst[i] = x[i] / c
		}
	case len(y) == len(dst):
		c := x[0]
		for i := range dst {
			dst[i] = c / y[i]
		}
	default:
		c := x[0] / y[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

// PowRow computes dst = x ** y.
func PowRow[T Float](dst, x, y []T) {
	if !parallelEW(ewPow, dst, x, y) {
		powRow(dst, x, y)
	}
}

func powRow[T Float](dst, x, y []T) {
	switch {
	case len(x) == len(dst) && len(y) == len(dst):
		for i := range dst {
			dst[i] = T(math.Pow(float64(x[i]), float64(y[i])))
		}
	case len(x) == len(dst):
		c := y[0]
		for i := range dst {
			dst[i] = T(math.Pow(float64(x[i]), float64(c)))
		}
	case len(y) == len(dst):
		c := x[0]
		for i := range dst {
			dst[i] = T(math.Pow(float64(c), float64(y[i])))
		}
	default:
		c := T(math.Pow(float64(x[0]), float64(y[0])))
		for i := range dst {
			dst[i] = c
		}
	}
}

// MaxRow computes dst = max(x, y) (NaN if either is NaN).
func MaxRow[T Float](dst, x, y []T) {
	if !parallelEW(ewMax, dst, x, y) {
		maxRow(dst, x, y)
	}
}

func maxRow[T Float](dst, x, y []T) {
	switch {
	case len(x) == len(dst) && len(y) == len(dst):
		for i := range dst {
			dst[i] = max(x[i], y[i])
		}
	case len(x) == len(dst):
		c := y[0]
		for i := range dst {
			dst[i] = max(x[i], c)
		}
	case len(y) == len(dst):
		c := x[0]
		for i := range dst {
			dst[i] = max(c, y[i])
		}
	default:
		c := max(x[0], y[0])
		for i := range dst {
			dst[i] = c
		}
	}
}

// MinRow computes dst = min(x, y) (NaN if either is NaN).
func MinRow[T Float](dst, x, y []T) {
	if !parallelEW(ewMin, dst, x, y) {
		minRow(dst, x, y)
	}
}

func minRow[T Float](dst, x, y []T) {
	switch {
	case len(x) == len(dst) && len(y) == len(dst):
		for i := range dst {
			dst[i] = min(x[i], y[i])
		}
	case len(x) == len(dst):
		c := y[0]
		for i := range dst {
			dst[i] = min(x[i], c)
		}
	case len(y) == len(dst):
		c := x[0]
		for i := range dst {
			dst[i] = min(c, y[i])
		}
	default:
		c := min(x[0], y[0])
		for i := range dst {
			dst[i] = c
		}
	}
}

// GreaterRow computes dst = 1 where x > y, else 0.
func GreaterRow[T Float](dst, x, y []T) {
	if !parallelEW(ewGreater, dst, x, y) {
		greaterRow(dst, x, y)
	}
}

func greaterRow[T Float](dst, x, y []T) {
	switch {
	case len(x) == len(dst) && len(y) == len(dst):
		for i := range dst {
			dst[i] = b2f[T](x[i] > y[i])
		}
	case len(x) == len(dst):
		c := y[0]
		for i := range dst {
			dst[i] = b2f[T](x[i] > c)
		}
	case len(y) == len(dst):
		c := x[0]
		for i := range dst {
			dst[i] = b2f[T](c > y[i])
		}
	default:
		c := b2f[T](x[0] > y[0])
		for i := range dst {
			dst[i] = c
		}
	}
}

// EqualRow computes dst = 1 where x == y, else 0.
func EqualRow[T Float](dst, x, y []T) {
	if !parallelEW(ewEqual, dst, x, y) {
		equalRow(dst, x, y)
	}
}

func equalRow[T Float](dst, x, y []T) {
	switch {
	case len(x) == len(dst) && len(y) == len(dst):
		for i := range dst {
			dst[i] = b2f[T](x[i] == y[i])
		}
	case len(x) == len(dst):
		c := y[0]
		for i := range dst {
			dst[i] = b2f[T](x[i] == c)
		}
	case len(y) == len(dst):
		c := x[0]
		for i := range dst {
			dst[i] = b2f[T](c == y[i])
		}
	default:
		c := b2f[T](x[0] == y[0])
		for i := range dst {
			dst[i] = c
		}
	}
}

func b2f[T Float](b bool) T {
	if b {
		return 1
	}
	return 0
}
