package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// optionsConfig is the digits run of the resume tests (mlp with dropout,
// checkpoints every 7 batches) with every step setting that keeps state
// or draws: gradient accumulation over 3 batches, clipping, a moving
// average (evaluated), noise on inputs and weights, pruning, balanced
// class weights and the balanced sampler.
func optionsConfig(t *testing.T, dir string) Config {
	t.Helper()
	cfg := digitsConfig(t, 3, 5)
	sb := ops.NewBuilder()
	_, loss := mlp(sb, 32, true)
	w, err := BalancedClassWeights(cfg.Train.Get("y"), nil)
	if err != nil {
		t.Fatal(err)
	}
	so := &StepOptions{Optimizer: NewAdam(0.01), Accumulate: 3, ClipNorm: 1, EMA: 0.9,
		Noise: Noise{Input: 0.05, Weight: 0.01}, ClassWeights: w, BalancedClasses: true,
		Prune: &Prune{Sparsity: 0.6, Start: 5, End: 30, Every: 5}}
	if err := BuildStep(sb, loss, nil, so); err != nil {
		t.Fatal(err)
	}
	store := runtime.NewStore()
	for _, g := range []*ops.Graph{sb.G, cfg.Forward} {
		if err := runtime.InitParams(store, g, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := so.InitStates(store); err != nil {
		t.Fatal(err)
	}
	avg, err := AveragedGraph(cfg.Forward)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Step, cfg.Store, cfg.Forward, cfg.Loss, cfg.StepOptions = sb.G, store, avg, avg, so
	if cfg.Sampler, err = NewBalancedSampler(cfg.Train.Get("y"), 5); err != nil {
		t.Fatal(err)
	}
	cfg.Checkpoint = &CheckpointPolicy{Rotation: Rotation{Dir: dir, Name: "run", Keep: 0}, EverySteps: 7,
		Meta: CheckpointMeta{SourceHash: "test", Version: "test"}}
	return cfg
}

// TestResumeStepOptions stops the run of optionsConfig at random points
// (inside a group of accumulated batches too) and resumes it from the
// checkpoint written when it stopped and from the last one every 7 steps
// before: the accumulators, the moving averages, the masks and the class
// weights are states the checkpoint holds, the noise and the sampler's
// draws functions of the seed and the position, so every resumed run ends
// bitwise as the run never stopped.
func TestResumeStepOptions(t *testing.T) {
	ref := optionsConfig(t, t.TempDir())
	checks := &counting{Context: context.Background()}
	refRes, err := RunContext(checks, ref)
	if err != nil {
		t.Fatal(err)
	}
	want := storeCopy(ref.Store)
	for _, n := range []string{"l1.W/ema", "l1.W/prune.mask", "l1.W/accum.grad", ClassWeightsState} {
		if _, ok := want[n]; !ok {
			t.Fatalf("the store has no %s", n)
		}
	}
	rng := rand.New(rand.NewPCG(3, 0))
	resumed := 0
	for trial := 0; trial < 3; trial++ {
		dir := t.TempDir()
		n := rng.IntN(checks.n)
		res, err := RunContext(&countdown{context.Background(), n}, optionsConfig(t, dir))
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) || res == nil || res.Checkpoint == "" {
			t.Fatalf("stopped at check %d: %+v, %v", n, res, err)
		}
		from := []string{res.Checkpoint}
		if last := lastPeriodic(t, dir, res.Steps); last != "" {
			from = append(from, last)
		}
		for _, path := range from {
			c, err := ReadCheckpoint(path, 0)
			if err != nil {
				t.Fatal(err)
			}
			cfg := optionsConfig(t, t.TempDir())
			cfg.Resume = c
			res2, err := Run(cfg)
			if err != nil {
				t.Fatalf("resumed from %s: %v", filepath.Base(path), err)
			}
			resumed++
			if d := sameBits(want, storeCopy(cfg.Store)); d != "" {
				t.Errorf("stopped at check %d after %d steps, resumed from %s: %s differs", n, res.Steps, filepath.Base(path), d)
			}
			if !sameMetrics(res2.Metrics(), refRes.Metrics()) {
				t.Errorf("resumed from %s: metrics %v, uninterrupted %v", filepath.Base(path), res2.Metrics(), refRes.Metrics())
			}
		}
	}
	if resumed == 0 {
		t.Error("no trial stopped the run")
	}
}
