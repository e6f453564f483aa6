package kernels

import (
	"math"
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
