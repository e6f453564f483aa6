package kernels

import "math"

// Reductions walk the input with a Bcast prepared as NewBcast(in, keep),
// where keep is the result's shape with reduced axes kept as size 1: the
// result is then the "broadcast operand" of the walk, and off[0] is where each
// input row lands. Large reductions run in tasks of rows whose partial
// results are combined in task order (see parallelReduce).

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
			var acc T
			for _, v := range s {
				acc += v
			}
			dst[off[0]] += acc
		}
	}
}

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
