package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPoolGradTiles checks the 2×2, stride-2 gradient on planes the
// windows tile exactly, which writes every element of dx without clearing it
// first: dx starts as NaN and must come out as computed by hand (ties to the
// first maximum, the gradient at each window's maximum, zeros elsewhere).
func TestMaxPoolGradTiles(t *testing.T) {
	// Two 2×4 planes: windows [1 5 / 4 0], [2 2 / 7 1] and [3 3 / 3 3],
	// [-1 -2 / -3 -1].
	x := []float64{
		1, 5, 2, 2,
		4, 0, 7, 1,
		3, 3, -1, -2,
		3, 3, -3, -1,
	}
	p := NewPool([]int{1, 2, 2, 4}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
	if !p.tiles2x2() {
		t.Fatal("want the tiling path")
	}
	dx := make([]float64, len(x))
	for i := range dx {
		dx[i] = math.NaN()
	}
	MaxPoolGrad(p, dx, x, []float64{10, 20, 30, 40})
	want := []float64{
		0, 10, 0, 0,
		0, 0, 20, 0,
		30, 0, 40, 0,
		0, 0, 0, 0,
	}
	if !equalF(dx, want) {
		t.Errorf("grad = %v, want %v", dx, want)
	}
	out := make([]float64, 4)
	MaxPool(p, out, x)
	if want := []float64{5, 7, 3, -1}; !equalF(out, want) {
		t.Errorf("max = %v, want %v", out, want)
	}
}

// TestMaxPoolTilesFirstMax checks that the 2×2 tiling forward pass returns
// the window's first maximum where the maxima differ in bits: -0 before +0,
// +0 before -0, and the first NaN.
func TestMaxPoolTilesFirstMax(t *testing.T) {
	negZero := math.Copysign(0, -1)
	nan1 := math.Float64frombits(0x7ff8000000000001)
	nan2 := math.Float64frombits(0x7ff8000000000002)
	x := []float64{
		negZero, 0, 0, negZero, 1, nan2,
		-1, -2, -3, -4, nan1, 2,
	}
	p := NewPool([]int{1, 1, 2, 6}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
	out := make([]float64, 3)
	MaxPool(p, out, x)
	if !math.Signbit(out[0]) || out[0] != 0 {
		t.Errorf("window 0: %v, want -0", out[0])
	}
	if math.Signbit(out[1]) || out[1] != 0 {
		t.Errorf("window 1: %v, want +0", out[1])
	}
	if b := math.Float64bits(out[2]); b != math.Float64bits(nan2) {
		t.Errorf("window 2: %#x, want the first NaN %#x", b, math.Float64bits(nan2))
	}
}

// TestPool compares pooling with its definition on a small case computed by
// hand, and checks the gradients by adjoint identities.
func TestPool(t *testing.T) {
	// One 3×4 plane, window 2, stride 1, pad 0 (outputs 2×3).
	x := []float64{
		1, 5, 2, 2,
		4, 0, 7, 1,
		3, 3, 6, 8,
	}
	p := NewPool([]int{1, 1, 3, 4}, [2]int{2, 2}, [2]int{1, 1}, [2]int{0, 0}, true)
	out := make([]float64, 6)
	MaxPool(p, out, x)
	if want := []float64{5, 7, 7, 4, 7, 8}; !equalF(out, want) {
		t.Errorf("max = %v, want %v", out, want)
	}
	dx := make([]float64, 12)
	MaxPoolGrad(p, dx, x, []float64{1, 10, 100, 1000, 10000, 100000})
	if want := []float64{0, 1, 0, 0, 1000, 0, 10110, 0, 0, 0, 0, 100000}; !equalF(dx, want) {
		t.Errorf("max grad = %v, want %v", dx, want)
	}
	AvgPool(p, out, x)
	if want := []float64{2.5, 3.5, 3, 2.5, 4, 5.5}; !equalF(out, want) {
		t.Errorf("avg = %v, want %v", out, want)
	}
	// Ties go to the first maximum in row-major order.
	tie := NewPool([]int{1, 1, 2, 2}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
	dx = make([]float64, 4)
	MaxPoolGrad(tie, dx, []float64{3, 1, 3, 3}, []float64{1})
	if want := []float64{1, 0, 0, 0}; !equalF(dx, want) {
		t.Errorf("tie grad = %v, want %v", dx, want)
	}
	// Padding: window 3, stride 2, pad 1 on 5×4; excluded padding divides by
	// the count of real elements.
	rng := rand.New(rand.NewPCG(3, 4))
	for _, inc := range []bool{true, false} {
		q := NewPool([]int{2, 1, 5, 4}, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}, inc)
		xs := randSlice(rng, 40)
		o := make([]float64, 2*q.OH*q.OW)
		AvgPool(q, o, xs)
		// Output (0, 0) sees rows 0..1 and columns 0..1 of the first plane.
		s := xs[0] + xs[1] + xs[4] + xs[5]
		want := s / 9
		if !inc {
			want = s / 4
		}
		if math.Abs(o[0]-want) > 1e-14 {
			t.Errorf("include_pad %v: avg[0] = %g, want %g", inc, o[0], want)
		}
		g := randSlice(rng, len(o))
		d := make([]float64, len(xs))
		AvgPoolGrad(q, d, g)
		if a, b := dotF(d, xs), dotF(o, g); math.Abs(a-b) > 1e-12 {
			t.Errorf("include_pad %v: ⟨dx, x⟩ = %g, ⟨avg, g⟩ = %g", inc, a, b)
		}
		MaxPool(q, o, xs)
		h := randSlice(rng, len(xs))
		pick := make([]float64, len(o))
		MaxPoolPick(q, pick, xs, h)
		MaxPoolGrad(q, d, xs, g)
		if a, b := dotF(d, h), dotF(pick, g); math.Abs(a-b) > 1e-12 {
			t.Errorf("⟨grad(g), h⟩ = %g, ⟨pick(h), g⟩ = %g", a, b)
		}
	}
}
