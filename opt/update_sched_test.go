package opt

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
	"github.com/nnclang/nnc/train"
)

// scheduledCases are the optimizers of the scheduled-update tests, each
// reading its learning rate from train.LRState, as train builds them under
// a schedule, with the fused op each update must become.
func scheduledCases() []struct {
	name string
	so   *train.StepOptions
	op   string
} {
	lr := train.LRState
	return []struct {
		name string
		so   *train.StepOptions
		op   string
	}{
		{"sgd momentum", &train.StepOptions{Optimizer: &train.SGD{LR: 0.1, Momentum: 0.9, LRState: lr}}, "fused_sgd"},
		{"sgd nesterov l2", &train.StepOptions{Optimizer: &train.SGD{LR: 0.1, Momentum: 0.5, Nesterov: true, WeightDecay: 0.01, LRState: lr}}, "fused_sgd"},
		{"sgd momentum clip_norm", &train.StepOptions{Optimizer: &train.SGD{LR: 0.1, Momentum: 0.9, LRState: lr}, ClipNorm: 0.5}, "fused_sgd"},
		{"sgd momentum clip_value", &train.StepOptions{Optimizer: &train.SGD{LR: 0.1, Momentum: 0.9, LRState: lr}, ClipValue: 0.05}, "fused_sgd"},
		{"adam", &train.StepOptions{Optimizer: &train.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LRState: lr}}, "fused_adam"},
		{"adam l2 clip_norm", &train.StepOptions{Optimizer: &train.Adam{LR: 0.01, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1, LRState: lr}, ClipNorm: 0.5}, "fused_adam"},
		{"adamw", &train.StepOptions{Optimizer: &train.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true, LRState: lr}}, "fused_adam"},
		{"adamw clip_value clip_norm", &train.StepOptions{Optimizer: &train.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true, LRState: lr}, ClipValue: 0.05, ClipNorm: 0.5}, "fused_adam"},
		{"adamw groups", &train.StepOptions{Optimizer: &train.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true, LRState: lr},
			Groups: []train.Group{{Pattern: "*b", Set: map[string]float64{"lr": 0.02, "weight_decay": 0}}}}, "fused_adam"},
		{"sgd momentum groups", &train.StepOptions{Optimizer: &train.SGD{LR: 0.1, Momentum: 0.9, LRState: lr},
			Groups: []train.Group{{Pattern: "*b", Set: map[string]float64{"lr": 0.05, "momentum": 0.5}}}}, "fused_sgd"},
	}
}

// cosineRate is the rate of step t of a cosine schedule from 0.1 over
// steps steps: the rate changes at every step.
func cosineRate(t, steps int) float64 {
	return 0.05 * (1 + math.Cos(math.Pi*float64(t)/float64(steps)))
}

// runScheduled runs steps training steps of g from the store init gives,
// setting train.LRState to cosineRate before each, and returns the losses
// and the final store.
func runScheduled(t *testing.T, g *ops.Graph, inputs []*tensor.Tensor, steps int, init func(*runtime.Store)) ([]*tensor.Tensor, *runtime.Store) {
	t.Helper()
	store := runtime.NewStore()
	if err := runtime.InitParams(store, g, 5); err != nil {
		t.Fatal(err)
	}
	if init != nil {
		init(store)
	}
	s := runtime.NewSession(g, store)
	var losses []*tensor.Tensor
	for step := range steps {
		if store.Get(train.LRState) != nil {
			if err := train.SetLR(store, cosineRate(step, steps)); err != nil {
				t.Fatal(err)
			}
		}
		out, err := s.Run(uint64(step), inputs...)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, out[0].Clone())
	}
	return losses, store
}

// fusedUpdateOf returns the fused update node that computes param p's new
// value in g (the value itself), or nil.
func fusedUpdateOf(g *ops.Graph, p string) *ops.Node {
	for _, u := range g.Updates {
		if u.Target.Name() == p && (u.Value.Op == ops.FusedSGD || u.Value.Op == ops.FusedAdam) {
			return u.Value
		}
	}
	return nil
}

