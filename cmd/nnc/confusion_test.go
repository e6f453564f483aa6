package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfusionMatrixJSON: train --json and eval print the test set's
// confusion matrix when the metrics name it. Its rows sum to the test
// file's label counts (counted here from the file) and its diagonal over
// the total is the accuracy reported beside it.
func TestConfusionMatrixJSON(t *testing.T) {
	dir := t.TempDir()
	var train, test strings.Builder
	for i := range 60 {
		x := float64(i%7) - 3
		y := 0
		if x > 0 {
			y = 1
		}
		if i%5 == 0 {
			y = 2
		}
		line := strings.TrimSpace(strings.Join([]string{ftoa(x), ftoa(float64(i % 3)), ftoa(float64(y))}, ",")) + "\n"
		if i < 45 {
			train.WriteString(line)
		} else {
			test.WriteString(line)
		}
	}
	counts := make([]int64, 3)
	for _, l := range strings.Split(strings.TrimSpace(test.String()), "\n") {
		f := strings.Split(l, ",")
		counts[map[string]int{"0": 0, "1": 1, "2": 2}[f[2]]]++
	}
	for name, text := range map[string]string{"train.csv": train.String(), "test.csv": test.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := filepath.Join(dir, "m.nn")
	prog := `model M {
    param w: f32[2, 3] = glorot_uniform()
    fn forward(x: f32[B, 2]) -> f32[B, 3] {
        return x @ w
    }
    fn loss(x: f32[B, 2], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train M {
    data      = csv("train.csv", test = "test.csv")
    optimizer = sgd(lr = 0.1)
    metrics   = ["accuracy", "confusion"]
    batch     = 8
    epochs    = 3
}
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(dir, "p.safetensors")
	check := func(what, out string) {
		t.Helper()
		var r struct {
			Accuracy float64   `json:"test_accuracy"`
			Matrix   [][]int64 `json:"test_confusion_matrix"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%s: %v in %s", what, err, out)
		}
		if len(r.Matrix) != 3 {
			t.Fatalf("%s: matrix %v", what, r.Matrix)
		}
		var diag, total int64
		for i, row := range r.Matrix {
			var s int64
			for j, v := range row {
				s += v
				if i == j {
					diag += v
				}
			}
			total += s
			if s != counts[i] {
				t.Errorf("%s: row %d sums to %d, the file has %d labels %d", what, i, s, counts[i], i)
			}
		}
		if a := float64(diag) / float64(total); math.Abs(a-r.Accuracy) > 1e-12 {
			t.Errorf("%s: diagonal/total %v, accuracy %v", what, a, r.Accuracy)
		}
	}
	out, stderr, code := nncCmd(t, "train", src, "--json", "-o", params)
	if code != 0 {
		t.Fatalf("train: %d %s", code, stderr)
	}
	check("train", out)
	out, stderr, code = nncCmd(t, "eval", src, "--params", params)
	if code != 0 {
		t.Fatalf("eval: %d %s", code, stderr)
	}
	check("eval", out)
}
