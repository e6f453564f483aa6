package train

import (
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// TestScheduledSGDAdamMatchPyTorch runs SGD, Adam and AdamW reading their
// learning rate from the LRState state, set with SetLR before each step to
// a rate that changes every step, and compares the loss and the parameters
// after every step with torch.optim's whose param_groups' lr was changed
// the same way (testdata/make_optim_lr_reference.py).
func TestScheduledSGDAdamMatchPyTorch(t *testing.T) {
	matchReference(t, "testdata/optim_lr_reference.json", 10, map[string]Optimizer{
		"sgd":             &SGD{LR: 0.1, LRState: LRState},
		"sgd_momentum":    &SGD{LR: 0.1, Momentum: 0.9, LRState: LRState},
		"sgd_nesterov_wd": &SGD{LR: 0.1, Momentum: 0.8, Nesterov: true, WeightDecay: 0.01, LRState: LRState},
		"adam":            &Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LRState: LRState},
		"adam_wd":         &Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, LRState: LRState},
		"adamw":           &Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.2, Decoupled: true, LRState: LRState},
	}, func(name string, store *runtime.Store) {
		if lr := store.Get(LRState); lr == nil || lr.At(0) != 0.1 {
			t.Fatalf("%s: initial rate %v, want the optimizer's 0.1 in %s", name, lr, LRState)
		}
	})
}

// TestConstantLRHasNoState checks that without LRState, SGD and Adam keep
// the learning rate a constant of the graph (no state, so the update
// fusion sees the constant as before).
func TestConstantLRHasNoState(t *testing.T) {
	for _, o := range []Optimizer{&SGD{LR: 0.1, Momentum: 0.9}, NewAdam(0.1), NewAdamW(0.1, 0.01)} {
		bld := ops.NewBuilder()
		p := bld.Param("p", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)}, nil)
		if err := BuildStep(bld, bld.Must(ops.Sum, nil, bld.Mul(p, p)), nil, o); err != nil {
			t.Fatal(err)
		}
		for _, s := range bld.G.States() {
			if s.Name() == LRState {
				t.Errorf("%T without LRState declares %s", o, LRState)
			}
		}
	}
}
