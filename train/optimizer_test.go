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

// testdata/optim_reference.json holds torch.optim trajectories on a small
// quadratic (testdata/make_optim_reference.py).
type optimReference struct {
	A, C, W0, V0 []float64
	Runs         map[string][]struct {
		Loss float64
		W, V []float64
	}
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	var ref optimReference
	b, err := os.ReadFile("testdata/optim_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	configs := map[string]Optimizer{
		"sgd":             &SGD{LR: 0.1},
		"sgd_momentum":    &SGD{LR: 0.05, Momentum: 0.9},
		"sgd_nesterov_wd": &SGD{LR: 0.05, Momentum: 0.8, Nesterov: true, WeightDecay: 0.01},
		"adam":            NewAdam(0.01),
		"adam_custom":     &Adam{LR: 0.1, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1},
		"adamw":           NewAdamW(0.05, 0.2),
	}
	if len(ref.Runs) != len(configs) {
		t.Fatalf("reference has %d runs, test %d", len(ref.Runs), len(configs))
	}
	for name, opt := range configs {
		steps := ref.Runs[name]
		// loss = sum(a * (w - c)**2) + 0.5 * sum(v * v)
		bld := ops.NewBuilder()
		f32 := func(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }
		a := bld.Input("a", f32(2, 3))
		c := bld.Input("c", f32(2, 3))
		w := bld.Param("w", f32(2, 3), ops.Attrs{"init": "zeros"})
		v := bld.Param("v", f32(3), ops.Attrs{"init": "zeros"})
		d := bld.Sub(w, c)
		l1 := bld.Must(ops.Sum, nil, bld.Mul(a, bld.Mul(d, d)))
		l2 := bld.Mul(bld.Scalar(ops.F32, 0.5), bld.Must(ops.Sum, nil, bld.Mul(v, v)))
		loss := bld.Add(l1, l2)
		if err := BuildStep(bld, loss, nil, opt); err != nil {
			t.Fatal(err)
		}
		store := runtime.NewStore()
		store.Set("w", tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.W0))
		store.Set("v", tensor.FromFloat64s(tensor.F32, []int{3}, ref.V0))
		if err := runtime.InitParams(store, bld.G, 0); err != nil {
			t.Fatal(err)
		}
		sess := runtime.NewSession(bld.G, store)
		at := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.A)
		ct := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.C)
		for k, st := range steps {
			out, err := sess.Run(uint64(k), at, ct)
			if err != nil {
				t.Fatal(err)
			}
			close := func(what string, got, want float64) {
				if math.Abs(got-want) > 2e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("%s step %d: %s = %.8g, PyTorch %.8g", name, k+1, what, got, want)
				}
			}
			close("loss", out[0].At(0), st.Loss)
			for i, x := range st.W {
				close("w", store.Get("w").At(i), x)
			}
			for i, x := range st.V {
				close("v", store.Get("v").At(i), x)
			}
		}
	}
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
