package kernels

// LayerNormGrad writes the gradient with respect to x of layer
// normalization over the last axis (LayerNorm) for the incoming gradient g:
// for each of the rows of x [rows, d], with x̂ = (x - mean)·inv, inv =
// 1/sqrt(var + eps) (biased variance) and v = g·gamma,
//
//	dx = inv·(v - mean(v) - x̂·mean(x̂·v)).
//
// One fused pass per row after the statistics: the mean and variance are
// computed in two passes in float64 (as LayerNorm does: no cancellation in
// the variance), then one pass sums v and x̂·v and one writes dx; f32 rows
// run AVX2 code where the processor has it (layernorm_rows.go). Many rows
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
		sv, sxv := lnGradSums(xr, gr, gm, mu, inv)
		lnGradRow(or, xr, gr, gm, mu, inv, sv/float64(d), sxv/float64(d))
	}
}

// LayerNormParamGrad writes the gradients of layer normalization's gamma
// and beta for the incoming gradient g, x [rows, d]: dst[:d] = Σ g·x̂ and
// dst[d:2d] = Σ g over the rows, with x̂ = (x - mean)·inv from lnStats (as
// LayerNormGrad). The rows are split into tasks fixed by the shape
// (LayerNormParamGradAcc): each task adds its rows in order into its own
// float64 sums in acc (of LayerNormParamGradAcc(rows, d) elements), the
// tasks' sums are added in task order and rounded once, so the result does
// not depend on the number of threads; many rows run in parallel.
func LayerNormParamGrad[T Float](dst, x, g []T, acc []float64, rows, d int, eps float64) {
	tasks, per := lnParamTasks(rows, d)
	acc = acc[:tasks*2*d]
	if tasks > 1 {
		r := takeRunner[lnParamRunner[T]]()
		if r == nil {
			r = &lnParamRunner[T]{}
			r.par = newParFor(0, r.task)
		}
		r.x, r.g, r.acc = x, g, acc
		r.d, r.rows, r.per, r.eps, r.par.tasks = d, rows, per, eps, tasks
		r.par.run()
		r.x, r.g, r.acc = nil, nil, nil
		putRunner(r)
	} else {
		lnParamRows(acc, x, g, d, eps, 0, rows)
	}
	ag, ab := acc[:d], acc[d:2*d]
	for t := 1; t < tasks; t++ {
		pt := acc[t*2*d : (t+1)*2*d]
		for i := range d {
			ag[i] += pt[i]
			ab[i] += pt[d+i]
		}
	}
	for i := range d {
		dst[i] = T(ag[i])
		dst[d+i] = T(ab[i])
	}
}

// LayerNormParamGradAcc is the length of LayerNormParamGrad's acc for x
// [rows, d]: two float64 sums of d per task.
func LayerNormParamGradAcc(rows, d int) int {
	tasks, _ := lnParamTasks(rows, d)
	return tasks * 2 * d
}

// lnParamTasks splits LayerNormParamGrad's rows: about 5 units of work an
// element (the statistics' two passes and the sums).
func lnParamTasks(rows, d int) (tasks, per int) {
	if rows <= 0 || d <= 0 {
		return 1, 0
	}
	return splitTasks(rows, d*5)
}

// lnParamRows adds rows [lo, hi) into a task's sums acc[:2d], cleared first.
func lnParamRows[T Float](acc []float64, x, g []T, d int, eps float64, lo, hi int) {
	ag, ab := acc[:d], acc[d:2*d]
	clear(ag)
	clear(ab)
	for r := lo; r < hi; r++ {
		xr, gr := x[r*d:(r+1)*d], g[r*d:(r+1)*d]
		mu, inv := lnStats(xr, eps)
		lnParamRow(ag, ab, xr, gr, mu, inv)
	}
}

// lnParamRunner is a parallel call of LayerNormParamGrad: task t adds rows
// [t·per, (t+1)·per) into acc[t·2d:].
type lnParamRunner[T Float] struct {
	par          *parFor
	x, g         []T
	acc          []float64
	d, rows, per int
	eps          float64
}

func (r *lnParamRunner[T]) task(_, t int) {
	lnParamRows(r.acc[t*2*r.d:], r.x, r.g, r.d, r.eps, t*r.per, min((t+1)*r.per, r.rows))
}
