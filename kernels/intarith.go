package kernels

import "math"

// Integer arithmetic and the floored remainder, with broadcasting.
// Integers wrap around on overflow (two's complement, as NumPy); dividing
// by zero gives 0 for both the quotient and the remainder (NumPy's values,
// which it gives with a warning), never a fault.

// Int is the integer element types.
type Int interface {
	~int32 | ~int64
}

// FloorDiv is x / y rounded toward minus infinity (Python's x // y); 0 when
// y is 0; the most negative x divided by -1 wraps to itself.
func FloorDiv[T Int](x, y T) T {
	if y == 0 {
		return 0
	}
	q := x / y // Go truncates; MinInt / -1 wraps without a fault
	if (x%y != 0) && ((x < 0) != (y < 0)) {
		q--
	}
	return q
}

// FloorMod is x - FloorDiv(x, y)*y: the remainder with the sign of y
// (Python's and NumPy's x % y); 0 when y is 0.
func FloorMod[T Int](x, y T) T {
	if y == 0 {
		return 0
	}
	r := x % y
	if r != 0 && ((r < 0) != (y < 0)) {
		r += y
	}
	return r
}

// FloatMod is NumPy's x % y on floats (np.remainder): x - floor(x/y)*y,
// computed as fmod and moved to the sign of y; NaN when y is 0 or x is
// infinite, x when y is infinite and x has its sign.
func FloatMod(x, y float64) float64 {
	r := math.Mod(x, y)
	if r != 0 && ((r < 0) != (y < 0)) {
		r += y
	}
	if r == 0 {
		r = math.Copysign(0, y)
	}
	return r
}

// IntBinary runs dst = f(x, y) elementwise with broadcasting on integers
// (p walks dst over x and y; idx and off from p.Scratch and make([]int, 2)).
func IntBinary[T Int](p *Bcast, dst, x, y []T, idx, off []int, f func(a, b T) T) {
	n := p.Row
	if n == 0 {
		return
	}
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		d := dst[r*n : (r+1)*n]
		a, b := x[off[0]:], y[off[1]:]
		sa, sb := p.Inner[0], p.Inner[1]
		for i := range d {
			d[i] = f(a[i*sa], b[i*sb])
		}
	}
}

// ModRow is FloatMod over a row (x and y have len(dst) elements or one,
// repeated), in float64 and rounded once.
func ModRow[T Float](dst, x, y []T) {
	sx, sy := min(1, len(x)-1), min(1, len(y)-1)
	for i := range dst {
		dst[i] = T(FloatMod(float64(x[i*sx]), float64(y[i*sy])))
	}
}

// GatherRows writes, for each of outer blocks, the rows of src at the
// positions pos (each in [0, span)) into dst: dst[o, p, :] = src[o, pos[p], :]
// with rows of inner elements; the forward of indexing with several
// integer tensors, once their values are folded into pos.
func GatherRows[T any](dst, src []T, pos []int, outer, span, inner int) {
	for o := range outer {
		for p, q := range pos {
			d := (o*len(pos) + p) * inner
			s := (o*span + q) * inner
			copy(dst[d:d+inner], src[s:s+inner])
		}
	}
}

// ScatterAddRows is GatherRows' adjoint: dst (outer·span·inner elements)
// is zeroed, then each row of src is added at its position, in order, so
// repeated positions add up deterministically.
func ScatterAddRows[T Float](dst, src []T, pos []int, outer, span, inner int) {
	clear(dst)
	for o := range outer {
		for p, q := range pos {
			d := (o*span + q) * inner
			s := (o*len(pos) + p) * inner
			for k := range inner {
				dst[d+k] += src[s+k]
			}
		}
	}
}
