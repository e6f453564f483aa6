package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunAppliesPreprocess: nnc train -o writes the statistics of
// preprocess = standardize() beside the parameters, and nnc run scales its
// inputs with them: run on raw values prints what run on the values NumPy
// standardized (the root's testdata/preprocess) prints with the same
// parameters and no statistics.
func TestRunAppliesPreprocess(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"train.csv", "test.csv"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/preprocess", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := `model M() {
    param W: f32[3, 3] = glorot_uniform()

    fn forward(x: f32[B, 3]) -> f32[B, 3] {
        return x @ W
    }

    fn loss(x: f32[B, 3], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train M {
    data = csv("train.csv", label = "y", test = "test.csv")
    preprocess = standardize()
    epochs = 2
}
`
	m := filepath.Join(dir, "m.nn")
	if err := os.WriteFile(m, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(dir, "m.safetensors")
	if _, errOut, code := nncCmd(t, "train", m, "--quiet", "-o", params); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.preprocess.json")); err != nil {
		t.Fatal(err)
	}
	// The first two rows of test.csv and of test_std.csv (make_preprocess.py).
	raw := "x=" + readRows(t, "../../testdata/preprocess/test.csv", 2)
	std := readRows(t, "../../testdata/preprocess/test_std.csv", 2)
	got, errOut, code := nncCmd(t, "run", m, "--entry", "M.forward", "--params", params, "--in", raw)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	bare := filepath.Join(t.TempDir(), "bare.safetensors")
	b, err := os.ReadFile(params)
	if err != nil || os.WriteFile(bare, b, 0o644) != nil {
		t.Fatal(err)
	}
	want, errOut, code := nncCmd(t, "run", m, "--entry", "M.forward", "--params", bare, "--in", "x="+std)
	if code != 0 {
		t.Fatalf("run on standardized values: exit %d: %s", code, errOut)
	}
	if got != want {
		t.Fatalf("run with statistics printed\n%s\nrun on NumPy's standardized values\n%s", got, want)
	}
	if unscaled, _, _ := nncCmd(t, "run", m, "--entry", "M.forward", "--params", bare, "--in", raw); unscaled == got {
		t.Fatal("the statistics changed nothing")
	}
}

// readRows reads the first n rows of a CSV file's first three columns as
// a JSON matrix.
func readRows(t *testing.T, path string, n int) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")[1 : n+1]
	rows := make([]string, n)
	for i, l := range lines {
		rows[i] = "[" + strings.Join(strings.Split(l, ",")[:3], ", ") + "]"
	}
	return "[" + strings.Join(rows, ", ") + "]"
}
