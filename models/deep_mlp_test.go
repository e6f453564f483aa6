package models

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/nnclang/nnc"
)

// TestDeepMLPRemat trains the 20-layer MLP on the digits with and without
// rematerialization: the step's planned peak memory drops, the trained
// parameters and metrics are bitwise the same, and the model learns (at
// least 88% test accuracy after its 30 epochs; seeds 0-3 reach 0.918-0.941).
func TestDeepMLPRemat(t *testing.T) {
	p, err := nnc.CompileFile("deep_mlp.nn")
	if err != nil {
		t.Fatal(err)
	}
	least, err := p.TrainMemory(nnc.TrainOptions{Remat: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("least: %v", least)
	// Each layer saves one activation for the backward pass, its relu's
	// output (relu's gradient reads the output, which the next layer's
	// weight gradient reads anyway): stride 2 keeps every other one and
	// measured 2.40 MiB -> 2.04 MiB. When the gradient read relu's input
	// too, each layer saved two, and the same stride reached 1.62 MiB.
	if least.After > least.Before*9/10 {
		t.Errorf("remat saves too little: %v", least)
	}
	// A budget halfway between is met.
	budget := (least.Before + least.After) / 2
	mid, err := p.TrainMemory(nnc.TrainOptions{Remat: true, MaxMemory: budget})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("budget %d: %v", budget, mid)
	if !mid.Fits || mid.After > budget {
		t.Errorf("budget %d not met: %v", budget, mid)
	}

	dir := t.TempDir()
	plain, withRemat := filepath.Join(dir, "plain.safetensors"), filepath.Join(dir, "remat.safetensors")
	r0, err := p.Train(nnc.TrainOptions{Output: plain})
	if err != nil {
		t.Fatal(err)
	}
	r1, err := p.Train(nnc.TrainOptions{Output: withRemat, Remat: true, MaxMemory: budget})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r0.Metrics {
		if r1.Metrics[k] != v {
			t.Errorf("%s: %v without remat, %v with", k, v, r1.Metrics[k])
		}
	}
	a, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(withRemat)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("trained parameters differ with remat")
	}
	if acc := r0.Metrics["test_accuracy"]; acc < 0.88 {
		t.Errorf("test accuracy %.4f < 0.88", acc)
	}
	if _, err := p.Train(nnc.TrainOptions{Remat: true, MaxMemory: least.After - 1, Epochs: 1}); err == nil {
		t.Error("no error for a budget below the least peak")
	}
}
