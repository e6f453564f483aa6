package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// resumeRun describes a run of the resume tests: digits, the mlp with
// dropout, an optimizer reading a cosine schedule's rate, early stopping
// with restore_best and checkpoints every 7 steps.
type resumeRun struct {
	name  string
	opt   func() Optimizer
	sched bool
}

// config builds the run afresh: graphs, a store initialized from seed 1,
// the schedule and early stopping at their start.
func (r resumeRun) config(t *testing.T, dir string) Config {
	t.Helper()
	cfg := digitsConfig(t, 4, 5)
	sb := ops.NewBuilder()
	_, loss := mlp(sb, 32, true)
	if err := BuildStep(sb, loss, nil, r.opt()); err != nil {
		t.Fatal(err)
	}
	store := runtime.NewStore()
	for _, g := range []*ops.Graph{sb.G, cfg.Forward} {
		if err := runtime.InitParams(store, g, 1); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Step, cfg.Store = sb.G, store
	if r.sched {
		s, err := NewSchedule(Schedule{Kind: ScheduleCosine, LR: 0.05, Warmup: 10, MinLR: 0.001, Epochs: 4, StepsPerEpoch: 40})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Schedule = s
	}
	cfg.EarlyStop = &EarlyStop{Monitor: "val_loss", Patience: 1, MinDelta: 0.02, RestoreBest: true}
	cfg.Checkpoint = &CheckpointPolicy{Rotation: Rotation{Dir: dir, Name: "run", Keep: 0}, EverySteps: 7, EveryEpochs: 1,
		Best: "val_accuracy", Meta: CheckpointMeta{SourceHash: "test", Version: "test"}}
	return cfg
}

// params returns copies of the store's parameters and states.
func storeCopy(s *runtime.Store) map[string][]float64 {
	out := map[string][]float64{}
	for _, n := range s.Names() {
		t := s.Get(n)
		v := make([]float64, t.Len())
		for i := range v {
			v[i] = t.At(i)
		}
		out[n] = v
	}
	return out
}

// sameBits reports the first tensor that differs bitwise.
func sameBits(a, b map[string][]float64) string {
	if len(a) != len(b) {
		return "the number of tensors"
	}
	for n, x := range a {
		y, ok := b[n]
		if !ok || len(x) != len(y) {
			return n
		}
		for i := range x {
			if x[i] != y[i] && !(x[i] != x[i] && y[i] != y[i]) {
				return n
			}
		}
	}
	return ""
}

// TestResumeBitwise stops runs at random points (a context cancelled
// before a step, inside a step's kernels or inside an evaluation: the
// n-th check of ctx) and resumes them, from the checkpoint written when
// they stopped (SIGINT) or from the last periodic one before (SIGKILL
// between checkpoints); every resumed run must end with parameters,
// optimizer states and final metrics bitwise those of the run that was
// never stopped.
func TestResumeBitwise(t *testing.T) {
	runs := []resumeRun{
		{"sgd", func() Optimizer { return &SGD{LR: 0.05, Momentum: 0.9, WeightDecay: 1e-4} }, false},
		{"sgd_cosine", func() Optimizer { return &SGD{LR: 0.05, Momentum: 0.9, LRState: LRState} }, true},
		{"adam_cosine", func() Optimizer {
			return &Adam{LR: 0.05, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LRState: LRState}
		}, true},
	}
	rng := rand.New(rand.NewPCG(12, 0))
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			ref := r.config(t, t.TempDir())
			checks := &counting{Context: context.Background()}
			refRes, err := RunContext(checks, ref)
			if err != nil {
				t.Fatal(err)
			}
			want := storeCopy(ref.Store)
			resumed := 0
			defer func() {
				if resumed == 0 {
					t.Error("no trial stopped the run")
				}
			}()
			t.Logf("%d steps, %d epochs (stopped early: %v), %d checks of the context", refRes.Steps, refRes.Epochs, refRes.StoppedEarly, checks.n)
			for trial := 0; trial < 4; trial++ {
				dir := t.TempDir()
				cfg := r.config(t, dir)
				n := rng.IntN(checks.n)
				res, err := RunContext(&countdown{context.Background(), n}, cfg)
				if err != nil {
					t.Logf("check %d: %v", n, err)
				}
				if err == nil {
					continue // n past the end of the run
				}
				if !errors.Is(err, context.Canceled) || res == nil || res.Checkpoint == "" {
					t.Fatalf("stopped at check %d: %+v, %v", n, res, err)
				}
				from := []string{res.Checkpoint}
				if last := lastPeriodic(t, dir, res.Steps); last != "" {
					from = append(from, last)
				}
				resumed++
				for _, path := range from {
					c, err := ReadCheckpoint(path, 0)
					if err != nil {
						t.Fatal(err)
					}
					cfg2 := r.config(t, t.TempDir())
					cfg2.Resume = c
					res2, err := Run(cfg2)
					if err != nil {
						t.Fatalf("resumed from %s: %v", filepath.Base(path), err)
					}
					if d := sameBits(want, storeCopy(cfg2.Store)); d != "" {
						t.Errorf("stopped at check %d (%s), resumed from %s: %s differs from the uninterrupted run",
							n, err, filepath.Base(path), d)
					}
					if got, want := res2.Metrics(), refRes.Metrics(); !sameMetrics(got, want) {
						t.Errorf("resumed from %s: metrics %v, uninterrupted %v", filepath.Base(path), got, want)
					}
					if res2.Steps != refRes.Steps || res2.Epochs != refRes.Epochs || res2.StoppedEarly != refRes.StoppedEarly || res2.BestEpoch != refRes.BestEpoch {
						t.Errorf("resumed: %d steps, %d epochs, stopped %v, best %d; uninterrupted %d, %d, %v, %d",
							res2.Steps, res2.Epochs, res2.StoppedEarly, res2.BestEpoch,
							refRes.Steps, refRes.Epochs, refRes.StoppedEarly, refRes.BestEpoch)
					}
				}
			}
		})
	}
}

