package kernels

import "math"

// LayerNormGrad writes the gradient with respect to x of layer
// normalization over the last axis (LayerNorm) for the incoming gradient g:
// for each of the rows of x [rows, d], with x̂ = (x - mean)·inv, inv =
// 1/sqrt(var + eps) (biased variance) and v = g·gamma,
//
//	dx = inv·(v - mean(v) - x̂·mean(x̂·v)).
//
// One fused pass per row after the statistics: the mean and variance are
// computed in two passes in float64 (as LayerNorm does: no cancellation in
// the variance), then one pass sums v and x̂·v and one writes dx. Many rows
// run in parallel tasks of whole rows, so the results do not depend on the
// number of threads.
func LayerNormGrad[T Float](dx, x, gamma, g []T, rows, d int, eps float64) {
	if rows <= 0 || d <= 0 {
		return
	}
	tasks, per := splitTasks(rows, d*12)
	if tasks < 2 {
		layerNormGradRows(dx, x, gamma, g, d, eps, 0, rows)
		return
	}
	r := takeRunner[lnGradRunner[T]]()
	if r == nil {
		r = &lnGradRunner[T]{}
		r.par = newParFor(0, r.task)
	}
	r.dx, r.x, r.gamma, r.g = dx, x, gamma, g
	r.d, r.rows, r.per, r.eps, r.par.tasks = d, rows, per, eps, tasks
	r.par.run()
	r.dx, r.x, r.gamma, r.g = nil, nil, nil, nil
	putRunner(r)
}

// lnGradRunner is a parallel call of LayerNormGrad: task t does rows
// [t·per, (t+1)·per).
type lnGradRunner[T Float] struct {
	par             *parFor
	dx, x, gamma, g []T
	d, rows, per    int
	eps             float64
}

func (r *lnGradRunner[T]) task(_, t int) {
	layerNormGradRows(r.dx, r.x, r.gamma, r.g, r.d, r.eps, t*r.per, min((t+1)*r.per, r.rows))
}

// layerNormGradRows is LayerNormGrad for rows [lo, hi).
func layerNormGradRows[T Float](dx, x, gamma, g []T, d int, eps float64, lo, hi int) {
	gm := gamma[:d]
	for r := lo; r < hi; r++ {
		xr, gr, or := x[r*d:(r+1)*d], g[r*d:(r+1)*d], dx[r*d:(r+1)*d]
		var s float64
		for _, v := range xr {
			s += float64(v)
		}
		mu := s / float64(d)
		var q float64
		for _, v := range xr {
			c := float64(v) - mu
			q += c * c
		}
		inv := 1 / math.Sqrt(q/float64(d)+eps)
		var sv, sxv float64
		for i, v := range xr {
			gv := float64(gr[i]) * float64(gm[i])
			sv += gv
			sxv += (float64(v) - mu) * inv * gv
		}
		mv, mxv := sv/float64(d), sxv/float64(d)
		for i, v := range xr {
			xh := (float64(v) - mu) * inv
			or[i] = T(inv * (float64(gr[i])*float64(gm[i]) - mv - xh*mxv))
		}
	}
}
