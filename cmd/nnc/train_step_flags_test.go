package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStepFlags: the step settings given as flags train bit for bit as the
// same settings in the train block (the same metrics, the same parameter
// file); values that cannot be used are usage errors (exit 2) naming the
// flag.
func TestStepFlags(t *testing.T) {
	block := `    optimizer = adamw(lr = 0.05, weight_decay = 0.1)
    epochs = 3
    batch = 10
    clip_norm = 1.0
    clip_value = 0.5
    groups = [group("W", weight_decay = 0, lr = 0.01)]
    accumulate = 2
    ema = ema(decay = 0.9, start = 4)
    noise = noise(input = 0.01, weight = 0.001)
    class_weights = "balanced"
    sampler = "balanced"
    prune = prune(sparsity = 0.5, start = 1, end = 6, every = 2)
`
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "block.safetensors"), filepath.Join(dir, "flags.safetensors")
	out1, errOut, code := nncCmd(t, "train", tinyModel(t, block), "--json", "--quiet", "-o", p1)
	if code != 0 {
		t.Fatalf("block: exit %d: %s", code, errOut)
	}
	plain := tinyModel(t, "    optimizer = adamw(lr = 0.05, weight_decay = 0.1)\n    epochs = 3\n    batch = 10\n")
	out2, errOut, code := nncCmd(t, "train", plain, "--json", "--quiet", "-o", p2,
		"--clip-norm", "1", "--clip-value", "0.5", "--group", "W:weight_decay=0,lr=0.01", "--accumulate", "2",
		"--ema", "0.9", "--ema-start", "4", "--noise", "input=0.01,weight=0.001", "--class-weights", "balanced", "--sampler", "balanced",
		"--prune", "sparsity=0.5,start=1,end=6,every=2")
	if code != 0 {
		t.Fatalf("flags: exit %d: %s", code, errOut)
	}
	if out1 != out2 {
		t.Errorf("metrics with the block %s, with flags %s", out1, out2)
	}
	b1, err1 := os.ReadFile(p1)
	b2, err2 := os.ReadFile(p2)
	if err1 != nil || err2 != nil || !bytes.Equal(b1, b2) {
		t.Errorf("the parameter files differ (%v, %v)", err1, err2)
	}
	for _, c := range []struct{ flag, value, want string }{
		{"--clip-norm", "-1", "--clip-norm must be a positive, finite number"},
		{"--accumulate", "0", "--accumulate must be a positive integer"},
		{"--ema", "1", "--ema is a decay in (0, 1)"},
		{"--ema-start", "0", "--ema-start must be a positive integer"},
		{"--group", "W", `--group "W": want PATTERN:setting=value`},
		{"--group", "W:lr=x", `--group "W:lr=x": lr=x: want a number`},
		{"--noise", "input=0.1,input=0.2", "input is given twice"},
		{"--noise", "sigma=1", "unknown key sigma"},
		{"--prune", "sparsity=0.5", "end is required"},
		{"--prune", "sparsity=2,end=4", "sparsity must be in (0, 1)"},
		{"--class-weights", "", "--class-weights: want a value"},
		{"--class-weights", "1,x", "--class-weights is balanced, none or non-negative weights"},
		{"--class-weights", "1,-2", "--class-weights is balanced, none or non-negative weights"},
		{"--sampler", "random", `--sampler is balanced or shuffle, not "random"`},
	} {
		_, errOut, code := nncCmd(t, "train", plain, c.flag, c.value)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s %q: exit %d, %q; want exit 2 and %q", c.flag, c.value, code, errOut, c.want)
		}
	}
}

// TestEMAFlagOff: --ema 0 turns the block's moving average off: the
// parameter file of a block without one, byte for byte.
func TestEMAFlagOff(t *testing.T) {
	head := "    optimizer = adam(lr = 0.05)\n    epochs = 2\n    batch = 10\n"
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "plain.safetensors"), filepath.Join(dir, "off.safetensors")
	if _, errOut, code := nncCmd(t, "train", tinyModel(t, head), "--quiet", "-o", p1); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, errOut, code := nncCmd(t, "train", tinyModel(t, head+"    ema = 0.9\n"), "--quiet", "--ema", "0", "-o", p2); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b1, err1 := os.ReadFile(p1)
	b2, err2 := os.ReadFile(p2)
	if err1 != nil || err2 != nil || !bytes.Equal(b1, b2) {
		t.Errorf("--ema 0 over ema = 0.9 wrote other parameters than no ema (%v, %v)", err1, err2)
	}
}
