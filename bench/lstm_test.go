package bench

import (
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestLSTMStepGraph: the optimized LSTM training step at T = 50 has no
// full-size unslice (the backward of the scan's slices is one concat), and
// per step two products (h W_hh forward, g W_hhᵀ backward): W_hh's gradient
// is one product over all steps, not one per step.
func TestLSTMStepGraph(t *testing.T) {
	s := LSTMSize{In: 8, Hidden: 16, T: 50, Batch: 4}
	w, err := LSTMStep(s, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	count := map[*ops.Op]int{}
	for _, n := range w.Graph.Nodes {
		count[n.Op]++
	}
	if count[ops.Unslice] > 2 {
		t.Errorf("%d unslice nodes, want at most 2", count[ops.Unslice])
	}
	if mm := count[ops.Matmul] + count[ops.FusedMatmul]; mm > 2*s.T+6 {
		t.Errorf("%d products for T = %d, want at most 2T + 6", mm, s.T)
	}
	t.Logf("%d nodes, %d products, %d concats, %d unslices", len(w.Graph.Nodes), count[ops.Matmul]+count[ops.FusedMatmul], count[ops.Concat], count[ops.Unslice])
}
