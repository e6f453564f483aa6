package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/nnclang/nnc/runtime"
)

// inStep is a cancellable context that learns when a training step starts
// running: runtime.Session.RunContext asks for Done once per run, after
// the training loop's own check before the step. On the at-th call of Done
// it calls onStart (which may cancel the context); with hold, later calls
// wait until the context is done, so that the step after the at-th does
// not start before the cancellation.
type inStep struct {
	context.Context
	mu      sync.Mutex
	calls   int
	at      int
	onStart func()
	hold    bool
}

func (c *inStep) Done() <-chan struct{} {
	c.mu.Lock()
	c.calls++
	n := c.calls
	c.mu.Unlock()
	switch {
	case n == c.at:
		c.onStart()
	case n > c.at && c.hold:
		<-c.Context.Done()
	}
	return c.Context.Done()
}

// storeBits copies every tensor of s (params and optimizer states) as bits.
func storeBits(t *testing.T, s *runtime.Store) map[string][]uint64 {
	t.Helper()
	out := map[string][]uint64{}
	for _, name := range s.Names() {
		v := s.Get(name)
		bits := make([]uint64, 0, v.Len())
		switch {
		case v.F32 != nil:
			for _, x := range v.F32 {
				bits = append(bits, uint64(math.Float32bits(x)))
			}
		case v.F64 != nil:
			for _, x := range v.F64 {
				bits = append(bits, math.Float64bits(x))
			}
		case v.I32 != nil:
			for _, x := range v.I32 {
				bits = append(bits, uint64(uint32(x)))
			}
		case v.I64 != nil:
			for _, x := range v.I64 {
				bits = append(bits, uint64(x))
			}
		default:
			t.Fatalf("store tensor %q has no f32, f64, i32 or i64 data", name)
		}
		out[name] = bits
	}
	return out
}

// diffBits names the first tensor and element where a and b differ ("" when
// they are equal).
func diffBits(a, b map[string][]uint64) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d tensors against %d", len(a), len(b))
	}
	for name, x := range a {
		y, ok := b[name]
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("tensor %q missing or of another size", name)
		}
		for i := range x {
			if x[i] != y[i] {
				return fmt.Sprintf("%s[%d]: %#x against %#x", name, i, x[i], y[i])
			}
		}
	}
	return ""
}

// afterSteps trains the digits model of digitsConfig(5 epochs, seed 3) for
// exactly n steps (stopped by the loop's check before step n+1) and returns
// its store's bits.
func afterSteps(t *testing.T, n int) map[string][]uint64 {
	t.Helper()
	cfg := digitsConfig(t, 5, 3)
	cfg.Forward, cfg.Loss, cfg.Val, cfg.Test = nil, nil, nil, nil
	res, err := RunContext(&countdown{context.Background(), n}, cfg)
	if !errors.Is(err, context.Canceled) || res == nil || res.Steps != n {
		t.Fatalf("reference run of %d steps: %+v, %v", n, res, err)
	}
	return storeBits(t, cfg.Store)
}

// TestRunContextCancelInsideStep: a context cancelled after the training
// loop's check before step 46 (epoch 2, step 6; 40 steps an epoch), as the
// step's run begins, stops training inside that step: the result counts 45
// steps, the error wraps context.Canceled and says where, and the params
// and optimizer states are bitwise those of a run of exactly 45 steps (the
// cancelled step applied no update), not those of 46.
func TestRunContextCancelInsideStep(t *testing.T) {
	cfg := digitsConfig(t, 5, 3)
	cfg.Forward, cfg.Loss, cfg.Val, cfg.Test = nil, nil, nil, nil
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := RunContext(&inStep{Context: ctx, at: 46, onStart: cancel}, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if want := "training stopped during epoch 2, step 6 after 45 steps (1 epochs completed): context canceled"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if res == nil || res.Steps != 45 || res.Epochs != 1 || len(res.History) != 1 || len(res.Metrics()) != 0 {
		t.Fatalf("result %+v, want 45 steps, 1 epoch and no metrics", res)
	}
	got := storeBits(t, cfg.Store)
	if d := diffBits(got, afterSteps(t, 45)); d != "" {
		t.Errorf("params after the cancelled step differ from those after 45 steps: %s", d)
	}
	if diffBits(got, afterSteps(t, 46)) == "" {
		t.Error("params after the cancelled step equal those after 46 steps: the step was applied")
	}
}

// TestRunContextCancelFromGoroutine: cancel is called from another goroutine
// once step 3 has started, so that it lands anywhere in that step's run
// (before its first kernel, between kernels, or after the step's optimizer
// update has begun, when the step finishes) or before step 4, whenever the
// goroutine gets to run (step 4's run waits for it). Training stops with
// context.Canceled after 2 or 3 steps, and the store holds bitwise the
// params and states of a run of exactly as many steps as the result counts.
func TestRunContextCancelFromGoroutine(t *testing.T) {
	for round := range 3 {
		cfg := digitsConfig(t, 5, 3)
		cfg.Forward, cfg.Loss, cfg.Val, cfg.Test = nil, nil, nil, nil
		ctx, cancel := context.WithCancel(context.Background())
		started, finished := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-started:
				cancel()
			case <-finished: // step 3 never ran under ctx
			}
		}()
		res, err := RunContext(&inStep{Context: ctx, at: 3, onStart: func() { close(started) }, hold: true}, cfg)
		close(finished)
		wg.Wait()
		cancel()
		if !errors.Is(err, context.Canceled) || res == nil {
			t.Fatalf("round %d: %+v, %v; want context.Canceled with the result so far", round, res, err)
		}
		t.Logf("round %d: %v", round, err)
		if res.Steps != 2 && res.Steps != 3 {
			t.Fatalf("round %d: stopped after %d steps, want 2 or 3 (%v)", round, res.Steps, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("after %d steps", res.Steps)) {
			t.Errorf("round %d: err %q does not count %d steps", round, err, res.Steps)
		}
		if d := diffBits(storeBits(t, cfg.Store), afterSteps(t, res.Steps)); d != "" {
			t.Errorf("round %d: params after a cancel in step 3 (%d steps completed) differ from a run of %d steps: %s",
				round, res.Steps, res.Steps, d)
		}
	}
}
