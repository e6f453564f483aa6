package nnc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyModel writes a linear classifier and a 100-row CSV (4 features, 2
// classes) into a temporary directory; train holds the train block's
// settings.
func tinyModel(t *testing.T, train string) string {
	t.Helper()
	dir := t.TempDir()
	var csv strings.Builder
	for i := range 100 {
		a, b := float64(i%7)/7, float64(i%5)/5
		fmt.Fprintf(&csv, "%g,%g,%g,%g,%d\n", a, b, a*b, 1-a, i%2)
	}
	src := `model M() {
    param W: f32[4, 2] = glorot_uniform()

    fn forward(x: f32[B, 4]) -> f32[B, 2] {
        return x @ W
    }

    fn loss(x: f32[B, 4], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train M {
` + train + `
}
`
	for name, text := range map[string]string{"m.nn": src, "d.csv": csv.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "m.nn")
}

// cancelWriter cancels a context at its first write (the first progress
// line, after epoch 1).
type cancelWriter struct{ cancel context.CancelFunc }

func (w cancelWriter) Write(p []byte) (int, error) { w.cancel(); return len(p), nil }

// TestTrainContextCancel: cancelled after the first epoch, TrainContext
// stops before the second epoch's first step (70 training rows in batches of
// 10: 7 steps), returns the result so far with an error wrapping
// context.Canceled, and writes the parameters reached: those of a one-epoch
// run, bit for bit.
func TestTrainContextCancel(t *testing.T) {
	file := tinyModel(t, `    data = "d.csv"
    batch = 10
    epochs = 50
    optimizer = sgd(lr = 0.1)`)
	p, err := CompileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(file)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := filepath.Join(dir, "stopped.safetensors")
	res, err := p.TrainContext(ctx, TrainOptions{Output: stopped, Progress: cancelWriter{cancel}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res == nil || res.Details.Steps != 7 || res.Details.Epochs != 1 || len(res.Metrics) != 0 {
		t.Fatalf("result %+v, want 7 steps, 1 epoch, no metrics", res)
	}
	one := filepath.Join(dir, "one.safetensors")
	if _, err := p.Train(TrainOptions{Output: one, Epochs: 1}); err != nil {
		t.Fatal(err)
	}
	a, errA := os.ReadFile(stopped)
	b, errB := os.ReadFile(one)
	if errA != nil || errB != nil || len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("parameters after the cancelled run differ from a one-epoch run (%v, %v)", errA, errB)
	}
	if _, err := p.EvalContext(ctx, EvalOptions{Params: one}); !errors.Is(err, context.Canceled) {
		t.Errorf("EvalContext with a cancelled context: %v", err)
	}
}

// TestTrainOptionsInvalid: a value no setting can take is an error, never
// the default (issue 9, item 5); zero means "not given".
func TestTrainOptionsInvalid(t *testing.T) {
	p, err := CompileFile(tinyModel(t, `    data = "d.csv"
    epochs = 1`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    TrainOptions
		want string
	}{
		{TrainOptions{Epochs: -1}, "TrainOptions.Epochs is -1"},
		{TrainOptions{Batch: -5}, "TrainOptions.Batch is -5"},
		{TrainOptions{LR: math.NaN()}, "TrainOptions.LR is NaN"},
		{TrainOptions{LR: -1}, "TrainOptions.LR is -1"},
		{TrainOptions{LR: math.Inf(1)}, "TrainOptions.LR is +Inf"},
		{TrainOptions{MaxMemory: -1}, "TrainOptions.MaxMemory is -1"},
		{TrainOptions{Optimizer: "adadelta"}, `TrainOptions.Optimizer is "adadelta"`},
	} {
		res, err := p.Train(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Train(%+v) = %v, %v; want %q", c.o, res, err, c.want)
		}
	}
	// TrainMemory checks the options as Train does.
	if _, err := p.TrainMemory(TrainOptions{Batch: -3}); err == nil || !strings.Contains(err.Error(), "TrainOptions.Batch is -3") {
		t.Errorf("TrainMemory with Batch -3: %v", err)
	}
	if _, err := p.TrainMemory(TrainOptions{LR: math.NaN()}); err == nil || !strings.Contains(err.Error(), "TrainOptions.LR is NaN") {
		t.Errorf("TrainMemory with LR NaN: %v", err)
	}
	if _, err := p.Eval(EvalOptions{Params: "x.safetensors", Batch: -1}); err == nil || !strings.Contains(err.Error(), "EvalOptions.Batch is -1") {
		t.Errorf("Eval with Batch -1: %v", err)
	}
	if _, err := p.Eval(EvalOptions{}); err == nil || !strings.Contains(err.Error(), "EvalOptions.Params is required") {
		t.Errorf("Eval without Params: %v", err)
	}
	res, err := p.Train(TrainOptions{})
	if err != nil || res.Details.Epochs != 1 {
		t.Errorf("zero options keep the block's epochs: %+v, %v", res, err)
	}
}

// TestTrainBlockInvalid: every bad setting of a train block is reported,
// each with its code, in the order of the block, at the setting's position
// (the block, from line 13, gives data on line 14 and the settings below).
func TestTrainBlockInvalid(t *testing.T) {
	for _, c := range []struct {
		block string
		want  []string
	}{
		{"    epochs = -1", []string{"m.nn:15:14: train M: epochs: want a positive integer, got -1"}},
		{"    epochs = 0\n    batch = 2.5", []string{"m.nn:15:14: train M: epochs: want a positive integer, got 0", "m.nn:16:13: train M: batch: want a positive integer, got 2.5"}},
		{"    batch = 0\n    epoch = 3", []string{"m.nn:15:13: train M: batch: want a positive integer, got 0", "m.nn:16:5: train M: epoch: unknown setting"}},
		{"    seed = -3", []string{"seed: want a non-negative integer, got -3"}},
		{"    epoch = 3\n    lr = 0.1", []string{`epoch: unknown setting`, `lr: unknown setting`}},
		{"    entry = 5", []string{"entry: want a name in quotes, got 5"}},
		{"    optimizer = sgd(lr = -1)", []string{"sgd: the learning rate must be positive and finite, got -1"}},
		{"    optimizer = sgd(lr = 0.1, momentum = -0.5)", []string{"momentum must be in [0, 1), got -0.5"}},
		{"    optimizer = adam(beta1 = 1)", []string{"betas must be in [0, 1), got 1 and 0.999"}},
		{"    optimizer = adamw(weight_decay = -1)", []string{"weight_decay must be non-negative"}},
		{"    optimizer = sgd(lr = 0.1, nesterov = 2)", []string{"nesterov = 2: want true or false"}},
		{"    optimizer = sgd(lr = true)", []string{"lr = true: want a number"}},
		{"    optimizer = adam(1e-3, lr = 1e-2)", []string{"the learning rate is given twice"}},
		{"    optimizer = adam(lr = 1e-3, gamma = 2, alpha = 1)", []string{"adam has no setting alpha, gamma"}},
		{"    optimizer = adadelta()", []string{`unknown optimizer "adadelta" (sgd, adam, adamw, rmsprop, adagrad, lion)`}},
	} {
		p, err := CompileFile(tinyModel(t, "    data = \"d.csv\"\n"+c.block))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Train(TrainOptions{})
		var list ErrorList
		if !errors.As(err, &list) || len(list) != len(c.want) {
			t.Errorf("%s: %v; want %d errors", c.block, err, len(c.want))
			continue
		}
		for i, want := range c.want {
			if !strings.Contains(list[i].Error(), want) || list[i].Code == "" {
				t.Errorf("%s: error %d is %q (code %q); want %q", c.block, i, list[i].Error(), list[i].Code, want)
			}
		}
	}
}
