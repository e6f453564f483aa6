package nnc

import (
	"context"
	"strings"
	"testing"
)

// TestRunBatches: run in batches of 4, 10 rows give what one run over all
// of them gives (the rows are independent), an input without the batch
// axis goes whole to every batch, and an entry whose result is not batched
// is refused.
func TestRunBatches(t *testing.T) {
	p, err := Compile("b.nn", []byte(`model M() {
    param W: f32[3, 2] = glorot_uniform()

    fn forward(x: f32[B, 3], scale: f32[2]) -> f32[B, 2] {
        return relu(x @ W) * scale
    }

    fn total(x: f32[B, 3]) -> f32 {
        return sum(x @ W)
    }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("M.forward")
	if err != nil {
		t.Fatal(err)
	}
	xs := make([]float64, 30)
	for i := range xs {
		xs[i] = float64(i%7)/4 - 0.75
	}
	x, err := TensorOf(F32, []int{10, 3}, xs)
	if err != nil {
		t.Fatal(err)
	}
	scale, err := TensorOf(F32, []int{2}, []float64{2, -0.5})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]*Tensor{"x": x, "scale": scale}
	whole, err := f.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 3, 4, 10, 64} {
		got, err := f.RunBatches(context.Background(), in, batch)
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		if len(got) != 1 || got[0].Shape[0] != 10 || got[0].Shape[1] != 2 {
			t.Fatalf("batch %d: results %v", batch, got)
		}
		for i, v := range whole[0].F32 {
			if got[0].F32[i] != v {
				t.Errorf("batch %d: element %d is %v, whole %v", batch, i, got[0].F32[i], v)
			}
		}
	}
	g, err := p.Func("M.total")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.RunBatches(context.Background(), map[string]*Tensor{"x": x}, 4); err == nil || !strings.Contains(err.Error(), "M.total: result 0 is f32, not batched along B") {
		t.Errorf("a scalar result in batches: %v", err)
	}
	if _, err := f.RunBatches(context.Background(), in, 0); err == nil {
		t.Error("batch 0: no error")
	}
}
