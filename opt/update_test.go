package opt

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
	"github.com/nnclang/nnc/train"
)

// digitsStepWith is models/digits.nn's training step (Classifier.loss in
// training mode, batch 64) with the optimizer o.
func digitsStepWith(tb testing.TB, o train.Optimizer) workload {
	src, err := os.ReadFile("../models/digits.nn")
	if err != nil {
		tb.Fatal(err)
	}
	m, err := lang.Load("digits.nn", src)
	if err != nil {
		tb.Fatal(err)
	}
	b := ops.NewBuilder()
	low, err := m.Lower("Classifier.loss", lang.LowerOptions{Training: true, Builder: b})
	if err != nil {
		tb.Fatal(err)
	}
	if err := train.BuildStep(b, low.Outputs[0], low.Params, o); err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(tensor.F32, 64, 64)
	for i := range x.F32 {
		x.F32[i] = float32(rng.Float64() * 16)
	}
	y := tensor.New(tensor.I32, 64)
	for i := range y.I32 {
		y.I32[i] = int32(rng.IntN(10))
	}
	return workload{b.G, []*tensor.Tensor{x, y}}
}

// optimizeWithout runs every pass but skip, with the verifier after each.
func optimizeWithout(t *testing.T, g *ops.Graph, skip string) *ops.Graph {
	t.Helper()
	for _, p := range Passes {
		if p.Name == skip {
			continue
		}
		ng, err := runPass(p, g)
		if err != nil {
			t.Fatal(err)
		}
		if err := ops.Verify(ng); err != nil {
			t.Fatalf("after %s: %v", p.Name, err)
		}
		g = ng
	}
	return g
}

func countOp(g *ops.Graph, name string) int {
	k := 0
	for _, n := range g.Nodes {
		if n.Op.Name == name {
			k++
		}
	}
	return k
}

// inPlaceUpdates counts the updates whose value is their target.
func inPlaceUpdates(g *ops.Graph) int {
	k := 0
	for _, u := range g.Updates {
		if u.Value == u.Target {
			k++
		}
	}
	return k
}

// runSteps runs steps training steps of g from the same initial store and
// returns the losses and the final store.
func runSteps(t *testing.T, g *ops.Graph, inputs []*tensor.Tensor, steps int) ([]*tensor.Tensor, *runtime.Store, *runtime.Plan) {
	t.Helper()
	store := runtime.NewStore()
	if err := runtime.InitParams(store, g, 5); err != nil {
		t.Fatal(err)
	}
	s := runtime.NewSession(g, store)
	var losses []*tensor.Tensor
	for step := range steps {
		out, err := s.Run(uint64(step), inputs...)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, out[0].Clone())
	}
	p, err := s.Plan(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	return losses, store, p
}

// compareRuns requires equal losses and stores within rtol (relative) and
// atol.
func compareRuns(t *testing.T, wantL, gotL []*tensor.Tensor, want, got *runtime.Store, rtol, atol float64) {
	t.Helper()
	for i := range wantL {
		compare(t, fmt.Sprintf("loss of step %d", i), map[string]*tensor.Tensor{"loss": wantL[i]}, map[string]*tensor.Tensor{"loss": gotL[i]}, rtol, atol)
	}
	w, g := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
	for _, name := range want.Names() {
		w[name], g[name] = want.Get(name), got.Get(name)
	}
	compare(t, "store", w, g, rtol, atol)
}

