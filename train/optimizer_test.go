package train

import (
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// TestOptimizersMatchPyTorch runs 5 steps of each configuration and
// compares the loss and the parameters after every step with torch.optim's
// (testdata/make_optim_reference.py).
func TestOptimizersMatchPyTorch(t *testing.T) {
	matchReference(t, "testdata/optim_reference.json", 5, map[string]Optimizer{
		"sgd":             &SGD{LR: 0.1},
		"sgd_momentum":    &SGD{LR: 0.05, Momentum: 0.9},
		"sgd_nesterov_wd": &SGD{LR: 0.05, Momentum: 0.8, Nesterov: true, WeightDecay: 0.01},
		"adam":            NewAdam(0.01),
		"adam_custom":     &Adam{LR: 0.1, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1},
		"adamw":           NewAdamW(0.05, 0.2),
	}, func(name string, store *runtime.Store) {
		if store.Get(LRState) != nil {
			t.Fatalf("%s: a learning-rate state without LRState", name)
		}
	})
}

func TestOptimizerStateNames(t *testing.T) {
	bld := ops.NewBuilder()
	p := bld.Param("l1.W", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)}, nil)
	loss := bld.Must(ops.Sum, nil, bld.Mul(p, p))
	if err := BuildStep(bld, loss, nil, NewAdam(1e-3)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range bld.G.States() {
		names = append(names, s.Name()+":"+s.Type.String())
	}
	want := []string{"l1.W/adam.m:f32[2]", "l1.W/adam.v:f32[2]", "l1.W/adam.step:f64"}
	if len(names) != len(want) {
		t.Fatalf("states %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("states %v, want %v", names, want)
		}
	}
	if len(bld.G.Updates) != 4 || bld.G.Output("loss") != loss {
		t.Errorf("%d updates, loss output %v", len(bld.G.Updates), bld.G.Output("loss"))
	}
}

func TestOptimizerErrors(t *testing.T) {
	bld := ops.NewBuilder()
	x := bld.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)})
	p := bld.Param("p", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)}, nil)
	if err := (&SGD{LR: 1}).Update(bld, x, x); err == nil {
		t.Error("updating an input: no error")
	}
	if err := (&SGD{LR: 1, Nesterov: true}).Update(bld, p, p); err == nil {
		t.Error("nesterov without momentum: no error")
	}
	if err := (&Adam{LR: 1, Beta1: 1, Beta2: 0.9}).Update(bld, p, p); err == nil {
		t.Error("beta1 = 1: no error")
	}
	b2 := ops.NewBuilder()
	x2 := b2.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)})
	if err := BuildStep(b2, b2.Must(ops.Sum, nil, x2), nil, &SGD{LR: 1}); err == nil {
		t.Error("a loss without params: no error")
	}
	if err := BuildStep(bld, bld.Mul(p, p), nil, &SGD{LR: 1}); err == nil {
		t.Error("a non-scalar loss: no error")
	}
}