// TestFusedUpdatesScheduled: with the learning rate read from a state (a
// schedule) and changed at every step, SGD with momentum (and Nesterov,
// L2 decay), Adam (and L2) and AdamW, with clip_norm, clip_value and
// parameter groups, fuse into one fused_sgd or fused_adam per parameter
// whose value is the parameter's update, the rate an operand; eight steps
// give bitwise the losses, parameters and states of the same pipeline
// without the update pass (the fused kernels round each operation as the
// unfused ops do, in the same order), on the f64 linear model and on the
// f32 digits MLP.
func TestFusedUpdatesScheduled(t *testing.T) {
	for _, c := range scheduledCases() {
		for _, model := range []string{"linear f64", "digits f32"} {
			t.Run(c.name+"/"+model, func(t *testing.T) {
				var w workload
				if model == "linear f64" {
					w = smallStep(t, c.so)
				} else {
					w = digitsStepWith(t, c.so)
				}
				og, err := Optimize(w.g, Options{Level: 1, Verify: true})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range w.g.Params() {
					n := fusedUpdateOf(og, p.Name())
					if n == nil || n.Op.Name != c.op {
						t.Fatalf("param %s: update %v, want one %s", p.Name(), n, c.op)
					}
					if lrOp := n.Attrs.Bool("lr_operand", false); c.op == "fused_sgd" && (!lrOp || n.Attrs["lr"] != nil) {
						t.Errorf("%s: fused_sgd attrs %v: want the rate as an operand", p.Name(), n.Attrs)
					}
				}
				if k := countOp(og, c.op); k != len(w.g.Params()) {
					t.Errorf("%d %s nodes for %d params", k, c.op, len(w.g.Params()))
				}
				const steps = 8
				wantL, wantS := runScheduled(t, optimizeWithout(t, w.g, "update"), w.inputs, steps, nil)
				gotL, gotS := runScheduled(t, og, w.inputs, steps, nil)
				compareRuns(t, wantL, gotL, wantS, gotS, 0, 0)
				// and the unoptimized graph, within rounding (other passes
				// reassociate and fuse the forward and backward passes)
				refL, refS := runScheduled(t, w.g, w.inputs, steps, nil)
				compareRuns(t, refL, gotL, refS, gotS, 1e-5, 1e-7)
			})
		}
	}
}

// TestFusedUpdateScheduledAttrs: AdamW's factor 1 - lr·wd under a schedule
// is an operand (decay_operand), and a constant rate stays an attribute.
func TestFusedUpdateScheduledAttrs(t *testing.T) {
	cases := []struct {
		name   string
		opt    train.Optimizer
		attr   string
		nFixed int
	}{
		{"adamw scheduled", &train.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true, LRState: train.LRState}, "decay_operand", 7},
		{"adamw constant", train.NewAdamW(0.01, 0.1), "", 6},
		{"sgd scheduled", &train.SGD{LR: 0.1, Momentum: 0.9, LRState: train.LRState}, "lr_operand", 4},
		{"sgd constant", &train.SGD{LR: 0.1, Momentum: 0.9}, "", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := smallStep(t, c.opt)
			og, err := Optimize(w.g, Options{Level: 1, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"W", "b"} {
				n := fusedUpdateOf(og, p)
				if n == nil {
					t.Fatalf("%s: not fused", p)
				}
				for _, k := range []string{"decay_operand", "lr_operand"} {
					if got := n.Attrs.Bool(k, false); got != (k == c.attr) {
						t.Errorf("%s: %s = %v", p, k, got)
					}
				}
				if c.attr == "" && n.Attrs["lr"] == nil && n.Op == ops.FusedSGD {
					t.Errorf("%s: constant rate is no attribute: %v", p, n.Attrs)
				}
				if len(n.In) != c.nFixed && n.Attrs.Str("grad", "") == "" {
					t.Errorf("%s: %d operands, want %d", p, len(n.In), c.nFixed)
				}
			}
		})
	}
}

