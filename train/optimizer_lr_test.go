package train

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// TestScheduledSGDAdamMatchPyTorch runs SGD, Adam and AdamW reading their
// learning rate from the LRState state, set with SetLR before each step to
// a rate that changes every step, and compares the loss and the parameters
// after every step with torch.optim's whose param_groups' lr was changed
// the same way (testdata/make_optim_lr_reference.py).
func TestScheduledSGDAdamMatchPyTorch(t *testing.T) {
	var ref optimMoreReference
	b, err := os.ReadFile("testdata/optim_lr_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	configs := map[string]Optimizer{
		"sgd":             &SGD{LR: 0.1, LRState: LRState},
		"sgd_momentum":    &SGD{LR: 0.1, Momentum: 0.9, LRState: LRState},
		"sgd_nesterov_wd": &SGD{LR: 0.1, Momentum: 0.8, Nesterov: true, WeightDecay: 0.01, LRState: LRState},
		"adam":            &Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LRState: LRState},
		"adam_wd":         &Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, LRState: LRState},
		"adamw":           &Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.2, Decoupled: true, LRState: LRState},
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
		if got := store.Get(LRState).At(0); got != 0.1 {
			t.Fatalf("%s: initial rate %v, want the optimizer's 0.1", name, got)
		}
		at := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.A)
		ct := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.C)
		for k, st := range steps {
			if err := SetLR(store, st.LR); err != nil {
				t.Fatal(err)
			}
			out, err := sess.Run(uint64(k), at, ct)
			if err != nil {
				t.Fatal(err)
			}
			near := func(what string, got, want float64) {
				if math.Abs(got-want) > 2e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("%s step %d: %s = %.8g, PyTorch %.8g", name, k+1, what, got, want)
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
