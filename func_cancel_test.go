package nnc

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// doneOnAsk is a context that is cancelled the first time its Done channel
// is asked for: after the call's own checks of Err, when the session starts
// to run, so that the run itself must notice the cancellation.
type doneOnAsk struct {
	context.Context
	once   sync.Once
	cancel context.CancelFunc
}

func newDoneOnAsk() *doneOnAsk {
	ctx, cancel := context.WithCancel(context.Background())
	return &doneOnAsk{Context: ctx, cancel: cancel}
}

func (c *doneOnAsk) Done() <-chan struct{} {
	c.once.Do(c.cancel)
	return c.Context.Done()
}

// RunContext and GradContext hand their context to the session, which
// stops before its next kernel step: the error wraps context.Canceled and
// names the step.
func TestFuncContextReachesTheSteps(t *testing.T) {
	f := benchFunc(t, "M.loss")
	in := map[string]*Tensor{"x": rowsInput(4, 0)}
	_, err := f.RunContext(newDoneOnAsk(), in)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "run cancelled before step 1 of ") {
		t.Errorf("RunContext: %v, want a run cancelled before step 1", err)
	}
	_, _, err = f.GradContext(newDoneOnAsk(), []string{"W1"}, in)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "run cancelled before step 1 of ") {
		t.Errorf("GradContext: %v, want a run cancelled before step 1", err)
	}
	// The sessions went back to their pools in a usable state.
	v, g, err := f.Grad([]string{"W1"}, in)
	if err != nil || len(g) != 1 || v == nil {
		t.Fatalf("Grad after cancelled calls: %v", err)
	}
	if _, err := f.Run(in); err != nil {
		t.Errorf("Run after cancelled calls: %v", err)
	}
}
