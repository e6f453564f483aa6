package train

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// optimMoreReference is testdata/optim_more_reference.json
// (testdata/make_optim_more_reference.py): torch.optim's RMSprop and
// Adagrad, and Lion's update rule in NumPy, on a small quadratic.
type optimMoreReference struct {
	A, C, W0, V0 []float64
	Runs         map[string][]struct {
		LR, Loss float64
		W, V     []float64
	}
}

// quadraticStep builds the step graph of loss = sum(a·(w-c)²) +
// 0.5·sum(v²) with opt, and a store holding w0 and v0.
func quadraticStep(t *testing.T, ref *optimMoreReference, opt Optimizer) (*runtime.Session, *runtime.Store) {
	t.Helper()
	bld := ops.NewBuilder()
	f32 := func(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }
	a := bld.Input("a", f32(2, 3))
	c := bld.Input("c", f32(2, 3))
	w := bld.Param("w", f32(2, 3), ops.Attrs{"init": "zeros"})
	v := bld.Param("v", f32(3), ops.Attrs{"init": "zeros"})
	d := bld.Sub(w, c)
	l1 := bld.Must(ops.Sum, nil, bld.Mul(a, bld.Mul(d, d)))
	l2 := bld.Mul(bld.Scalar(ops.F32, 0.5), bld.Must(ops.Sum, nil, bld.Mul(v, v)))
	if err := BuildStep(bld, bld.Add(l1, l2), nil, opt); err != nil {
		t.Fatal(err)
	}
	store := runtime.NewStore()
	store.Set("w", tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.W0))
	store.Set("v", tensor.FromFloat64s(tensor.F32, []int{3}, ref.V0))
	if err := runtime.InitParams(store, bld.G, 0); err != nil {
		t.Fatal(err)
	}
	return runtime.NewSession(bld.G, store), store
}

// TestOptimizersMoreMatchReference runs 10 steps of each configuration and
// compares the loss and the parameters after every step with PyTorch's
// (RMSprop, Adagrad) or the paper's rule (Lion). The scheduled runs read
// their learning rate from the LRState state, written before each step
// with SetLR, and are compared with runs whose rate was changed every step.
func TestOptimizersMoreMatchReference(t *testing.T) {
	var ref optimMoreReference
	b, err := os.ReadFile("testdata/optim_more_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	configs := map[string]Optimizer{
		"rmsprop":           NewRMSprop(0.01),
		"rmsprop_full":      &RMSprop{LR: 0.01, Alpha: 0.9, Eps: 1e-6, WeightDecay: 0.1, Momentum: 0.8, Centered: true},
		"rmsprop_scheduled": &RMSprop{LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.5, LRState: LRState},
		"adagrad":           NewAdagrad(0.1),
		"adagrad_full":      &Adagrad{LR: 0.5, LRDecay: 0.1, WeightDecay: 0.05, InitialAccumulator: 0.1, Eps: 1e-6},
		"adagrad_scheduled": &Adagrad{LR: 0.01, LRDecay: 0.2, Eps: 1e-10, LRState: LRState},
		"lion":              NewLion(0.03),
		"lion_wd":           &Lion{LR: 0.02, Beta1: 0.8, Beta2: 0.95, WeightDecay: 0.5},
		"lion_scheduled":    &Lion{LR: 0.01, Beta1: 0.9, Beta2: 0.99, WeightDecay: 0.1, LRState: LRState},
	}
	if len(ref.Runs) != len(configs) {
		t.Fatalf("reference has %d runs, test %d", len(ref.Runs), len(configs))
	}
	for name, opt := range configs {
		steps := ref.Runs[name]
		if len(steps) != 10 {
			t.Fatalf("%s: %d reference steps", name, len(steps))
		}
		sess, store := quadraticStep(t, &ref, opt)
		scheduled := strings.HasSuffix(name, "_scheduled")
		if got := store.Get(LRState) != nil; got != scheduled {
			t.Fatalf("%s: learning-rate state present: %v", name, got)
		}
		at := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.A)
		ct := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.C)
		for k, st := range steps {
			if scheduled {
				if err := SetLR(store, st.LR); err != nil {
					t.Fatal(err)
				}
			}
			out, err := sess.Run(uint64(k), at, ct)
			if err != nil {
				t.Fatal(err)
			}
			near := func(what string, got, want float64) {
				if math.Abs(got-want) > 2e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("%s step %d: %s = %.8g, reference %.8g", name, k+1, what, got, want)
				}
			}
			near("loss", out[0].At(0), st.Loss)
			for i, x := range st.W {
				near("w", store.Get("w").At(i), x)
			}
			for i, x := range st.V {
				near("v", store.Get("v").At(i), x)
			}
		}
	}
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
