package bench

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/ops"
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
