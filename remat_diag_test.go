package nnc

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// deepSrc is an MLP whose activations, at a batch of 1024 digits, weigh
// more than its parameters, so that rematerialization recomputes some.
const deepSrc = `import "std/nn"

model Deep() {
    l1 = nn.Dense(64, 256)
    l2 = nn.Dense(256, 256)
    l3 = nn.Dense(256, 256)
    l4 = nn.Dense(256, 256)
    head = nn.Dense(256, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        h = tanh(l1(x))
        h = tanh(l2(h))
        h = tanh(l3(h))
        h = tanh(l4(h))
        return head(h)
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train Deep {
    optimizer = sgd(lr = 0.01)
    batch     = 1024
    epochs    = 1
    data      = "digits"
}
`

// TestRematDiagnostics: --warn-grad-norm is honoured by a rematerialized
// step that recomputes values (the warnings are those of the run without
// --remat, whose results are bitwise the same), TrainMemory measures the
// step Train runs with the gradient norms as outputs (another plan), and --check-numerics, whose checked
// steps are never rematerialized, is refused with --remat and by
// TrainMemory instead of silently ignoring the budget.
func TestRematDiagnostics(t *testing.T) {
	p, err := Compile("deep.nn", []byte(deepSrc))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := p.TrainMemory(TrainOptions{Remat: true})
	if err != nil {
		t.Fatal(err)
	}
	normed, err := p.TrainMemory(TrainOptions{Remat: true, WarnGradNorm: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("TrainMemory: %v; with WarnGradNorm %v", plain, normed)
	// The norms are outputs, so the step is another graph with another
	// plan: the peaks differ (which is larger depends on how the planner's
	// choices fall: 8.12 MiB without the norms and 5.84 MiB with them at
	// 2026-12-04's planner, 8.09 and 8.12 before it left large free
	// buffers to large values).
	if normed.Before == plain.Before {
		t.Errorf("the step with gradient norms peaks at %d bytes, as the step without: the norms were left out", normed.Before)
	}
	if normed.Recomputed == 0 {
		t.Fatalf("nothing recomputed (%v): the test needs a rematerialized step", normed)
	}
	warnings := func(remat bool) (string, string) {
		var warn, progress bytes.Buffer
		if _, err := p.Train(TrainOptions{Remat: remat, WarnGradNorm: 1e-9, Warnings: &warn, Progress: &progress}); err != nil {
			t.Fatal(err)
		}
		return warn.String(), progress.String()
	}
	plainWarn, _ := warnings(false)
	rematWarn, progress := warnings(true)
	if !strings.Contains(progress, normed.String()) {
		t.Errorf("Train's rematerialization %q is not TrainMemory's %q", progress, normed.String())
	}
	if n := strings.Count(rematWarn, "gradient norm above 1e-09"); n != 2 || rematWarn != plainWarn {
		t.Errorf("with --remat %d warnings:\n%s\nwithout:\n%s", n, rematWarn, plainWarn)
	}
	var oe *OptionError
	if _, err := p.Train(TrainOptions{Remat: true, CheckNumerics: true, Progress: io.Discard}); !errors.As(err, &oe) || oe.Option != "TrainOptions.Remat" || !strings.Contains(err.Error(), "CheckNumerics runs every step unfused") {
		t.Errorf("Remat with CheckNumerics: %v", err)
	}
	for _, o := range []TrainOptions{{CheckNumerics: true}, {CheckNumerics: true, Remat: true}} {
		if _, err := p.TrainMemory(o); !errors.As(err, &oe) {
			t.Errorf("TrainMemory(%+v): %v, want an OptionError", o, err)
		}
	}
}
