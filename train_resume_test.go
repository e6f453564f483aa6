package nnc

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/train"
)

// resumeSource is a digits classifier with batch norm (running statistics
// are states) and dropout (a fresh mask every step), trained with the
// optimizer and schedule given, early stopping and a checkpoint every 5
// steps.
func resumeSource(opt, schedule, hidden string) string {
	return `import "std/nn"

model Net {
    l1   = nn.Dense(64, ` + hidden + `)
    bn   = nn.BatchNorm(` + hidden + `)
    head = nn.Dense(` + hidden + `, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        h = dropout(relu(bn(l1(x))), 0.2)
        return head(h)
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train Net {
    data       = "digits"
    batch      = 64
    epochs     = 3
    optimizer  = ` + opt + `
    schedule   = ` + schedule + `
    early_stop = early_stop(monitor = "val_loss", patience = 1, min_delta = 0.001)
    checkpoint = checkpoint(every = "5 steps", keep = 2)
}
`
}

func compileSource(t *testing.T, src string) *Program {
	t.Helper()
	p, err := Compile("net.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// readFile returns a file's bytes.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTrainResumeBitwise stops runs of a model with dropout and batch
// norm at random steps (the context cancelled from OnStep, as SIGINT
// does) and resumes them from the checkpoint written where they stopped,
// or from the last periodic checkpoint before it (a run killed between
// checkpoints): the parameters and running statistics written at the end,
// and the final metrics, are bitwise those of the run never stopped. For
// SGD with momentum and a step schedule, Adam with a cosine schedule
// spanning the run, and AdamW with a constant rate.
func TestTrainResumeBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, c := range []struct{ name, opt, schedule string }{
		{"sgd", "sgd(lr = 0.05, momentum = 0.9)", "step(every = 1, gamma = 0.5)"},
		{"adam", "adam(lr = 3e-3)", "cosine(warmup = 7, min_lr = 1e-4)"},
		{"adamw", "adamw(lr = 3e-3, weight_decay = 0.1)", "constant()"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := compileSource(t, resumeSource(c.opt, c.schedule, "32"))
			dir := t.TempDir()
			want := filepath.Join(dir, "want.safetensors")
			ref, err := p.Train(TrainOptions{Output: want, CheckpointDir: filepath.Join(dir, "ref")})
			if err != nil {
				t.Fatal(err)
			}
			steps := ref.Details.Steps
			for trial := range 2 {
				stop := 1 + rng.IntN(steps-1)
				ck := filepath.Join(dir, "stopped", strings.Repeat("x", trial+1))
				ctx, cancel := context.WithCancel(context.Background())
				res, err := p.Train(TrainOptions{Context: ctx, CheckpointDir: ck, OnStep: func(e StepEvent) error {
					if e.GlobalStep == int64(stop) {
						cancel()
					}
					return nil
				}})
				cancel()
				if !errors.Is(err, context.Canceled) || res == nil || res.Details.Steps != stop {
					t.Fatalf("stopped after step %d: %v, %+v", stop, err, res)
				}
				from := []string{res.Details.Checkpoint}
				all, _ := train.Rotation{Dir: ck, Name: "Net"}.List()
				if len(all) == 2 {
					from = append(from, all[0]) // the periodic one before
				}
				for _, path := range from {
					got := filepath.Join(dir, "got.safetensors")
					res2, err := p.Train(TrainOptions{Resume: path, Output: got, CheckpointDir: filepath.Join(dir, "resumed")})
					if err != nil {
						t.Fatalf("resumed from %s: %v", filepath.Base(path), err)
					}
					if !bytes.Equal(readFile(t, got), readFile(t, want)) {
						t.Errorf("stopped after step %d, resumed from %s: the parameters differ from the uninterrupted run's", stop, filepath.Base(path))
					}
					if !sameFloats(res2.Metrics, ref.Metrics) || res2.Details.Steps != steps {
						t.Errorf("resumed from %s: %v after %d steps, uninterrupted %v after %d", filepath.Base(path), res2.Metrics, res2.Details.Steps, ref.Metrics, steps)
					}
				}
			}
		})
	}
}