// TestFusedUpdatesPruned: a pruned parameter's update, its new value times
// its mask (train's prune), fuses into one node with the mask as an
// operand, scheduled or not, with weight noise reading the mask too;
// weights the mask prunes stay exactly zero, and every value equals the
// pipeline without the update pass bitwise.
func TestFusedUpdatesPruned(t *testing.T) {
	prune := func() *train.Prune { return &train.Prune{Sparsity: 0.5, Start: 100, End: 200, Every: 10} }
	cases := []struct {
		name string
		so   *train.StepOptions
		op   string
	}{
		{"sgd momentum", &train.StepOptions{Optimizer: &train.SGD{LR: 0.1, Momentum: 0.9}, Prune: prune()}, "fused_sgd"},
		{"sgd momentum scheduled", &train.StepOptions{Optimizer: &train.SGD{LR: 0.1, Momentum: 0.9, LRState: train.LRState}, Prune: prune()}, "fused_sgd"},
		{"adam", &train.StepOptions{Optimizer: train.NewAdam(0.01), Prune: prune()}, "fused_adam"},
		{"adamw scheduled clip_norm", &train.StepOptions{Optimizer: &train.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true, LRState: train.LRState},
			Prune: prune(), ClipNorm: 0.5}, "fused_adam"},
		{"sgd nesterov noise ema", &train.StepOptions{Optimizer: &train.SGD{LR: 0.1, Momentum: 0.5, Nesterov: true, WeightDecay: 0.01},
			Prune: prune(), Noise: train.Noise{Weight: 0.01}, EMA: 0.9}, "fused_sgd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := digitsStepWith(t, c.so)
			og, err := Optimize(w.g, Options{Level: 1, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			pruned := c.so.Prune.Pruned()
			if len(pruned) == 0 {
				t.Fatal("nothing pruned")
			}
			for _, p := range w.g.Params() {
				n := fusedUpdateOf(og, p.Name())
				if n == nil || n.Op.Name != c.op {
					t.Fatalf("param %s: update %v, want one %s", p.Name(), n, c.op)
				}
				isPruned := strings.Contains(strings.Join(pruned, " "), p.Name())
				if n.Attrs.Bool("masked", false) != isPruned {
					t.Errorf("%s: masked %v, pruned %v", p.Name(), n.Attrs["masked"], isPruned)
				}
			}
			// Prune a third of each mask (and its weights) before the steps.
			init := func(s *runtime.Store) {
				for _, name := range pruned {
					wt, m := s.Get(name), s.Get(train.MaskState(name))
					for i := range m.Len() {
						if i%3 == 1 {
							m.Set(i, 0)
							wt.Set(i, 0)
						}
					}
				}
			}
			const steps = 6
			wantL, wantS := runScheduled(t, optimizeWithout(t, w.g, "update"), w.inputs, steps, init)
			gotL, gotS := runScheduled(t, og, w.inputs, steps, init)
			compareRuns(t, wantL, gotL, wantS, gotS, 0, 0)
			for _, name := range pruned {
				wt, m := gotS.Get(name), gotS.Get(train.MaskState(name))
				for i := range m.Len() {
					if m.At(i) == 0 && wt.At(i) != 0 {
						t.Fatalf("%s[%d] = %v, pruned", name, i, wt.At(i))
					}
				}
				if s := train.Sparsity(wt); s < 1.0/3-0.01 {
					t.Errorf("%s: sparsity %v after the steps", name, s)
				}
			}
		})
	}
}

