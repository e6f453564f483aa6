package train

import (
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// TestOptimizersMoreMatchReference runs 10 steps of each configuration and
// compares the loss and the parameters after every step with PyTorch's
// (RMSprop, Adagrad) or the paper's rule (Lion). The scheduled runs read
// their learning rate from the LRState state, written before each step
// with SetLR, and are compared with runs whose rate was changed every step.
func TestOptimizersMoreMatchReference(t *testing.T) {
	matchReference(t, "testdata/optim_more_reference.json", 10, map[string]Optimizer{
		"rmsprop":           NewRMSprop(0.01),
		"rmsprop_full":      &RMSprop{LR: 0.01, Alpha: 0.9, Eps: 1e-6, WeightDecay: 0.1, Momentum: 0.8, Centered: true},
		"rmsprop_scheduled": &RMSprop{LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.5, LRState: LRState},
		"adagrad":           NewAdagrad(0.1),
		"adagrad_full":      &Adagrad{LR: 0.5, LRDecay: 0.1, WeightDecay: 0.05, InitialAccumulator: 0.1, Eps: 1e-6},
		"adagrad_scheduled": &Adagrad{LR: 0.01, LRDecay: 0.2, Eps: 1e-10, LRState: LRState},
		"lion":              NewLion(0.03),
		"lion_wd":           &Lion{LR: 0.02, Beta1: 0.8, Beta2: 0.95, WeightDecay: 0.5},
		"lion_scheduled":    &Lion{LR: 0.01, Beta1: 0.9, Beta2: 0.99, WeightDecay: 0.1, LRState: LRState},
	}, func(name string, store *runtime.Store) {
		if got, want := store.Get(LRState) != nil, strings.HasSuffix(name, "_scheduled"); got != want {
			t.Fatalf("%s: learning-rate state present: %v", name, got)
		}
	})
}

// TestOptimizersMoreStates checks the states each optimizer declares.
func TestOptimizersMoreStates(t *testing.T) {
	for _, c := range []struct {
		opt  Optimizer
		want string
	}{
		{NewRMSprop(0.1), "p/rmsprop.square_avg:f32[2]"},
		{&RMSprop{LR: 0.1, Alpha: 0.9, Eps: 1e-8, Momentum: 0.9, Centered: true},
			"p/rmsprop.square_avg:f32[2] p/rmsprop.grad_avg:f32[2] p/rmsprop.momentum:f32[2]"},
		{NewAdagrad(0.1), "p/adagrad.sum:f32[2]"},
		{&Adagrad{LR: 0.1, LRDecay: 0.5, Eps: 1e-10, LRState: LRState}, "p/adagrad.sum:f32[2] train/lr:f64 p/adagrad.step:f64"},
		{NewLion(0.1), "p/lion.m:f32[2]"},
	} {
		bld := ops.NewBuilder()
		p := bld.Param("p", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)}, nil)
		if err := BuildStep(bld, bld.Must(ops.Sum, nil, bld.Mul(p, p)), nil, c.opt); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range bld.G.States() {
			names = append(names, s.Name()+":"+s.Type.String())
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("%T: states %s, want %s", c.opt, got, c.want)
		}
	}
}

// TestLRStateShared checks that every parameter's update reads the one
// learning-rate state, initialized to LR, and that SetLR refuses a store
// without it.
func TestLRStateShared(t *testing.T) {
	bld := ops.NewBuilder()
	ty := ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)}
	p := bld.Param("p", ty, nil)
	q := bld.Param("q", ty, nil)
	loss := bld.Must(ops.Sum, nil, bld.Add(bld.Mul(p, p), bld.Mul(q, q)))
	if err := BuildStep(bld, loss, nil, &Lion{LR: 0.25, Beta1: 0.9, Beta2: 0.99, LRState: LRState}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range bld.G.States() {
		if s.Name() == LRState {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d learning-rate states, want 1", n)
	}
	store := runtime.NewStore()
	if err := SetLR(store, 0.1); err == nil {
		t.Error("SetLR on a store without the state: no error")
	}
	if err := runtime.InitParams(store, bld.G, 0); err != nil {
		t.Fatal(err)
	}
	if got := store.Get(LRState).At(0); got != 0.25 {
		t.Errorf("initial rate %v, want 0.25", got)
	}
	store.Set(LRState, tensor.New(tensor.F32))
	if err := SetLR(store, 0.1); err == nil {
		t.Error("SetLR on an f32 state: no error")
	}
}

// TestOptimizersMoreErrors lists hyperparameters refused.
func TestOptimizersMoreErrors(t *testing.T) {
	for _, o := range []Optimizer{
		&RMSprop{LR: 0, Alpha: 0.9, Eps: 1e-8},
		&RMSprop{LR: 0.1, Alpha: 1, Eps: 1e-8},
		&RMSprop{LR: 0.1, Alpha: 0.9, Eps: 0},
		&RMSprop{LR: 0.1, Alpha: 0.9, Eps: 1e-8, Momentum: -0.1},
		&RMSprop{LR: 0.1, Alpha: 0.9, Eps: 1e-8, WeightDecay: math.NaN()},
		&Adagrad{LR: math.Inf(1), Eps: 1e-10},
		&Adagrad{LR: 0.1, Eps: 0},
		&Adagrad{LR: 0.1, Eps: 1e-10, LRDecay: -1},
		&Adagrad{LR: 0.1, Eps: 1e-10, InitialAccumulator: -1},
		&Adagrad{LR: 0.1, Eps: 1e-10, WeightDecay: -1},
		&Lion{LR: -1, Beta1: 0.9, Beta2: 0.99},
		&Lion{LR: 0.1, Beta1: 0.9, Beta2: 1},
		&Lion{LR: 0.1, Beta1: 0.9, Beta2: 0.99, WeightDecay: 10},
		&Lion{LR: 0.1, Beta1: 0.9, Beta2: 0.99, WeightDecay: -1},
	} {
		bld := ops.NewBuilder()
		p := bld.Param("p", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)}, nil)
		if err := o.Update(bld, p, p); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	bld := ops.NewBuilder()
	x := bld.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)})
	if err := NewLion(0.1).Update(bld, x, x); err == nil {
		t.Error("updating an input: no error")
	}
}
