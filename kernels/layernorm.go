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
		mu, inv := lnStats(xr, eps)
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

// lnStats returns the mean of xr and 1/sqrt(var + eps) with the biased
// variance, in float64 and two passes (the variance sums squared
// deviations from the mean, so it does not cancel), each pass with four
// accumulators over the elements i ≡ 0, 1, 2, 3 (mod 4), added in a fixed
// order: the result depends on the row alone.
func lnStats[T Float](xr []T, eps float64) (mu, inv float64) {
	n := len(xr)
	m := n &^ 3
	var s0, s1, s2, s3 float64
	for i := 0; i < m; i += 4 {
		s0 += float64(xr[i])
		s1 += float64(xr[i+1])
		s2 += float64(xr[i+2])
		s3 += float64(xr[i+3])
	}
	for i := m; i < n; i++ {
		s0 += float64(xr[i])
	}
	mu = ((s0 + s1) + (s2 + s3)) / float64(n)
	var q0, q1, q2, q3 float64
	for i := 0; i < m; i += 4 {
		c0, c1 := float64(xr[i])-mu, float64(xr[i+1])-mu
		c2, c3 := float64(xr[i+2])-mu, float64(xr[i+3])-mu
		q0 += c0 * c0
		q1 += c1 * c1
		q2 += c2 * c2
		q3 += c3 * c3
	}
	for i := m; i < n; i++ {
		c := float64(xr[i]) - mu
		q0 += c * c
	}
	return mu, 1 / math.Sqrt(((q0+q1)+(q2+q3))/float64(n)+eps)
}

// LayerNormParamGrad writes the gradients of layer normalization's gamma
// and beta for the incoming gradient g, x [rows, d]: dst[:d] = Σ g·x̂ and
// dst[d:2d] = Σ g over the rows, with x̂ = (x - mean)·inv from lnStats (as
// LayerNormGrad). acc (2·d float64) holds the sums, added row after row in
// order and rounded once; it runs on the calling goroutine, so the result
// does not depend on the number of threads.
func LayerNormParamGrad[T Float](dst, x, g []T, acc []float64, rows, d int, eps float64) {
	ag, ab := acc[:d], acc[d:2*d]
	clear(ag)
	clear(ab)
	for r := 0; r < rows; r++ {
		xr, gr := x[r*d:(r+1)*d], g[r*d:(r+1)*d]
		mu, inv := lnStats(xr, eps)
		for i, v := range xr {
			gv := float64(gr[i])
			ag[i] += gv * ((float64(v) - mu) * inv)
			ab[i] += gv
		}
	}
	for i := range d {
		dst[i] = T(ag[i])
		dst[d+i] = T(ab[i])
	}
}
