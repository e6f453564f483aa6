package train

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// optimReference is a reference file of optimizer trajectories on the
// quadratic loss = sum(a·(w-c)²) + 0.5·sum(v²) from w = w0, v = v0:
// testdata/optim_reference.json (torch.optim's SGD and Adam,
// make_optim_reference.py), optim_more_reference.json (torch.optim's
// RMSprop and Adagrad, Lion's rule in NumPy, make_optim_more_reference.py)
// and optim_lr_reference.json (SGD and Adam with a rate changed every
// step, make_optim_lr_reference.py). A run lists, after every step, the
// step's rate (scheduled runs), the loss before the update and the params.
type optimReference struct {
	A, C, W0, V0 []float64
	Runs         map[string][]struct {
		LR, Loss float64
		W, V     []float64
	}
}

// quadraticStep builds the step graph of the quadratic loss with opt, and
// a store holding w0 and v0.
func quadraticStep(t *testing.T, ref *optimReference, opt Optimizer) (*runtime.Session, *runtime.Store) {
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

// matchReference runs each of configs (one per run of the reference file,
// by name) on the quadratic for the file's steps (steps of them) and
// compares the loss and the params after every step with the file's, to
// 2e-5 relative. A run whose step graph reads the rate from LRState gets
// the run's rate with SetLR before every step. before, when not nil, sees
// each run's store before its first step.
func matchReference(t *testing.T, file string, steps int, configs map[string]Optimizer, before func(name string, store *runtime.Store)) {
	t.Helper()
	var ref optimReference
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Runs) != len(configs) {
		t.Fatalf("%s has %d runs, the test %d", file, len(ref.Runs), len(configs))
	}
	at := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.A)
	ct := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.C)
	for name, opt := range configs {
		run := ref.Runs[name]
		if len(run) != steps {
			t.Fatalf("%s: %d reference steps, want %d", name, len(run), steps)
		}
		sess, store := quadraticStep(t, &ref, opt)
		if before != nil {
			before(name, store)
		}
		scheduled := store.Get(LRState) != nil
		for k, st := range run {
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