func sameFloats(a, b map[string]float64) bool {
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

// TestTrainLonger: a run of 2 epochs resumed from its last checkpoint with
// 3 epochs ends bitwise as a run of 3 (the number of epochs may change
// when no schedule spans the run).
func TestTrainLonger(t *testing.T) {
	src := strings.Replace(resumeSource("sgd(lr = 0.05, momentum = 0.9)", "constant()", "16"),
		`    early_stop = early_stop(monitor = "val_loss", patience = 1, min_delta = 0.001)
`, "", 1)
	p := compileSource(t, src)
	dir := t.TempDir()
	want := filepath.Join(dir, "want.safetensors")
	if _, err := p.Train(TrainOptions{Output: want, CheckpointDir: filepath.Join(dir, "a")}); err != nil {
		t.Fatal(err)
	}
	two, err := p.Train(TrainOptions{Epochs: 2, CheckpointDir: filepath.Join(dir, "b")})
	if err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(dir, "got.safetensors")
	if _, err := p.Train(TrainOptions{Resume: two.Details.Checkpoint, Output: got, CheckpointDir: filepath.Join(dir, "c")}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, got), readFile(t, want)) {
		t.Error("2 epochs resumed to 3 differ from 3")
	}
}

// TestTrainResumeRefused: a checkpoint is refused for another model, other
// settings, a schedule spanning a run of another length, and a file that
// is not a checkpoint, each saying what differs.
func TestTrainResumeRefused(t *testing.T) {
	p := compileSource(t, resumeSource("adam(lr = 3e-3)", "cosine(warmup = 7)", "32"))
	dir := t.TempDir()
	res, err := p.Train(TrainOptions{Epochs: 1, CheckpointDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ck := res.Details.Checkpoint
	other := compileSource(t, resumeSource("adam(lr = 3e-3)", "cosine(warmup = 7)", "16"))
	notCk := filepath.Join(dir, "params.safetensors")
	if _, err := p.Train(TrainOptions{Epochs: 1, Output: notCk, CheckpointDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    *Program
		o    TrainOptions
		want []string
	}{
		{other, TrainOptions{Epochs: 1}, []string{"TrainOptions.Resume", "cannot resume: the model differs"}},
		{p, TrainOptions{Epochs: 1, Batch: 32}, []string{"batch was 64 in the checkpoint, 32 now"}},
		{p, TrainOptions{Epochs: 1, Optimizer: "sgd"}, []string{"optimizer was adam(lr = 0.003, beta1 = 0.9, beta2 = 0.999, eps = 1e-08, weight_decay = 0) in the checkpoint, sgd(lr = 0.01"}},
		{p, TrainOptions{Epochs: 2}, []string{"epochs was 1 in the checkpoint, 2 now"}},
		{p, TrainOptions{Epochs: 1, Schedule: "cosine(warmup = 8)"}, []string{`schedule was cosine(warmup = 7) in the checkpoint, cosine(warmup = 8) now`}},
	} {
		c.o.Resume, c.o.CheckpointDir = ck, t.TempDir()
		_, err := c.p.Train(c.o)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: err = %v, want %q", c.o, err, w)
			}
		}
	}
	if _, err := p.Train(TrainOptions{Resume: notCk, CheckpointDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "not an nnc checkpoint") {
		t.Errorf("a parameters file: %v", err)
	}
	// A flipped bit in the tensors, a cut file.
	b := readFile(t, ck)
	for name, bad := range map[string][]byte{"flipped": append(b[:len(b)-5:len(b)-5], b[len(b)-5]^1, b[len(b)-4], b[len(b)-3], b[len(b)-2], b[len(b)-1]), "cut": b[:len(b)/2]} {
		path := filepath.Join(dir, name+".safetensors")
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := p.Train(TrainOptions{Epochs: 1, Resume: path, CheckpointDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "TrainOptions.Resume is "+path) {
			t.Errorf("%s checkpoint: %v", name, err)
		}
		if name == "flipped" && !strings.Contains(err.Error(), "the file is corrupt") {
			t.Errorf("flipped bit: %v", err)
		}
	}
	// InitFrom takes the parameters of either.
	for _, from := range []string{ck, notCk} {
		if _, err := other.Train(TrainOptions{Epochs: 1, InitFrom: from, CheckpointDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "TrainOptions.InitFrom") {
			t.Errorf("init from %s into another model: %v", filepath.Base(from), err)
		}
		if _, err := p.Train(TrainOptions{Epochs: 1, InitFrom: from, Optimizer: "sgd", CheckpointDir: t.TempDir()}); err != nil {
			t.Errorf("init from %s: %v", filepath.Base(from), err)
		}
	}
}
