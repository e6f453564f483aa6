package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLayerNormRowsAVX2 runs layer normalization's f32 passes (forward,
// gradient, parameters' gradients) on rows of every length from 1 to 70
// and some longer ones, with the vector code (its AVX-512 forms where the
// processor has AVX-512F, and its AVX2 forms) and with the Go loops
// (simdOff), and requires bitwise the same float64 statistics and sums and
// the same outputs; and checks the forward
// against a float64 layer norm of the same inputs (within 2 f32 ulps of
// its magnitude).
func TestLayerNormRowsAVX2(t *testing.T) {
	if !X86.HasAVX2 {
		t.Skip("no AVX2: only the Go loops run")
	}
	defer func(old bool) { simdOff, lnZMMOff = old, false }(simdOff)
	// The AVX-512 forms where the processor has them, then the AVX2 ones.
	for _, wide := range []bool{true, false} {
		if wide && !X86.HasAVX512F {
			continue
		}
		lnZMMOff = !wide
		checkLayerNormRows(t)
	}
}

// checkLayerNormRows is TestLayerNormRowsAVX2 with the vector forms that
// lnZMMOff selects.
func checkLayerNormRows(t *testing.T) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	lengths := []int{127, 128, 129, 300, 1024}
	for n := 1; n <= 70; n++ {
		lengths = append(lengths, n)
	}
	const rows, eps = 3, 1e-5
	for _, d := range lengths {
		x, g := make([]float32, rows*d), make([]float32, rows*d)
		for i := range x {
			x[i], g[i] = float32(rng.NormFloat64()*3+7), float32(rng.NormFloat64())
		}
		gamma, beta := to32(randSlice(rng, d)), to32(randSlice(rng, d))
		run := func(off bool) (out, dx, dp []float32) {
			simdOff = off
			out, dx, dp = make([]float32, rows*d), make([]float32, rows*d), make([]float32, 2*d)
			layerNormRows(out, x, gamma, beta, d, eps, 0, rows)
			layerNormGradRows(dx, x, gamma, g, d, eps, 0, rows)
			LayerNormParamGrad(dp, x, g, make([]float64, 2*d), rows, d, eps)
			return out, dx, dp
		}
		for r := range rows {
			xr, gr := x[r*d:(r+1)*d], g[r*d:(r+1)*d]
			sums := func(off bool) [4]float64 {
				simdOff = off
				mu, inv := lnStats(xr, eps)
				sv, sxv := lnGradSums(xr, gr, gamma, mu, inv)
				return [4]float64{mu, inv, sv, sxv}
			}
			if v, s := sums(false), sums(true); v != s {
				t.Fatalf("d %d row %d: mean, inv, Σv, Σx̂v: AVX2 %v, Go %v", d, r, v, s)
			}
		}
		vo, vdx, vdp := run(false)
		so, sdx, sdp := run(true)
		for name, p := range map[string][2][]float32{"forward": {vo, so}, "grad": {vdx, sdx}, "param grad": {vdp, sdp}} {
			for i := range p[0] {
				if math.Float32bits(p[0][i]) != math.Float32bits(p[1][i]) {
					t.Fatalf("d %d %s [%d]: AVX2 %v, Go %v", d, name, i, p[0][i], p[1][i])
				}
			}
		}
		for r := range rows {
			xr := x[r*d : (r+1)*d]
			mu, inv := statsF64(xr, eps)
			for i, v := range xr {
				want := (float64(v)-mu)*inv*float64(gamma[i]) + float64(beta[i])
				got := float64(vo[r*d+i])
				if math.Abs(got-want) > 2*0x1p-23*(math.Abs(want)+math.Abs(float64(beta[i]))+1) {
					t.Fatalf("d %d row %d [%d]: %v, float64 gives %v", d, r, i, got, want)
				}
			}
		}
	}
}

// statsF64 is a row's mean and 1/sqrt(biased variance + eps), in float64
// with two passes: the definition the kernels' statistics are checked
// against.
func statsF64(xr []float32, eps float64) (mu, inv float64) {
	var q float64
	for _, v := range xr {
		mu += float64(v)
	}
	mu /= float64(len(xr))
	for _, v := range xr {
		q += (float64(v) - mu) * (float64(v) - mu)
	}
	return mu, 1 / math.Sqrt(q/float64(len(xr))+eps)
}
