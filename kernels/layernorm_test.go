package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
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

// TestLayerNormParamGradSplit: the parameters' gradients of many rows,
// split into tasks, match a float64 computation of Σ g·x̂ and Σ g (x̂ from
// the two-pass mean and biased variance) and are bitwise the same at
// GOMAXPROCS 1, 2 and 3.
func TestLayerNormParamGradSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][2]int{{1024, 128}, {333, 257}, {3, 5}} {
		rows, d := s[0], s[1]
		const eps = 1e-5
		x, g := make([]float32, rows*d), make([]float32, rows*d)
		for i := range x {
			x[i], g[i] = float32(rng.NormFloat64()*2+1), float32(rng.NormFloat64())
		}
		if tasks, _ := lnParamTasks(rows, d); (rows >= 333) != (tasks > 1) {
			t.Fatalf("%d×%d: %d tasks", rows, d, tasks)
		}
		want := make([]float64, 2*d)
		for r := range rows {
			xr, gr := x[r*d:(r+1)*d], g[r*d:(r+1)*d]
			mu, inv := statsF64(xr, eps)
			for i, v := range xr {
				want[i] += float64(gr[i]) * (float64(v) - mu) * inv
				want[d+i] += float64(gr[i])
			}
		}
		var first []float32
		for _, procs := range []int{1, 2, 3} {
			prev := runtime.GOMAXPROCS(procs)
			dst := make([]float32, 2*d)
			LayerNormParamGrad(dst, x, g, make([]float64, LayerNormParamGradAcc(rows, d)), rows, d, eps)
			runtime.GOMAXPROCS(prev)
			for i, w := range want {
				if math.Abs(float64(dst[i])-w) > 1e-5*(1+math.Abs(w)) {
					t.Fatalf("%d×%d GOMAXPROCS=%d: [%d] = %v, want %v", rows, d, procs, i, dst[i], w)
				}
			}
			if first == nil {
				first = dst
				continue
			}
			for i := range dst {
				if math.Float32bits(dst[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%d×%d GOMAXPROCS=%d: [%d] = %v, %v at GOMAXPROCS=1", rows, d, procs, i, dst[i], first[i])
				}
			}
		}
	}
}