// Example-like check of the text `nnc graph` prints: one fused update per
// parameter under a schedule.
func TestScheduledStepGraphText(t *testing.T) {
	w := digitsStepWith(t, &train.StepOptions{Optimizer: &train.SGD{LR: 0.1, Momentum: 0.9, LRState: train.LRState}})
	og, err := Optimize(w.g, Options{Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprint(og)
	if k := strings.Count(text, "fused_sgd("); k != len(w.g.Params()) {
		t.Errorf("%d fused_sgd in the graph text, want %d:\n%s", k, len(w.g.Params()), text)
	}
}

// TestPlainSGDScheduledFuses: SGD without momentum under a schedule needs
// no fused update op: each parameter's new value is one fused kernel (an
// elementwise program or a matmul's epilogue) that reads the rate's state.
func TestPlainSGDScheduledFuses(t *testing.T) {
	w := smallStep(t, &train.SGD{LR: 0.1, LRState: train.LRState})
	og, err := Optimize(w.g, Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range og.Updates {
		v := u.Value
		reads := false
		for _, x := range v.In {
			reads = reads || x.Op == ops.State && x.Name() == train.LRState
		}
		if (v.Op != ops.FusedElementwise && v.Op != ops.FusedMatmul) || !reads {
			t.Errorf("update %s <- %s reading %v", u.Target.Name(), v.Op.Name, v.In)
		}
	}
	wantL, wantS := runScheduled(t, optimizeWithout(t, w.g, "update"), w.inputs, 5, nil)
	gotL, gotS := runScheduled(t, og, w.inputs, 5, nil)
	compareRuns(t, wantL, gotL, wantS, gotS, 0, 0)
}

// TestScheduledPlanSize: under a schedule, the digits step with SGD
// momentum or AdamW runs at most two kernels more than with a constant
// rate (the rate's cast to f32; AdamW's factor 1 - lr·wd), and moves no
// more than 0.1% more bytes: the updates fuse as with a constant rate
// (before, the scheduled AdamW step ran 56 kernels moving 1.00 MB against
// 44 kernels and 0.81 MB).
func TestScheduledPlanSize(t *testing.T) {
	for _, c := range []struct {
		name         string
		fixed, sched train.Optimizer
	}{
		{"sgd momentum", &train.SGD{LR: 0.1, Momentum: 0.9}, &train.SGD{LR: 0.1, Momentum: 0.9, LRState: train.LRState}},
		{"adamw", train.NewAdamW(0.01, 0.1), &train.Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true, LRState: train.LRState}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var kernels [2]int
			var bytes [2]int64
			for i, o := range []train.Optimizer{c.fixed, c.sched} {
				w := digitsStepWith(t, o)
				og, err := Optimize(w.g, Options{Level: 1})
				if err != nil {
					t.Fatal(err)
				}
				_, _, p := runSteps(t, og, w.inputs, 1)
				kernels[i], bytes[i] = len(p.Steps), planBytes(p)
			}
			t.Logf("constant rate: %d kernels, %d bytes; scheduled: %d, %d", kernels[0], bytes[0], kernels[1], bytes[1])
			if kernels[1] > kernels[0]+2 || float64(bytes[1]) > 1.001*float64(bytes[0]) {
				t.Errorf("scheduled: %d kernels, %d bytes; constant rate: %d, %d", kernels[1], bytes[1], kernels[0], bytes[0])
			}
		})
	}
}

// TestFusedScheduledMatchPyTorch runs train's PyTorch reference for
// scheduled optimizers (train/testdata/optim_lr_reference.json, made by
// train/testdata/make_optim_lr_reference.py: torch.optim's SGD, Adam and
// AdamW on the quadratic sum(a·(w-c)²) + 0.5·sum(v²) with param_groups'
// lr changed before every step) through the optimized step, whose
// updates are fused with the rate as an operand, and compares the loss
// and the parameters after each of the 10 steps to 2e-5 relative (f32),
// as train's test of the unfused step does.
func TestFusedScheduledMatchPyTorch(t *testing.T) {
	var ref struct {
		A, C, W0, V0 []float64
		Runs         map[string][]struct {
			LR, Loss float64
			W, V     []float64
		}
	}
	b, err := os.ReadFile("../train/testdata/optim_lr_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	lr := train.LRState
	configs := map[string]struct {
		o  train.Optimizer
		op string
	}{
		"sgd_momentum":    {&train.SGD{LR: 0.1, Momentum: 0.9, LRState: lr}, "fused_sgd"},
		"sgd_nesterov_wd": {&train.SGD{LR: 0.1, Momentum: 0.8, Nesterov: true, WeightDecay: 0.01, LRState: lr}, "fused_sgd"},
		"adam":            {&train.Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LRState: lr}, "fused_adam"},
		"adam_wd":         {&train.Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, LRState: lr}, "fused_adam"},
		"adamw":           {&train.Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.2, Decoupled: true, LRState: lr}, "fused_adam"},
	}
	f32 := func(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }
	at := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.A)
	ct := tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.C)
	for name, c := range configs {
		t.Run(name, func(t *testing.T) {
			run := ref.Runs[name]
			if len(run) != 10 {
				t.Fatalf("%d reference steps", len(run))
			}
			bld := ops.NewBuilder()
			a, cc := bld.Input("a", f32(2, 3)), bld.Input("c", f32(2, 3))
			w := bld.Param("w", f32(2, 3), ops.Attrs{"init": "zeros"})
			v := bld.Param("v", f32(3), ops.Attrs{"init": "zeros"})
			d := bld.Sub(w, cc)
			loss := bld.Add(bld.Must(ops.Sum, nil, bld.Mul(a, bld.Mul(d, d))),
				bld.Mul(bld.Scalar(ops.F32, 0.5), bld.Must(ops.Sum, nil, bld.Mul(v, v))))
			if err := train.BuildStep(bld, loss, nil, c.o); err != nil {
				t.Fatal(err)
			}
			og, err := Optimize(bld.G, Options{Level: 1, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"w", "v"} {
				if n := fusedUpdateOf(og, p); n == nil || n.Op.Name != c.op {
					t.Fatalf("%s: update %v, want %s", p, n, c.op)
				}
			}
			store := runtime.NewStore()
			store.Set("w", tensor.FromFloat64s(tensor.F32, []int{2, 3}, ref.W0))
			store.Set("v", tensor.FromFloat64s(tensor.F32, []int{3}, ref.V0))
			if err := runtime.InitParams(store, og, 0); err != nil {
				t.Fatal(err)
			}
			sess := runtime.NewSession(og, store)
			near := func(k int, what string, got, want float64) {
				if math.Abs(got-want) > 2e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("step %d: %s = %.8g, PyTorch %.8g", k+1, what, got, want)
				}
			}
			for k, st := range run {
				if err := train.SetLR(store, st.LR); err != nil {
					t.Fatal(err)
				}
				out, err := sess.Run(uint64(k), at, ct)
				if err != nil {
					t.Fatal(err)
				}
				near(k, "loss", out[0].At(0), st.Loss)
				for i, x := range st.W {
					near(k, "w", store.Get("w").At(i), x)
				}
				for i, x := range st.V {
					near(k, "v", store.Get("v").At(i), x)
				}
			}
		})
	}
}
