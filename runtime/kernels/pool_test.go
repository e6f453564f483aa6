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
