package bench

import (
	"math"
	goruntime "runtime"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// TestLSTMStepGraph: the optimized LSTM training step at T = 50 has no
// full-size unslice (the backward of the scan's slices is one concat), per
// step two products (h W_hh forward, g W_hhᵀ backward): W_hh's gradient
// is one product over all steps, not one per step; and per step one
// lstm_cell and one lstm_cell_grad, no separate sigmoid or tanh.
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
	// The gate math is one fused kernel per step each way.
	if count[ops.LSTMCell] != s.T || count[ops.LSTMCellGrad] != s.T || count[ops.Sigmoid]+count[ops.Tanh] != 0 {
		t.Errorf("%d lstm_cell, %d lstm_cell_grad, %d sigmoid and %d tanh nodes, want %d, %d, 0, 0",
			count[ops.LSTMCell], count[ops.LSTMCellGrad], count[ops.Sigmoid], count[ops.Tanh], s.T, s.T)
	}
	t.Logf("%d nodes, %d products, %d concats, %d unslices", len(w.Graph.Nodes), count[ops.Matmul]+count[ops.FusedMatmul], count[ops.Concat], count[ops.Unslice])
}

// lstmSteps runs steps SGD steps of w with GOMAXPROCS procs from the same
// initial parameters; it returns the losses, the final parameters, and the
// allocations of one steady step.
func lstmSteps(t *testing.T, w Workload, procs, steps int) ([]float32, *runtime.Store, float64) {
	old := goruntime.GOMAXPROCS(procs)
	defer goruntime.GOMAXPROCS(old)
	store := runtime.NewStore()
	if err := runtime.InitParams(store, w.Graph, 1); err != nil {
		t.Fatal(err)
	}
	sess := runtime.NewSession(w.Graph, store)
	var losses []float32
	for i := range steps {
		out, err := sess.Run(uint64(i), w.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, out[0].F32[0])
	}
	final := runtime.NewStore()
	for _, name := range store.Names() {
		final.Set(name, store.Get(name).Clone())
	}
	allocs := testing.AllocsPerRun(2, func() {
		if _, err := sess.Run(9, w.Inputs...); err != nil {
			t.Fatal(err)
		}
	})
	return losses, final, allocs
}

// TestLSTMStepSameForAnyGOMAXPROCS: the LSTM step (with its joined slot
// writes, the weight gradient batched over the steps and the fused cell,
// whose 64 rows of 96 units split into parallel tasks) gives bitwise the
// same losses and parameters with GOMAXPROCS 1 and 2, its loss falls, and a
// steady step allocates nothing.
func TestLSTMStepSameForAnyGOMAXPROCS(t *testing.T) {
	w, err := LSTMStep(LSTMSize{In: 16, Hidden: 96, T: 12, Batch: 64}, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	l1, s1, a1 := lstmSteps(t, w, 1, 4)
	l2, s2, a2 := lstmSteps(t, w, 2, 4)
	for i := range l1 {
		if math.Float32bits(l1[i]) != math.Float32bits(l2[i]) {
			t.Errorf("step %d: loss %v with GOMAXPROCS 1, %v with 2", i, l1[i], l2[i])
		}
	}
	if !(l1[len(l1)-1] < l1[0]) {
		t.Errorf("the loss did not fall: %v", l1)
	}
	for _, name := range s1.Names() {
		a, b := s1.Get(name).F32, s2.Get(name).F32
		for j := range a {
			if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
				t.Errorf("%s[%d] = %v with GOMAXPROCS 1, %v with 2", name, j, a[j], b[j])
				break
			}
		}
	}
	if a1 != 0 || a2 != 0 {
		t.Errorf("a steady step allocates %v (GOMAXPROCS 1) and %v (2) times, want 0", a1, a2)
	}
}
