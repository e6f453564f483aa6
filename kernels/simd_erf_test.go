package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// References of the erf rows in float64, rounded to float32 by maxULP32:
// erf is math.Erf; Φ is math.Erfc(-z)/2, which does not cancel in the
// lower tail as 1 + erf(z) does; the tanh form is x·σ(2u), equal to
// 0.5 x (1 + tanh u) without its cancellation.
func refGelu(f float64) float64 { return f * 0.5 * math.Erfc(-f/math.Sqrt2) }

func refGeluTanh(f float64) float64 {
	u := math.Sqrt(2/math.Pi) * (f + 0.044715*f*f*f)
	return f * sigmoid(2*u)
}

// erfEdges are the branch points (|z| = 1/2, 1 and 10.25, z = x/√2 for
// GELU), the points where erf rounds to ±1 and GELU's tails underflow.
var erfEdges = []float32{1, -1, 0.5, -0.5, 10.25, -10.25, math.Sqrt2, -math.Sqrt2, math.Sqrt2 / 2, -math.Sqrt2 / 2,
	10.25 * math.Sqrt2, -10.25 * math.Sqrt2, 10.5 * math.Sqrt2, -10.5 * math.Sqrt2,
	3.9, -3.9, 4, -4, 5, -5, 14, -14, 20, -20, 1e-30, -1e-30, 1e-40, -1e-40}

// erfSweep is a dense sweep of [-16, 16] in steps of 2^-14 (524,289
// points), then a random sample: half uniform over [-8, 8], half random
// bit patterns, with the edges.
func erfSweep() []float32 {
	x := make([]float32, 0, 1<<20)
	for i := -1 << 18; i <= 1<<18; i++ {
		x = append(x, float32(i)*0x1p-14)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	return append(x, sample32(rng, 1<<19, -8, 8, erfEdges...)...)
}

// TestSIMDErfAccuracy checks the bounds simd_erf.go states (on every build:
// the Go rows meet them too).
func TestSIMDErfAccuracy(t *testing.T) {
	x := erfSweep()
	for _, tc := range []struct {
		name  string
		row   func(dst, x []float32)
		ref   func(float64) float64
		bound float64
	}{
		{"erf", ErfRow[float32], math.Erf, simdErfULP32},
		{"gelu", func(d, x []float32) { GeluRow(d, x, false) }, refGelu, simdGeluULP32},
		{"gelu_tanh", func(d, x []float32) { GeluRow(d, x, true) }, refGeluTanh, simdGeluTanhULP32},
	} {
		xs := x
		if !simdMath() && tc.name != "erf" {
			// The Go rows use the cancelling formulas: check them above the tails.
			xs = nil
			for _, v := range x {
				if v > -4 || v != v {
					xs = append(xs, v)
				}
			}
		}
		worst, at := maxULP32(tc.row, tc.ref, xs)
		t.Logf("%s: %d arguments, worst %v ulp at %v", tc.name, len(xs), worst, at)
		if worst > tc.bound {
			t.Errorf("%s: %v ulp at x = %v (%v), the bound is %v", tc.name, worst, at, math.Float32bits(at), tc.bound)
		}
		if tc.name == "gelu" && simdMath() {
			// Above the lower tail the bound is tighter.
			var up []float32
			for _, v := range xs {
				if v >= -0.7 {
					up = append(up, v)
				}
			}
			worst, at := maxULP32(tc.row, tc.ref, up)
			t.Logf("gelu, x >= -0.7: worst %v ulp at %v", worst, at)
			if worst > simdGeluUpperULP32 {
				t.Errorf("gelu: %v ulp at x = %v >= -0.7, the bound there is %v", worst, at, simdGeluUpperULP32)
			}
		}
	}
}

// TestSIMDErfSpecial checks the signs of zeros and the infinities exactly.
func TestSIMDErfSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	negz := float32(math.Copysign(0, -1))
	x := []float32{0, negz, inf, -inf, float32(math.NaN()), 1, 2, 3}
	for _, tc := range []struct {
		name string
		row  func(dst, x []float32)
		want []float32
	}{
		{"erf", ErfRow[float32], []float32{0, negz, 1, -1}},
		{"gelu", func(d, x []float32) { GeluRow(d, x, false) }, []float32{0, negz, inf, float32(math.NaN())}},
		{"gelu_tanh", func(d, x []float32) { GeluRow(d, x, true) }, []float32{0, negz, inf, float32(math.NaN())}},
	} {
		got := make([]float32, len(x))
		tc.row(got, x)
		for i, w := range tc.want {
			if math.Float32bits(got[i]) != math.Float32bits(w) && !(w != w && got[i] != got[i]) {
				t.Errorf("%s(%v) = %v, want %v", tc.name, x[i], got[i], w)
			}
		}
		if got[4] == got[4] {
			t.Errorf("%s(NaN) = %v", tc.name, got[4])
		}
	}
}

// TestSIMDErfPositionIndependent: a row split anywhere gives bitwise the
// whole row's results (the tail runs in a padded block of the same lanes).
func TestSIMDErfPositionIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, 37)
	for i := range x {
		x[i] = float32((rng.Float64() - 0.5) * 12)
	}
	for name, row := range map[string]func(dst, x []float32){
		"erf":       ErfRow[float32],
		"gelu":      func(d, x []float32) { GeluRow(d, x, false) },
		"gelu_tanh": func(d, x []float32) { GeluRow(d, x, true) },
	} {
		whole := make([]float32, len(x))
		row(whole, x)
		for s := range len(x) {
			for _, l := range []int{1, 3, 5, len(x) - s} {
				if s+l > len(x) {
					continue
				}
				part := make([]float32, l)
				row(part, x[s:s+l])
				for i, v := range part {
					if math.Float32bits(v) != math.Float32bits(whole[s+i]) {
						t.Fatalf("%s: x[%d] = %v gives %v in [%d:%d], %v in the whole row", name, s+i, x[s+i], v, s, s+l, whole[s+i])
					}
				}
			}
		}
	}
}
