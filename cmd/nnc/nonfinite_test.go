package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAllowNonFinite: a NaN or infinite feature in a data file is an error
// naming the file, line and column when train or eval loads it; with
// --allow-nonfinite the data loads, and the NaN goes where the arithmetic
// takes it (a NaN loss stops training; eval prints "NaN" metrics).
func TestAllowNonFinite(t *testing.T) {
	m := tinyModel(t, "    epochs = 1\n    batch = 10\n")
	dir := filepath.Dir(m)
	params := filepath.Join(dir, "p.safetensors")
	if _, errOut, code := nncCmd(t, "train", m, "--quiet", "-o", params); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	// Every row's second feature is NaN, so every split holds one.
	var csv strings.Builder
	for i := range 100 {
		csv.WriteString(strings.Join([]string{ftoa(float64(i%7) / 7), "nan", "0.5", "1", map[bool]string{true: "1", false: "0"}[i%2 == 1]}, ",") + "\n")
	}
	nan := filepath.Join(dir, "nan.csv")
	if err := os.WriteFile(nan, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	want := nan + `:1:3: field 2: "nan" is not a finite number` // row 1 is "0,nan,..."
	for _, args := range [][]string{{"train", m, "--data", nan}, {"eval", m, "--params", params, "--data", nan}} {
		_, errOut, code := nncCmd(t, args...)
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("nnc %s with a NaN cell: exit %d, stderr %q; want 1 and %q", args[0], code, errOut, want)
		}
	}
	_, errOut, code := nncCmd(t, "train", m, "--data", nan, "--allow-nonfinite")
	if code != 1 || !strings.Contains(errOut, "epoch 1, step 1: the loss is NaN") {
		t.Errorf("train --allow-nonfinite: exit %d, stderr %q; want the NaN loss of step 1", code, errOut)
	}
	out, errOut, code := nncCmd(t, "eval", m, "--params", params, "--data", nan, "--allow-nonfinite")
	if code != 0 || !strings.Contains(out, `"test_loss":"NaN"`) {
		t.Errorf("eval --allow-nonfinite: exit %d, stdout %q, stderr %q; want test_loss \"NaN\"", code, out, errOut)
	}
}
