package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLayerNormGradFiniteDiff checks LayerNormGrad against central
// differences of sum(g·LayerNorm(x)) in float64, and that a parallel call
// (1024 rows) gives bitwise the rows of serial ones.
func TestLayerNormGradFiniteDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const rows, d, eps = 1024, 64, 1e-5
	x, g, gamma, beta := make([]float64, rows*d), make([]float64, rows*d), make([]float64, d), make([]float64, d)
	for i := range x {
		x[i], g[i] = rng.NormFloat64()*2+0.5, rng.NormFloat64()
	}
	for i := range gamma {
		gamma[i], beta[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	dx := make([]float64, rows*d)
	LayerNormGrad(dx, x, gamma, g, rows, d, eps)
	loss := func(r int) float64 {
		out := make([]float64, d)
		layerNormRows(out, x[r*d:(r+1)*d], gamma, beta, d, eps, 0, 1)
		var s float64
		for i, v := range out {
			s += v * g[r*d+i]
		}
		return s
	}
	for _, r := range []int{0, 517, rows - 1} {
		for _, i := range []int{0, 13, d - 1} {
			k, h := r*d+i, 1e-5
			x0 := x[k]
			x[k] = x0 + h
			up := loss(r)
			x[k] = x0 - h
			down := loss(r)
			x[k] = x0
			if fd := (up - down) / (2 * h); math.Abs(fd-dx[k]) > 1e-6*(1+math.Abs(fd)) {
				t.Errorf("dx[%d, %d] = %v, finite differences give %v", r, i, dx[k], fd)
			}
		}
	}
	serial := make([]float64, rows*d)
	layerNormGradRows(serial, x, gamma, g, d, eps, 0, rows)
	for i := range serial {
		if math.Float64bits(serial[i]) != math.Float64bits(dx[i]) {
			t.Fatalf("element %d: parallel %v, serial %v", i, dx[i], serial[i])
		}
	}
}
