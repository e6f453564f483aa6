package runtime_test

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/bench"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// TestTrainingStepWritesParams: the MLP's training step with plain SGD
// (whose updates are fused_elementwise programs, the weights' too: not
// epilogues of their gradients' products) and with Adam (fused_adam)
// writes all its params in place, and three steps leave every param and state
// with the bits of a session that checks numerics (which copies the
// updates at the end of the run).
func TestTrainingStepWritesParams(t *testing.T) {
	for _, opt := range []string{"sgd", "adam"} {
		w, err := bench.Step(bench.MLP, opt, 1, 16, 1)
		if err != nil {
			t.Fatal(err)
		}
		var stores [2]*runtime.Store
		for mode := range 2 {
			store := runtime.NewStore()
			if err := runtime.InitParams(store, w.Graph, 1); err != nil {
				t.Fatal(err)
			}
			s := runtime.NewSession(w.Graph, store)
			if mode == 1 {
				if err := s.SetNumerics(runtime.NumericsOptions{Check: true}); err != nil {
					t.Fatal(err)
				}
			}
			plan, err := s.Plan(w.Inputs...)
			if err != nil {
				t.Fatal(err)
			}
			if n := runtime.ParamWrites(plan); n != 6 {
				t.Fatalf("%s: %d params written in place, want all six (three weights, three biases)", opt, n)
			}
			for step := range 3 {
				if _, err := s.Run(uint64(step), w.Inputs...); err != nil {
					t.Fatal(err)
				}
			}
			stores[mode] = store
		}
		for _, name := range stores[0].Names() {
			a, b := stores[0].Get(name), stores[1].Get(name)
			if a.DType != tensor.F32 {
				continue
			}
			for i := range a.F32 {
				if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
					t.Fatalf("%s: %s[%d] = %v in place, %v copied", opt, name, i, a.F32[i], b.F32[i])
				}
			}
		}
	}
}