// TestFusedUpdatesDigits trains the digits MLP for a few steps with Adam
// and with SGD with momentum, at -O0 and optimized: the losses, parameters
// and optimizer states agree within 1e-6 relative (f32), every parameter's
// update is one fused kernel that writes its states in place, and the plan
// runs fewer kernels than the same pipeline without the update pass.
func TestFusedUpdatesDigits(t *testing.T) {
	cases := []struct {
		name   string
		opt    train.Optimizer
		op     string
		states int // per parameter, written in place
		// fewer is the least number of kernels saved: Adam's new m, v and p
		// were three kernels per parameter; with SGD the weights' new
		// momentum was already a matmul epilogue, so only the two biases
		// save a kernel.
		fewer int
	}{
		{"adam", train.NewAdam(1e-3), "fused_adam", 2, 8},
		{"sgd momentum", &train.SGD{LR: 0.05, Momentum: 0.9}, "fused_sgd", 1, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := digitsStepWith(t, c.opt)
			og, err := Optimize(w.g, Options{Level: 1, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			nParams := len(w.g.Params())
			if k := countOp(og, c.op); k != nParams {
				t.Errorf("%d %s nodes for %d params", k, c.op, nParams)
			}
			if k := inPlaceUpdates(og); k != c.states*nParams {
				t.Errorf("%d states updated in place, want %d", k, c.states*nParams)
			}
			const steps = 3
			wantL, wantS, p0 := runSteps(t, w.g, w.inputs, steps)
			gotL, gotS, p1 := runSteps(t, og, w.inputs, steps)
			compareRuns(t, wantL, gotL, wantS, gotS, 1e-6, 1e-9)

			_, _, pNo := runSteps(t, optimizeWithout(t, w.g, "update"), w.inputs, 1)
			t.Logf("kernels per step: -O0 %d, optimized without the update pass %d, with it %d; bytes %d, %d, %d",
				len(p0.Steps), len(pNo.Steps), len(p1.Steps), planBytes(p0), planBytes(pNo), planBytes(p1))
			if len(p1.Steps) > len(pNo.Steps)-c.fewer {
				t.Errorf("%d kernels with the update pass, %d without: want at least %d fewer", len(p1.Steps), len(pNo.Steps), c.fewer)
			}
			if planBytes(p1) >= planBytes(pNo) {
				t.Errorf("%d bytes moved with the update pass, %d without", planBytes(p1), planBytes(pNo))
			}
		})
	}
}

// smallStep is a linear regression step on f64: x [5, 4] @ W [4, 3] + b,
// mean squared error, trained by o.
func smallStep(t *testing.T, o train.Optimizer) workload {
	b := ops.NewBuilder()
	ty := func(d ...int) ops.Type { return ops.Type{DType: ops.F64, Shape: ops.ShapeOf(d...)} }
	x, y := b.Input("x", ty(5, 4)), b.Input("y", ty(5, 3))
	W, bias := b.Param("W", ty(4, 3), nil), b.Param("b", ty(3), ops.Attrs{"init": "normal"})
	pred := b.Must(ops.Add, nil, b.Must(ops.Matmul, nil, x, W), bias)
	d := b.Must(ops.Sub, nil, pred, y)
	loss := b.Must(ops.Mean, nil, b.Must(ops.Mul, nil, d, d))
	if err := train.BuildStep(b, loss, nil, o); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 9))
	in := []*tensor.Tensor{tensor.New(tensor.F64, 5, 4), tensor.New(tensor.F64, 5, 3)}
	for _, v := range in {
		for i := range v.F64 {
			v.F64[i] = rng.NormFloat64()
		}
	}
	return workload{b.G, in}
}

// TestFusedUpdateVariants: weight decay (L2 and AdamW's), Nesterov momentum;
// each is absorbed into the fused node and gives the unfused graph's values
// (f64, within 1e-12; the kernels round as the unfused ops do).
func TestFusedUpdateVariants(t *testing.T) {
	cases := []struct {
		name  string
		opt   train.Optimizer
		op    string
		nIn   int
		decay string
	}{
		{"adam", train.NewAdam(0.01), "fused_adam", 6, ""},
		{"adam l2", &train.Adam{LR: 0.01, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1}, "fused_adam", 6, "l2"},
		{"adamw", train.NewAdamW(0.01, 0.1), "fused_adam", 6, "decoupled"},
		{"sgd momentum", &train.SGD{LR: 0.1, Momentum: 0.9}, "fused_sgd", 3, ""},
		{"sgd nesterov decay", &train.SGD{LR: 0.1, Momentum: 0.5, Nesterov: true, WeightDecay: 0.01}, "fused_sgd", 3, "l2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := smallStep(t, c.opt)
			og, err := Optimize(w.g, Options{Level: 1, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			var fused []*ops.Node
			for _, n := range og.Nodes {
				if n.Op.Name == c.op {
					fused = append(fused, n)
				}
			}
			if len(fused) != 2 {
				t.Fatalf("%d %s nodes, want 2", len(fused), c.op)
			}
			for _, n := range fused {
				if len(n.In) != c.nIn || n.Attrs.Str("decay", "") != c.decay {
					t.Errorf("%s has %d operands and decay %q, want %d and %q", c.op, len(n.In), n.Attrs.Str("decay", ""), c.nIn, c.decay)
				}
			}
			wantL, wantS, _ := runSteps(t, w.g, w.inputs, 4)
			gotL, gotS, _ := runSteps(t, og, w.inputs, 4)
			compareRuns(t, wantL, gotL, wantS, gotS, 1e-12, 1e-12)
		})
	}
}

// TestFusedUpdateNeedsPrivateState: a state that something else reads (here
// Adam's first moment, also an output) is not written in place, so its
// parameter's update is left unfused; the other parameter's is fused.
func TestFusedUpdateNeedsPrivateState(t *testing.T) {
	w := smallStep(t, train.NewAdam(0.01))
	b := w.g
	var m *ops.Node
	for _, s := range b.States() {
		if s.Name() == "W/adam.m" {
			m = s
		}
	}
	if m == nil {
		t.Fatal("no state W/adam.m")
	}
	b.Outputs = append(b.Outputs, ops.Output{Name: "m", Node: m})
	og, err := Optimize(b, Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if k := countOp(og, "fused_adam"); k != 1 {
		t.Errorf("%d fused_adam nodes, want 1 (for b only)", k)
	}
	for _, n := range og.Nodes {
		if n.Op == ops.FusedAdam && n.In[0].Name() != "b" {
			t.Errorf("fused_adam updates %s", n.In[0].Name())
		}
	}
	wantL, wantS, _ := runSteps(t, b, w.inputs, 3)
	gotL, gotS, _ := runSteps(t, og, w.inputs, 3)
	compareRuns(t, wantL, gotL, wantS, gotS, 1e-12, 1e-12)
}
