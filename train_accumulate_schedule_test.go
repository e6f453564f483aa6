package nnc

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestScheduleCountsUpdates: with accumulate = 2 a schedule advances once
// per parameter update, not per batch, and its horizon is the run's
// updates. Digits' training set (70% of 1,797 rows, 1,257) in batches of
// 200 is 7 batches an epoch, so 4 updates (groups of 2, 2, 2 and 1); over 2
// epochs T = 8, and linear(warmup = 0) gives LR·(1 - u/T) to a batch that
// follows u updates.
func TestScheduleCountsUpdates(t *testing.T) {
	src := filepath.Join(t.TempDir(), "m.nn")
	prog := `model M {
    param w: f32[64, 10] = zeros()
    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        return x @ w
    }
    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train M {
    data       = "digits"
    optimizer  = sgd(lr = 0.1)
    schedule   = linear(warmup = 0)
    accumulate = 2
    batch      = 200
    epochs     = 2
}
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := CompileFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	_, err = p.Train(TrainOptions{OnStep: func(e StepEvent) error {
		got = append(got, e.LR)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	const lr, T = 0.1, 8.0
	var want []float64
	for range 2 { // epochs
		for i := range 7 { // batches: updates done before batch i of the epoch
			want = append(want, float64(i/2))
		}
	}
	for i := 7; i < 14; i++ {
		want[i] += 4
	}
	if len(got) != len(want) {
		t.Fatalf("%d steps, want %d", len(got), len(want))
	}
	for i, u := range want {
		if w := lr * (1 - u/T); math.Abs(got[i]-w) > 1e-15 {
			t.Errorf("batch %d: rate %v, want %v (after %v updates)", i+1, got[i], w, u)
		}
	}
}
