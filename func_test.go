package nnc

import (
	"slices"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// An entry that unrolls a loop over the shape variable T is lowered once per
// length it is called with.
func TestFuncPerShape(t *testing.T) {
	p, err := Compile("loop.nn", []byte(`fn f(x: f32[T, 3]) -> f32 {
    acc = x[0] * 0
    for i in 0..T {
        acc = acc * 2 + x[i]
    }
    return sum(acc)
}
`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("f")
	if err != nil {
		t.Fatal(err)
	}
	// Horner: rows r0..r(T-1) give sum over rows of r_i * 2^(T-1-i).
	for _, c := range []struct {
		rows      []float64
		want      float64
		wantGrads []float64
	}{
		{[]float64{1, 2, 3, 4, 5, 6}, 2*6 + 15, []float64{2, 2, 2, 1, 1, 1}},
		{[]float64{1, 2, 3, 4, 5, 6, 1, 1, 1}, 4*6 + 2*15 + 3, []float64{4, 4, 4, 2, 2, 2, 1, 1, 1}},
	} {
		x := tensor.FromFloat64s(tensor.F32, []int{len(c.rows) / 3, 3}, c.rows)
		out, err := f.Run(map[string]*Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		if out[0].F32[0] != float32(c.want) {
			t.Errorf("T=%d: f = %v, want %v", x.Shape[0], out[0].F32[0], c.want)
		}
		_, g, err := f.Grad([]string{"x"}, map[string]*Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		if got := g[0].Float64s(); !slices.Equal(got, c.wantGrads) {
			t.Errorf("T=%d: df/dx = %v, want %v", x.Shape[0], got, c.wantGrads)
		}
	}
}

// Model arguments without defaults take their values from SetModelArgs.
func TestModelArgs(t *testing.T) {
	p, err := Compile("mf.nn", []byte(`model M(n: int, k: int = 2) {
    param W: f32[n, k] = zeros()

    fn forward(x: f32[B, n]) -> f32[B, k] {
        return x @ W
    }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Func("M.forward"); err == nil {
		t.Fatal("M.forward lowered without a value for n")
	}
	p.SetModelArgs(map[string]any{"n": 5, "k": 3, "unrelated": 1})
	s, err := p.Summary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Models) != 1 || s.Models[0].Count != 15 {
		t.Fatalf("models %+v, want 15 parameters", s.Models)
	}
}
