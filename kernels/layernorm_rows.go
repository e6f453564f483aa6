package kernels

import "math"

// The row passes of layer normalization (LayerNorm, LayerNormGrad,
// LayerNormParamGrad). The statistics are float64 sums over 16 lanes: lane
// k sums the elements i ≡ k (mod 16) of the row's first len &^ 15, in
// order; the rest (the tail) is summed in order on its own; lnReduce adds
// them in a fixed tree. The result depends on the row alone (not on the
// thread count, nor on whether the AVX2 code runs: it performs the same
// IEEE operations lane by lane, so f32 rows give bitwise the same sums and
// outputs either way). The elementwise passes compute each element in
// float64 with the operations written below, rounded once to T. Every
// product is converted explicitly (float64(a*b)), which keeps the compiler
// from fusing it with an addition, as the vector code does not fuse.

// lnLanes is the number of partial sums of a row reduction.
const lnLanes = 16

// lnReduce adds the lane sums and the tail's sum in a fixed order: the four
// groups of four lanes (as four vector registers) pairwise, then the four
// remaining lanes pairwise, then the tail.
func lnReduce(acc []float64, tail float64) float64 {
	var v [4]float64
	for j := range v {
		v[j] = (acc[j] + acc[4+j]) + (acc[8+j] + acc[12+j])
	}
	return ((v[0] + v[1]) + (v[2] + v[3])) + tail
}

// lnStats returns the mean of xr and 1/sqrt(var + eps) with the biased
// variance, both sums in float64 over lanes (see above) and in two passes:
// the variance sums squared deviations from the mean, so it does not
// cancel.
func lnStats[T Float](xr []T, eps float64) (mu, inv float64) {
	n := len(xr)
	m := n &^ (lnLanes - 1)
	mu = sumLanes(xr) / float64(n)
	var acc [lnLanes]float64
	x32, vec := lnVec(xr, m)
	if vec {
		lnSqDev16(&x32[0], m, mu, &acc)
	} else {
		for i := 0; i < m; i += lnLanes {
			for k := range acc {
				c := float64(xr[i+k]) - mu
				acc[k] += float64(c * c)
			}
		}
	}
	var t float64
	for _, v := range xr[m:] {
		c := float64(v) - mu
		t += float64(c * c)
	}
	return mu, 1 / math.Sqrt(lnReduce(acc[:], t)/float64(n)+eps)
}

// lnVec returns xr as []float32 and whether the AVX2 row code runs on its
// first m elements (m > 0, f32, a processor with AVX2).
func lnVec[T Float](xr []T, m int) ([]float32, bool) {
	if m == 0 || !lnAVX2() {
		return nil, false
	}
	x32, ok := any(xr).([]float32)
	return x32, ok
}

// lnForwardRow writes or = x̂·gamma + beta for one row, x̂ = (x - mu)·inv.
func lnForwardRow[T Float](or, xr, gamma, beta []T, mu, inv float64) {
	n := len(xr)
	lo := 0
	if x32, ok := lnVec(xr, n&^3); ok {
		lo = n &^ 3
		lnForwardVec(&any(or).([]float32)[0], &x32[0], &any(gamma).([]float32)[0], &any(beta).([]float32)[0], lo, mu, inv)
	}
	for i := lo; i < n; i++ {
		xh := float64((float64(xr[i]) - mu) * inv)
		or[i] = T(float64(xh*float64(gamma[i])) + float64(beta[i]))
	}
}

// lnGradSums returns Σ v and Σ x̂·v over one row, v = g·gamma, summed over
// lanes as lnStats does.
func lnGradSums[T Float](xr, gr, gamma []T, mu, inv float64) (sv, sxv float64) {
	n := len(xr)
	m := n &^ (lnLanes - 1)
	var acc [2 * lnLanes]float64
	if x32, ok := lnVec(xr, m); ok {
		lnGradSums16(&x32[0], &any(gr).([]float32)[0], &any(gamma).([]float32)[0], m, mu, inv, &acc)
	} else {
		for i := 0; i < m; i += lnLanes {
			for k := range lnLanes {
				gv := float64(float64(gr[i+k]) * float64(gamma[i+k]))
				acc[k] += gv
				acc[lnLanes+k] += float64(float64((float64(xr[i+k])-mu)*inv) * gv)
			}
		}
	}
	var ts, tx float64
	for i := m; i < n; i++ {
		gv := float64(float64(gr[i]) * float64(gamma[i]))
		ts += gv
		tx += float64(float64((float64(xr[i])-mu)*inv) * gv)
	}
	return lnReduce(acc[:lnLanes], ts), lnReduce(acc[lnLanes:], tx)
}

// lnGradRow writes dx = inv·(v - mv - x̂·mxv) for one row, v = g·gamma.
func lnGradRow[T Float](or, xr, gr, gamma []T, mu, inv, mv, mxv float64) {
	n := len(xr)
	lo := 0
	if x32, ok := lnVec(xr, n&^3); ok {
		lo = n &^ 3
		lnGradOutVec(&any(or).([]float32)[0], &x32[0], &any(gr).([]float32)[0], &any(gamma).([]float32)[0], lo, mu, inv, mv, mxv)
	}
	for i := lo; i < n; i++ {
		xh := float64((float64(xr[i]) - mu) * inv)
		gv := float64(float64(gr[i]) * float64(gamma[i]))
		or[i] = T(float64(inv * ((gv - mv) - float64(xh*mxv))))
	}
}

// lnParamRow adds one row's terms of gamma's and beta's gradients:
// ag += g·x̂, ab += g.
func lnParamRow[T Float](ag, ab []float64, xr, gr []T, mu, inv float64) {
	n := len(xr)
	lo := 0
	if x32, ok := lnVec(xr, n&^3); ok {
		lo = n &^ 3
		lnParamAccVec(&ag[0], &ab[0], &x32[0], &any(gr).([]float32)[0], lo, mu, inv)
	}
	for i := lo; i < n; i++ {
		gv := float64(gr[i])
		ag[i] += float64(gv * float64((float64(xr[i])-mu)*inv))
		ab[i] += gv
	}
}
