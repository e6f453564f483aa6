package kernels

import "math"

// Reductions walk the input with a Bcast prepared as NewReduceBcast(in,
// keep), where keep is the result's shape with reduced axes kept as size 1:
// the result is then the "broadcast operand" of the walk, and off[0] is
// where each input row lands. Large SumTo, ReduceMax and ReduceMin run in
// tasks of rows whose partial results are combined in task order (see
// parallelReduce).
// ArgReduce, last, views its input as [outer, n, inner] instead.

// NewReduceBcast prepares the walk of a reduction of shape in to keep (in's
// shape with the reduced axes of size 1, or a shape that broadcasts to in,
// as sum_to's target), with adjacent axes merged where both are reduced or
// both kept: the gradient of a bias over [N, C, H, W] sums N·C rows of H·W
// elements, not N·C·H rows of W. SumTo sums each row with rowSum, and
// FusedReduce's rows (the last axis, or every element as one row) are
// these rows, so the two agree bit for bit.
func NewReduceBcast(in, keep []int) *Bcast { return newBcastMerged(in, keep) }

// SumTo computes dst = the sum of src over the axes where dst's shape has 1.
func SumTo[T Float](p *Bcast, dst, src []T, idx, off []int) {
	if parallelReduce(rowSumTo, p, dst, src) {
		return
	}
	clear(dst)
	n := p.Row
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		s := src[r*n : (r+1)*n]
		if p.Inner[0] == 1 {
			d := dst[off[0] : off[0]+n]
			if simdUnary(simdAddAcc, d, s) {
				continue
			}
			for i, v := range s {
				d[i] += v
			}
		} else {
			dst[off[0]] += rowSum(s)
		}
	}
}

// rowSum is the sum of a reduced row as SumTo and FusedReduce compute it:
// in float64 over sumLanes's 16 lanes (vector code for f32 where the
// processor has AVX2, the same bits without), rounded to T once.
func rowSum[T Float](s []T) T { return T(sumLanes(s)) }

// ReduceMax computes dst = the maximum of src over the axes where dst's shape
// has 1 (-Inf for an empty reduction; NaN propagates).
func ReduceMax[T Float](p *Bcast, dst, src []T, idx, off []int) {
	if parallelReduce(rowMax, p, dst, src) {
		return
	}
	inf := T(math.Inf(-1))
	for i := range dst {
		dst[i] = inf
	}
	n := p.Row
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		s := src[r*n : (r+1)*n]
		if p.Inner[0] == 1 {
			d := dst[off[0] : off[0]+n]
			if simdUnary(simdMaxAcc, d, s) {
				continue
			}
			for i, v := range s {
				d[i] = max(d[i], v)
			}
		} else {
			acc := dst[off[0]]
			for _, v := range s {
				acc = max(acc, v)
			}
			dst[off[0]] = acc
		}
	}
}

// ReduceMin computes dst = the minimum of src over the axes where dst's shape
// has 1 (+Inf for an empty reduction; NaN propagates).
func ReduceMin[T Float](p *Bcast, dst, src []T, idx, off []int) {
	if parallelReduce(rowMin, p, dst, src) {
		return
	}
	inf := T(math.Inf(1))
	for i := range dst {
		dst[i] = inf
	}
	n := p.Row
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		s := src[r*n : (r+1)*n]
		if p.Inner[0] == 1 {
			d := dst[off[0] : off[0]+n]
			for i, v := range s {
				d[i] = min(d[i], v)
			}
		} else {
			acc := dst[off[0]]
			for _, v := range s {
				acc = min(acc, v)
			}
			dst[off[0]] = acc
		}
	}
}

// ReduceProd computes dst = the product of src over the axes where dst's
// shape has 1 (1 for an empty reduction).
func ReduceProd[T Float](p *Bcast, dst, src []T, idx, off []int) {
	for i := range dst {
		dst[i] = 1
	}
	n := p.Row
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		s := src[r*n : (r+1)*n]
		if p.Inner[0] == 1 {
			d := dst[off[0] : off[0]+n]
			for i, v := range s {
				d[i] *= v
			}
		} else {
			acc := dst[off[0]]
			for _, v := range s {
				acc *= v
			}
			dst[off[0]] = acc
		}
	}
}

// SumSquares computes dst = the sum of (src - center)² over the axes where
// dst's shape has 1; center has dst's shape, or is nil for zero.
func SumSquares[T Float](p *Bcast, dst, src, center []T, idx, off []int) {
	clear(dst)
	n := p.Row
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		s := src[r*n : (r+1)*n]
		if p.Inner[0] == 1 {
			d := dst[off[0] : off[0]+n]
			if center == nil {
				for i, v := range s {
					d[i] += v * v
				}
				continue
			}
			c := center[off[0] : off[0]+n]
			for i, v := range s {
				e := v - c[i]
				d[i] += e * e
			}
		} else {
			var c, acc T
			if center != nil {
				c = center[off[0]]
			}
			for _, v := range s {
				e := v - c
				acc += e * e
			}
			dst[off[0]] += acc
		}
	}
}

// LogSumExp computes dst = log(sum(exp(src))) over the axes where dst's shape
// has 1, stably: m must hold the maximum over the same axes (ReduceMax), and
// the sum is taken of exp(src - m). An all -Inf reduction gives -Inf; a +Inf
// element gives +Inf.
func LogSumExp[T Float](p *Bcast, dst, src, m []T, idx, off []int) {
	clear(dst)
	shift := func(v T) float64 {
		f := float64(v)
		if math.IsInf(f, 0) {
			return 0
		}
		return f
	}
	n := p.Row
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		s := src[r*n : (r+1)*n]
		if p.Inner[0] == 1 {
			d, c := dst[off[0]:off[0]+n], m[off[0]:off[0]+n]
			for i, v := range s {
				d[i] += T(math.Exp(float64(v) - shift(c[i])))
			}
		} else {
			c := shift(m[off[0]])
			var acc float64
			for _, v := range s {
				acc += math.Exp(float64(v) - c)
			}
			dst[off[0]] += T(acc)
		}
	}
	for i, v := range dst {
		dst[i] = T(math.Log(float64(v)) + shift(m[i]))
	}
}

// ArgReduce writes to dst the index along the middle axis of src, viewed as
// [outer, n, inner], of its largest (max set) or smallest element; the first
// one wins ties, and a NaN wins over every number.
func ArgReduce[T Float, I ~int32 | ~int64](dst []I, src []T, outer, n, inner int, max bool) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			if n == 0 {
				dst[o*inner+i] = 0
				continue
			}
			best, at := src[base], 0
			for k := 1; k < n && best == best; k++ {
				v := src[base+k*inner]
				if v != v || (max && v > best) || (!max && v < best) {
					best, at = v, k
				}
			}
			dst[o*inner+i] = I(at)
		}
	}
}
