package train

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// countdown is a context that reports itself cancelled from the (n+1)-th
// call of Err on.
type countdown struct {
	context.Context
	n int
}

func (c *countdown) Err() error {
	if c.n == 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

// TestRunContextStopsAtStep: a context cancelled after 45 steps stops
// training after exactly 45 steps, in the second epoch (40 steps each),
// with the result so far and an error wrapping context.Canceled.
func TestRunContextStopsAtStep(t *testing.T) {
	cfg := digitsConfig(t, 5, 3)
	cfg.Forward, cfg.Loss, cfg.Val, cfg.Test = nil, nil, nil, nil
	res, err := RunContext(&countdown{context.Background(), 45}, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res == nil || res.Steps != 45 || res.Epochs != 1 || len(res.History) != 1 {
		t.Fatalf("result %+v, want 45 steps and 1 epoch completed", res)
	}
	if want := "training stopped before epoch 2, step 6 after 45 steps (1 epochs completed)"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want %q", err, want)
	}
	if len(res.Metrics()) != 0 {
		t.Errorf("metrics %v after a cancelled run, want none", res.Metrics())
	}
	// Cancelled before the first step: nothing was run.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err = RunContext(ctx, digitsConfig(t, 5, 3))
	if !errors.Is(err, context.Canceled) || res == nil || res.Steps != 0 {
		t.Errorf("cancelled at once: %+v, %v", res, err)
	}
}

// TestEvaluateContext: a cancelled evaluation returns the context's error.
func TestEvaluateContext(t *testing.T) {
	cfg := digitsConfig(t, 1, 3)
	ev, err := NewEvaluator(cfg.Forward, cfg.Loss, cfg.Store, "", 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.EvaluateContext(&countdown{context.Background(), 3}, cfg.Test); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestOptimizerCheck: hyperparameters no optimizer can train with are
// errors.
func TestOptimizerCheck(t *testing.T) {
	nan := math.NaN()
	bad := []struct {
		opt  interface{ Check() error }
		want string
	}{
		{&SGD{LR: 0}, "learning rate must be positive and finite, got 0"},
		{&SGD{LR: -1}, "got -1"},
		{&SGD{LR: nan}, "got NaN"},
		{&SGD{LR: math.Inf(1)}, "got +Inf"},
		{&SGD{LR: 0.1, Momentum: -0.5}, "momentum must be in [0, 1), got -0.5"},
		{&SGD{LR: 0.1, Momentum: 1}, "momentum must be in [0, 1), got 1"},
		{&SGD{LR: 0.1, WeightDecay: nan}, "weight_decay must be non-negative and finite, got NaN"},
		{&SGD{LR: 0.1, Nesterov: true}, "nesterov needs a non-zero momentum"},
		{&Adam{LR: 0.1, Beta1: 1, Beta2: 0.9, Eps: 1e-8}, "betas must be in [0, 1), got 1 and 0.9"},
		{&Adam{LR: 0.1, Beta1: 0.9, Beta2: nan, Eps: 1e-8}, "got 0.9 and NaN"},
		{&Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.99, Eps: 0}, "eps must be positive and finite, got 0"},
		{&Adam{LR: nan, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8}, "learning rate must be positive and finite, got NaN"},
		{&Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: -1}, "weight_decay must be non-negative"},
		{NewAdamW(0.5, 2), "lr·weight_decay must be below 1, got 0.5·2"},
	}
	for _, c := range bad {
		err := c.opt.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: Check() = %v, want %q", c.opt, err, c.want)
		}
	}
	for _, ok := range []interface{ Check() error }{&SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}, NewAdam(1e-3), NewAdamW(1e-3, 1e-2)} {
		if err := ok.Check(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

// TestEvalBatchNegative: a negative evaluation batch size is an error, not
// the default of 256.
func TestEvalBatchNegative(t *testing.T) {
	cfg := digitsConfig(t, 1, 3)
	if _, err := NewEvaluator(cfg.Forward, cfg.Loss, cfg.Store, "", -1); err == nil || !strings.Contains(err.Error(), "batch size is -1") {
		t.Errorf("NewEvaluator with batch -1: %v", err)
	}
	cfg.EvalBatchSize = -5
	if _, err := Run(cfg); err == nil || !strings.Contains(err.Error(), "batch size is -5") {
		t.Errorf("Run with EvalBatchSize -5: %v", err)
	}
}
