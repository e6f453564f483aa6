package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestNoFinalTrainEval: --no-final-train-eval leaves the final train_*
// metrics out (the test set's are still measured), and without a
// validation or test set the last line says that nothing was measured;
// without the flag the final training metrics are there.
func TestNoFinalTrainEval(t *testing.T) {
	m := tinyModel(t, "    epochs = 2\n    batch = 10\n")
	final := func(args ...string) map[string]any {
		out, errOut, code := nncCmd(t, append([]string{"train", m, "--json", "--quiet"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%v: %q: %v", args, out, err)
		}
		return v
	}
	with, without := final(), final("--no-final-train-eval")
	if _, ok := with["train_loss"]; !ok {
		t.Errorf("without the flag: no train_loss in %v", with)
	}
	for _, k := range []string{"train_loss", "train_accuracy"} {
		if _, ok := without[k]; ok {
			t.Errorf("--no-final-train-eval: %s in %v", k, without)
		}
	}
	if without["test_accuracy"] != with["test_accuracy"] {
		t.Errorf("test accuracy %v with the flag, %v without", without["test_accuracy"], with["test_accuracy"])
	}
	out, errOut, code := nncCmd(t, "train", m, "--split", "1,0,0", "--no-final-train-eval")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.HasPrefix(lines[len(lines)-1], "no final metrics (no validation or test set, and the training set was not measured") {
		t.Errorf("no validation or test set: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, _ = nncCmd(t, "train", m, "--split", "1,0,0")
	if !strings.Contains(out, "training accuracy ") {
		t.Errorf("no validation or test set, measured: %q", out)
	}
}
