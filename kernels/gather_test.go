package kernels

import "testing"

// TestViewGatherScatter walks a 3x4 grid (values 0..11) through views with
// negative and skipping strides, against indices worked out by hand.
func TestViewGatherScatter(t *testing.T) {
	src := make([]float64, 12)
	for i := range src {
		src[i] = float64(i)
	}
	tests := []struct {
		shape  []int
		base   int
		stride []int
		want   []float64
	}{
		{[]int{3, 4}, 0, []int{4, 1}, src},                           // the whole grid
		{[]int{3, 2}, 3, []int{4, -2}, []float64{3, 1, 7, 5, 11, 9}}, // x[:, ::-2]
		{[]int{2, 2}, 11, []int{-8, -3}, []float64{11, 8, 3, 0}},     // x[::-2, ::-3]
		{[]int{4}, 8, []int{1}, []float64{8, 9, 10, 11}},             // x[2]
		{nil, 5, nil, []float64{5}},                                  // x[1, 1]
		{[]int{3, 0}, 0, []int{4, 1}, nil},                           // empty
	}
	for _, tt := range tests {
		v := NewView(tt.shape, tt.base, tt.stride)
		dst := make([]float64, len(tt.want))
		if tt.shape == nil {
			dst = make([]float64, 1)
		}
		Gather(v, dst, src)
		for i, w := range tt.want {
			if dst[i] != w {
				t.Errorf("gather %v %d %v: element %d = %g, want %g", tt.shape, tt.base, tt.stride, i, dst[i], w)
			}
		}
		back := make([]float64, 12)
		Scatter(v, back, dst)
		for i, w := range tt.want {
			if back[int(w)] != w {
				t.Errorf("scatter %v: element %d of %v did not land at %g", tt.shape, i, tt.want, w)
			}
		}
		if a := testing.AllocsPerRun(3, func() { Gather(v, dst, src); Scatter(v, back, dst) }); a != 0 {
			t.Errorf("view %v: %g allocations", tt.shape, a)
		}
	}
}
