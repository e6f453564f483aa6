package kernels

import (
	"math"
	"testing"
)

func TestSoftmaxInnerAxis(t *testing.T) {
	// x viewed as [1, 2, 2]: normalize over the middle axis, strided by 2.
	x := []float64{0, 1, math.Log(3), 1}
	dst := make([]float64, 4)
	Softmax(dst, x, 1, 2, 2, false)
	want := []float64{0.25, 0.5, 0.75, 0.5}
	for i := range want {
		if math.Abs(dst[i]-want[i]) > 1e-15 {
			t.Fatalf("softmax = %v, want %v", dst, want)
		}
	}
}
