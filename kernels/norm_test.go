package kernels

import (
	"math"
	"testing"
)

func TestNorms(t *testing.T) {
	// Layer norm of one row [1, 2, 3, 6]: mean 3, variance 3.5.
	x := []float64{1, 2, 3, 6}
	out := make([]float64, 4)
	LayerNorm(out, x, []float64{1, 2, 1, 1}, []float64{0, 0, 0, 1}, 1, 4, 0)
	s := math.Sqrt(3.5)
	if want := []float64{-2 / s, -2 / s, 0, 3/s + 1}; !equalF(out, want) {
		t.Errorf("layer norm = %v, want %v", out, want)
	}
	// Batch norm of x [2, 2, 1]: channel 0 holds 1 and 3, channel 1 holds 2 and 6.
	BatchNorm(out, []float64{1, 2, 3, 6}, []float64{1, 2}, []float64{0, 1}, 2, 2, 1, 0)
	if want := []float64{-1, -1, 1, 3}; !equalF(out, want) {
		t.Errorf("batch norm = %v, want %v", out, want)
	}
}
