package nnc

import (
	"math"
	"testing"
)

// TestSetMaxPlans calls a generic entry (one plan per shape in a session)
// and an entry lowered per shape (a loop over T: one variant per shape)
// with 10 lengths and then the first 3 again, with room for 3: 10 + 3 - 3
// evictions each, and every result the sum computed here.
func TestSetMaxPlans(t *testing.T) {
	p, err := Compile("plans.nn", []byte(`fn generic(x: f32[T]) -> f32 {
    return sum(x * x)
}

fn looped(x: f32[T]) -> f32 {
    s = 0.0
    for i in 0..T {
        s = s + x[i] * x[i]
    }
    return s
}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range []string{"generic", "looped"} {
		f, err := p.Func(entry)
		if err != nil {
			t.Fatal(err)
		}
		if f.perShape != (entry == "looped") {
			t.Fatalf("%s: lowered per shape: %v", entry, f.perShape)
		}
		if err := f.SetMaxPlans(-1); err == nil {
			t.Errorf("%s: SetMaxPlans(-1) is no error", entry)
		}
		if err := f.SetMaxPlans(3); err != nil {
			t.Fatal(err)
		}
		lengths := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3}
		for _, n := range lengths {
			x, err := NewTensor(F32, n)
			if err != nil {
				t.Fatal(err)
			}
			want := 0.0
			for i := range n {
				x.F32[i] = float32(i) - 2.5
				want += float64(x.F32[i]) * float64(x.F32[i])
			}
			out, err := f.Run(map[string]*Tensor{"x": x})
			if err != nil {
				t.Fatalf("%s T=%d: %v", entry, n, err)
			}
			if got := float64(out[0].F32[0]); math.Abs(got-want) > 1e-6*want {
				t.Errorf("%s T=%d: %v, want %v", entry, n, got, want)
			}
		}
		if ev := f.PlanEvictions(); ev != 10 {
			t.Errorf("%s: %d evictions, want 10", entry, ev)
		}
	}
	var nilF *Func
	if nilF.SetMaxPlans(1) == nil || nilF.PlanEvictions() != 0 {
		t.Error("a nil Func")
	}
}
