package bench

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// TestTransformerStepSameForAnyGOMAXPROCS: the transformer step, with 80
// tokens (two strips of the fused attention's query rows and two key tiles,
// the second of each partial, under the causal mask), runs its attention
// backward as attention_grad, gives bitwise the same losses and parameters
// with GOMAXPROCS 1 and 2, its loss falls, and a steady step allocates
// nothing.
func TestTransformerStepSameForAnyGOMAXPROCS(t *testing.T) {
	w, err := TransformerStep(TransformerSize{D: 32, Heads: 4, T: 80, Batch: 3}, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	count := map[*ops.Op]int{}
	for _, n := range w.Graph.Nodes {
		count[n.Op]++
	}
	if count[ops.Attention] != 2 || count[ops.AttentionGrad] != 2 || count[ops.Softmax] > 1 {
		t.Errorf("%d attention, %d attention_grad, %d softmax nodes: want 2, 2 and at most 1 (the loss's)",
			count[ops.Attention], count[ops.AttentionGrad], count[ops.Softmax])
	}
	type run struct {
		losses []float32
		store  *runtime.Store
		allocs float64
	}
	var runs [2]run
	for i := range runs {
		r := &runs[i]
		r.losses, r.store, r.allocs = lstmSteps(t, w, i+1, 4)
		if r.allocs != 0 {
			t.Errorf("GOMAXPROCS %d: a steady step allocates %v times, want 0", i+1, r.allocs)
		}
	}
	if j := firstBitDiff(runs[0].losses, runs[1].losses); j >= 0 {
		t.Errorf("losses differ at step %d: %v with GOMAXPROCS 1, %v with 2", j, runs[0].losses, runs[1].losses)
	}
	if l := runs[0].losses; !(l[len(l)-1] < l[0]) {
		t.Errorf("the loss did not fall: %v", l)
	}
	for _, name := range runs[0].store.Names() {
		if j := firstBitDiff(runs[0].store.Get(name).F32, runs[1].store.Get(name).F32); j >= 0 {
			t.Errorf("%s differs at %d between GOMAXPROCS 1 and 2", name, j)
		}
	}
}

// firstBitDiff is the first index where a and b differ bitwise, or -1.
func firstBitDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}