// counting is a context that counts the calls of Err.
type counting struct {
	context.Context
	n int
}

func (c *counting) Err() error {
	c.n++
	return nil
}

func sameMetrics(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// lastPeriodic returns the newest checkpoint of dir written every 7 steps
// before step steps ("" when none): where a run killed between
// checkpoints resumes.
func lastPeriodic(t *testing.T, dir string, steps int) string {
	t.Helper()
	all, err := Rotation{Dir: dir, Name: "run"}.List()
	if err != nil {
		t.Fatal(err)
	}
	best := ""
	for _, p := range all {
		c, err := ReadCheckpoint(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if c.Step%7 == 0 && c.Step < int64(steps) {
			best = p
		}
	}
	return best
}

// TestResumeRefusesOtherRuns: a checkpoint of another seed, of a run
// without the schedule, past the run's epochs or of another model is
// refused with a message saying what differs.
func TestResumeRefusesOtherRuns(t *testing.T) {
	sched := resumeRun{"adam", func() Optimizer {
		return &Adam{LR: 0.05, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LRState: LRState}
	}, true}
	dir := t.TempDir()
	cfg := sched.config(t, dir)
	cfg.Epochs = 1
	cfg.Schedule.Epochs = 1
	if _, err := Run(cfg); err != nil {
		t.Fatal(err)
	}
	latest, err := Rotation{Dir: dir, Name: "run"}.Latest()
	if err != nil {
		t.Fatal(err)
	}
	read := func() *Checkpoint {
		c, err := ReadCheckpoint(latest, 0)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Seed = 99 }, "seed is 5, the run's 99"},
		{func(c *Config) { c.Epochs, c.Schedule.Epochs, c.Resume.Batch = 1, 1, 3 }, "past the run's 1 epochs"},
		{func(c *Config) {
			sb := ops.NewBuilder()
			_, loss := mlp(sb, 16, true)
			if err := BuildStep(sb, loss, nil, &Adam{LR: 0.05, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LRState: LRState}); err != nil {
				t.Fatal(err)
			}
			c.Step = sb.G
		}, "head.W is f32[32, 10] in the checkpoint, f32[16, 10] in the model"},
		{func(c *Config) {
			c.Schedule = nil
			sb := ops.NewBuilder()
			_, loss := mlp(sb, 32, true)
			if err := BuildStep(sb, loss, nil, &SGD{LR: 0.1}); err != nil {
				t.Fatal(err)
			}
			c.Step = sb.G
		}, "the checkpoint has the states head.W/adam.m"},
	} {
		cfg := sched.config(t, t.TempDir())
		cfg.Epochs = 2
		cfg.Schedule.Epochs = 2
		cfg.Resume = read()
		c.change(&cfg)
		store := runtime.NewStore()
		for _, g := range []*ops.Graph{cfg.Step, cfg.Forward} {
			if err := runtime.InitParams(store, g, 1); err != nil {
				t.Fatal(err)
			}
		}
		cfg.Store = store
		if cfg.Forward.Params()[0].Type.Shape[1] != cfg.Step.Params()[0].Type.Shape[1] {
			cfg.Forward, cfg.Loss, cfg.Val, cfg.Test = nil, nil, nil, nil
			cfg.EarlyStop, cfg.Checkpoint.Best = nil, ""
		}
		_, err := Run(cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
	// The directory holds the checkpoints of steps 7, 14, ..., 35, of the
	// epoch's end (step 40) and the best one.
	names, _ := os.ReadDir(dir)
	if len(names) != 7 {
		t.Errorf("%d files in the checkpoint directory, want 7", len(names))
	}
}
