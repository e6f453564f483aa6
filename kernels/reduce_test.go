package kernels

import "testing"

func TestReduceMaxMin(t *testing.T) {
	// [2, 3] reduced over axis 0 and over axis 1.
	src := []float64{1, 5, -2, 4, 0, 7}
	for _, c := range []struct {
		keep     []int
		max, min []float64
	}{
		{[]int{1, 3}, []float64{4, 5, 7}, []float64{1, 0, -2}},
		{[]int{2, 1}, []float64{5, 7}, []float64{-2, 0}},
		{[]int{1, 1}, []float64{7}, []float64{-2}},
	} {
		p := NewBcast([]int{2, 3}, c.keep)
		idx, off := p.Scratch(), make([]int, 1)
		hi, lo := make([]float64, len(c.max)), make([]float64, len(c.min))
		ReduceMax(p, hi, src, idx, off)
		ReduceMin(p, lo, src, idx, off)
		for i := range hi {
			if hi[i] != c.max[i] || lo[i] != c.min[i] {
				t.Errorf("keep %v: max %v min %v, want %v %v", c.keep, hi, lo, c.max, c.min)
				break
			}
		}
	}
}
