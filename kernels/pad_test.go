package kernels

import "testing"

// TestPadMap checks reflect and edge padding on small cases worked out by
// hand, the adjoint (each output's gradient added back where it was read),
// and shapes with an empty axis or no axes.
func TestPadMap(t *testing.T) {
	x := []float64{1, 2, 3}
	out := make([]float64, 7)
	PadGather(NewPadMap([]int{3}, []int{7}, []int{2}, true), out, x)
	if want := []float64{3, 2, 1, 2, 3, 2, 1}; !equalF(out, want) {
		t.Errorf("reflect = %v, want %v", out, want)
	}
	e := NewPadMap([]int{3}, []int{6}, []int{2}, false)
	PadGather(e, out[:6], x)
	if want := []float64{1, 1, 1, 2, 3, 3}; !equalF(out[:6], want) {
		t.Errorf("edge = %v, want %v", out[:6], want)
	}
	dx := []float64{9, 9, 9}
	PadScatter(e, dx, []float64{1, 10, 100, 1000, 10000, 100000})
	if want := []float64{111, 1000, 110000}; !equalF(dx, want) {
		t.Errorf("edge grad = %v, want %v", dx, want)
	}
	// 2×2 reflected by one row above and one column each side: rows 1 0 1,
	// columns 1 0 1 0.
	m := NewPadMap([]int{2, 2}, []int{3, 4}, []int{1, 1}, true)
	o := make([]float64, 12)
	PadGather(m, o, []float64{1, 2, 3, 4})
	if want := []float64{4, 3, 4, 3, 2, 1, 2, 1, 4, 3, 4, 3}; !equalF(o, want) {
		t.Errorf("2-D reflect = %v, want %v", o, want)
	}
	// An empty leading axis writes nothing; a scalar is copied.
	PadGather(NewPadMap([]int{0, 2}, []int{0, 4}, []int{0, 1}, false), []float64{}, []float64{})
	s := []float64{0}
	PadGather(NewPadMap([]int{}, []int{}, []int{}, true), s, []float64{5})
	if s[0] != 5 {
		t.Errorf("scalar = %v, want 5", s[0])
	}
}
