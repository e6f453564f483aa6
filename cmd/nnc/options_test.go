package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// optionsDir writes files into a temporary directory and returns its path.
func optionsDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const noBlockSrc = `model M() {
    param W: f32[2] = zeros()
    fn loss(x: f32[2]) -> f32 { return sum(x * W) }
    fn scale(x: f32[2]) -> f32[2] { return x * W }
}
`

// TestOptionErrorsNameFlags: the library's errors about its options
// (nnc.OptionError) are printed with the flags that set them, as before the
// library learnt to name its options.
func TestOptionErrorsNameFlags(t *testing.T) {
	dir := optionsDir(t, map[string]string{
		"nb.nn": noBlockSrc,
		"nd.nn": strings.Replace(noBlockSrc, "}\n}\n", "}\n}\n\ntrain M {\n    epochs = 1\n}\n", 1),
	})
	nb, nd := filepath.Join(dir, "nb.nn"), filepath.Join(dir, "nd.nn")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", nb}, nb + ": no train block; name the model with --model\n"},
		{[]string{"eval", nb, "--params", "p.safetensors"}, nb + ": no train block; name the model with --model\n"},
		{[]string{"train", nd}, nd + `: train M: no data: set data = "digits" (or a file) in the train block, or pass --data` + "\n"},
		{[]string{"graph", nb, "--entry", "M.scale", "--grad"}, "graph --grad: M.scale must return one float scalar\n"},
	} {
		_, errOut, code := nncCmd(t, c.args...)
		if code != 1 || errOut != c.want {
			t.Errorf("nnc %v: exit %d, stderr %q; want 1 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestSplitFlag: --split sets the fractions of train and eval; a split
// nnc.Split.Check refuses is a usage error.
func TestSplitFlag(t *testing.T) {
	var csv strings.Builder
	for i := range 40 {
		fmt.Fprintf(&csv, "%d,%d,%d,%d,%d\n", i%3, i%5, i%7, i%2, i%2)
	}
	dir := optionsDir(t, map[string]string{"d.csv": csv.String(), "m.nn": `model M() {
    param W: f32[4, 2] = glorot_uniform()
    fn forward(x: f32[B, 4]) -> f32[B, 2] { return x @ W }
    fn loss(x: f32[B, 4], y: i32[B]) -> f32 { return cross_entropy(forward(x), y) }
}

train M {
    data = "d.csv"
    epochs = 1
    batch = 5
}
`})
	m, p := filepath.Join(dir, "m.nn"), filepath.Join(dir, "p.safetensors")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", m, "--split", "0.5,0.5,0.5"}, "the fractions sum to 1.5, not 1"},
		{[]string{"train", m, "--split", "0.5,0.5"}, "want three fractions TRAIN,VAL,TEST"},
		{[]string{"eval", m, "--params", p, "--split", "0,0.5,0.5"}, "the training fraction is 0"},
		{[]string{"eval", m, "--params", p, "--split", "x,0.5,0.5"}, "want three fractions TRAIN,VAL,TEST"},
	} {
		_, errOut, code := nncCmd(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "-split") {
			t.Errorf("nnc %v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	// 40 rows, 0.5 for training: 20 rows, 4 steps of 5; no validation set.
	out, errOut, code := nncCmd(t, "train", m, "--split", "0.5,0,0.5", "-o", p, "--json", "--quiet")
	if code != 0 || strings.Contains(out, "val_loss") || !strings.Contains(out, `"test_loss"`) {
		t.Fatalf("train --split 0.5,0,0.5: exit %d, %s %s", code, out, errOut)
	}
	if _, errOut, code := nncCmd(t, "eval", m, "--params", p, "--split", "1,0,0"); code != 1 || errOut != "--split [1, 0, 0]: the test fraction is 0: there is nothing to evaluate\n" {
		t.Errorf("eval --split 1,0,0: exit %d, %q", code, errOut)
	}
	if out, errOut, code := nncCmd(t, "eval", m, "--params", p, "--split", "0.5,0,0.5"); code != 0 || !strings.Contains(out, `"test_accuracy"`) {
		t.Errorf("eval --split 0.5,0,0.5: exit %d, %s %s", code, out, errOut)
	}
}
