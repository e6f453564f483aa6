package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTrainCheckNumerics: nnc train on a model that takes log(0) exits 1
// with the report on stderr, the log op at its line and column first (line
// 11, column 58 of log0.nn: where "log(" starts), with and without
// --check-numerics; --warn-grad-norm prints warnings on stderr and takes a
// positive number only.
func TestTrainCheckNumerics(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "numerics")
	log0 := filepath.Join(dir, "log0.nn")
	want := log0 + ":11:58: log gave -Inf (8 of 8 values, first at [0 0] of f32[4, 2]) from finite operands, in epoch 1, step 1\n"
	for _, args := range [][]string{{"train", log0, "--quiet"}, {"train", log0, "--quiet", "--check-numerics"}} {
		out, errOut, code := nncCmd(t, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, want) || !strings.Contains(errOut, "operand 1: relu at "+log0+":10:13 f32[4, 2]: in [0, 0], 8 zeros") {
			t.Errorf("nnc %s: exit %d, stdout %q, stderr %q; want 1 and %q", strings.Join(args, " "), code, out, errOut, want)
		}
	}
	_, errOut, code := nncCmd(t, "train", filepath.Join(dir, "diverge.nn"), "--quiet", "--epochs", "1", "--warn-grad-norm", "1e6")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	re := regexp.MustCompile(`^warning: epoch 1, step [678]: gradient norm above 1e\+06: W \S+ \(all params: \S+\)$`)
	if code != 0 || len(lines) != 3 || !re.MatchString(lines[0]) || !re.MatchString(lines[2]) {
		t.Errorf("--warn-grad-norm 1e6: exit %d, stderr %q; want warnings for steps 6 to 8", code, errOut)
	}
	for _, bad := range []string{"-1", "0", "nan", "inf"} {
		if _, errOut, code := nncCmd(t, "train", log0, "--warn-grad-norm", bad); code != 2 || !strings.Contains(errOut, "--warn-grad-norm must be a positive") {
			t.Errorf("--warn-grad-norm %s: exit %d, stderr %q; want a usage error", bad, code, errOut)
		}
	}
}
