package runtime_test

import (
	"math"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"testing"

	"github.com/nnclang/nnc/bench"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
	"github.com/nnclang/nnc/train"
)

// digitsStep is models/digits.nn's training step (dropout, Adam, L2) for a
// batch of 64 random digits, optimized at level.
func digitsStep(t *testing.T, level int) bench.Workload {
	src, err := os.ReadFile("../models/digits.nn")
	if err != nil {
		t.Fatal(err)
	}
	m, err := lang.Load("digits.nn", src)
	if err != nil {
		t.Fatal(err)
	}
	b := ops.NewBuilder()
	low, err := m.Lower("Classifier.loss", lang.LowerOptions{Training: true, Builder: b})
	if err != nil {
		t.Fatal(err)
	}
	if err := train.BuildStep(b, low.Outputs[0], low.Params, train.NewAdam(1e-3)); err != nil {
		t.Fatal(err)
	}
	g, err := opt.Optimize(b.G, opt.Options{Level: level})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	x, y := tensor.New(tensor.F32, 64, 64), tensor.New(tensor.I32, 64)
	for i := range x.F32 {
		x.F32[i] = float32(rng.Float64() * 16)
	}
	for i := range y.I32 {
		y.I32[i] = int32(rng.IntN(10))
	}
	return bench.Workload{Graph: g, Inputs: []*tensor.Tensor{x, y}}
}

// trainSteps runs steps training steps of w with GOMAXPROCS procs from the
// same initial parameters and returns the losses and the final store.
func trainSteps(t *testing.T, w bench.Workload, procs, steps int) ([]float32, *runtime.Store) {
	losses, store, _ := trainStepsWith(t, w, procs, steps, false)
	return losses, store
}

// TestStepsSameForAnyGOMAXPROCS: a digits training step (at O0 and O1) and
// a ConvNet step (bench/convnet.nn, batch 16, whose convolutions and
// poolings split into tasks) and the MLP step of bench/mlp.nn (batch 128,
// Adam, with products large enough for parallel gemm and an update split
// into chunks) and a transformer step (bench/transformer.nn, whose attention
// runs its (batch, head) sets and GELU its rows in parallel) give bitwise
// the same losses and parameters after several steps with GOMAXPROCS 1
// and 2.
func TestStepsSameForAnyGOMAXPROCS(t *testing.T) {
	conv, err := bench.Step(bench.ConvNet, "sgd", 1, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	mlp, err := bench.Step(bench.MLP, "adam", 1, 128, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := bench.TransformerStep(bench.TransformerSize{D: 64, Heads: 4, T: 32, Batch: 8}, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		w     bench.Workload
		steps int
	}{
		{"digits O0", digitsStep(t, 0), 4},
		{"digits O1", digitsStep(t, 1), 4},
		{"convnet O1", conv, 3},
		{"mlp O1", mlp, 3},
		{"transformer O1", tr, 3},
	} {
		l1, s1 := trainSteps(t, c.w, 1, c.steps)
		l2, s2 := trainSteps(t, c.w, 2, c.steps)
		for i := range l1 {
			if math.Float32bits(l1[i]) != math.Float32bits(l2[i]) {
				t.Errorf("%s: step %d loss %v with GOMAXPROCS 1, %v with 2", c.name, i, l1[i], l2[i])
			}
		}
		if l1[len(l1)-1] >= l1[0] || math.IsNaN(float64(l1[0])) {
			t.Errorf("%s: the loss did not fall: %v", c.name, l1)
		}
		for _, name := range s1.Names() {
			a, b := s1.Get(name).F32, s2.Get(name).F32
			for j := range a {
				if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
					t.Errorf("%s: %s[%d] = %v with GOMAXPROCS 1, %v with 2", c.name, name, j, a[j], b[j])
					break
				}
			}
		}
	}
}

// TestParallelStepsAllocateNothing: the ConvNet and MLP steps, whose
// kernels split into tasks on the pool, allocate nothing per steady step
// with GOMAXPROCS 2.
func TestParallelStepsAllocateNothing(t *testing.T) {
	old := goruntime.GOMAXPROCS(2)
	defer goruntime.GOMAXPROCS(old)
	for _, m := range []bench.Model{bench.ConvNet, bench.MLP} {
		w, err := bench.Step(m, "sgd", 1, 32, 1)
		if err != nil {
			t.Fatal(err)
		}
		store := runtime.NewStore()
		if err := runtime.InitParams(store, w.Graph, 1); err != nil {
			t.Fatal(err)
		}
		sess := runtime.NewSession(w.Graph, store)
		run := func() {
			if _, err := sess.Run(1, w.Inputs...); err != nil {
				t.Fatal(err)
			}
		}
		run()
		if a := testing.AllocsPerRun(5, run); a != 0 {
			t.Errorf("%s: %v allocations per step", m.Name, a)
		}
	}
}
