package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is a file of the repository's testdata/train.
func fixture(name string) string { return filepath.Join("..", "..", "testdata", "train", name) }

// TestTrainDataBlocks: nnc train reads each committed data set through the
// train block's data constructor, with no conversion, and prints the
// metrics of the sets the data has.
func TestTrainDataBlocks(t *testing.T) {
	for _, c := range []struct {
		file string
		keys []string
		last string // the last line without --json
	}{
		{"iris.nn", []string{"train_accuracy", "val_accuracy", "val_loss"}, "validation accuracy "},
		{"digits_idx.nn", []string{"test_accuracy", "test_loss"}, "test accuracy "},
		{"rows_npz.nn", []string{"val_accuracy", "test_accuracy"}, "test accuracy "},
		{"gcn_small.nn", []string{"val_accuracy", "test_accuracy"}, "test accuracy "},
		{"shapes.nn", []string{"test_accuracy"}, "test accuracy "},
	} {
		out, errOut, code := nncCmd(t, "train", fixture(c.file), "--epochs", "2", "--json", "--quiet")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.file, code, errOut)
		}
		var m map[string]float64
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%s: %q: %v", c.file, out, err)
		}
		for _, k := range c.keys {
			if v, ok := m[k]; !ok || math.IsNaN(v) {
				t.Errorf("%s: %s missing in %v", c.file, k, m)
			}
		}
		if _, ok := m["test_accuracy"]; ok != strings.HasPrefix(c.last, "test") {
			t.Errorf("%s: test metrics %v", c.file, m)
		}
		out, errOut, code = nncCmd(t, "train", fixture(c.file), "--epochs", "1", "--quiet")
		if code != 0 || !strings.HasPrefix(out, c.last) {
			t.Errorf("%s: exit %d, printed %q (%s); want %q...", c.file, code, out, errOut, c.last)
		}
	}
}

// TestEvalWholeFile: eval --data measures the whole file given, with the
// block's constructor options (the named label column): the iris figures
// are NumPy's over all 150 rows (reference.json); with --split it measures
// that split's test set, another figure.
func TestEvalWholeFile(t *testing.T) {
	b, err := os.ReadFile(fixture("reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string][2]float64
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	ref = map[string][2]float64{}
	for _, k := range []string{"iris_whole", "rows_whole"} {
		var v [2]float64
		if err := json.Unmarshal(all[k], &v); err != nil {
			t.Fatal(err)
		}
		ref[k] = v
	}
	for _, c := range []struct{ nn, params, data, ref string }{
		{"iris.nn", "params_iris.safetensors", "iris_named.csv", "iris_whole"},
		{"rows_jsonl.nn", "params_rows.safetensors", "rows.jsonl", "rows_whole"},
	} {
		out, errOut, code := nncCmd(t, "eval", fixture(c.nn), "--params", fixture(c.params), "--data", fixture(c.data))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.nn, code, errOut)
		}
		var m map[string]float64
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		want := ref[c.ref]
		if math.Abs(m["test_loss"]-want[0]) > 2e-5 || m["test_accuracy"] != want[1] {
			t.Errorf("%s: eval --data %s = %v, want loss %v accuracy %v (NumPy, all rows)", c.nn, c.data, m, want[0], want[1])
		}
		out, _, code = nncCmd(t, "eval", fixture(c.nn), "--params", fixture(c.params), "--data", fixture(c.data), "--split", "0.7,0.15,0.15")
		var part map[string]float64
		if code != 0 || json.Unmarshal([]byte(out), &part) != nil || part["test_loss"] == m["test_loss"] {
			t.Errorf("%s: eval --split: exit %d, %v (whole: %v)", c.nn, code, part, m)
		}
	}
}

// TestTrainBindFlags: --inputs, --labels and --shapes bind the data as the
// block's inputs, labels and the data's sizes do; bad values are usage
// errors (exit 2) or option errors naming the flag (exit 1).
func TestTrainBindFlags(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat("the quick brown fox jumps over the lazy dog ", 20)
	src := `model LM(vocab: int = 27, d: int = 4) {
    param E: f32[vocab, d] = normal(std = 0.1)
    param W: f32[d, vocab] = glorot_uniform()

    fn forward(ids: i32[B, T]) -> f32[B, T, vocab] {
        return embedding(ids, E) @ W
    }

    fn loss(ids: i32[B, T], next: i32[B, T]) -> f32 {
        return cross_entropy(reshape(forward(ids), [B * T, vocab]), reshape(next, [B * T]))
    }
}

train LM {
    data = text("t.txt", seq = 8, split = [0.8, 0.2])
}
`
	for name, body := range map[string]string{"lm.nn": src, "t.txt": text} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	nn := filepath.Join(dir, "lm.nn")
	params := filepath.Join(dir, "p.safetensors")
	out, errOut, code := nncCmd(t, "train", nn, "--inputs", "ids=x,next=y", "--labels", "next", "--shapes", "T=8", "--epochs", "1", "--json", "-o", params)
	if code != 0 || !strings.Contains(out, "val_accuracy") {
		t.Fatalf("train with --inputs: exit %d, %s %s", code, out, errOut)
	}
	out, errOut, code = nncCmd(t, "train", nn, "--inputs", "ids=x,next=y", "--seq", "4", "--epochs", "1", "--json", "--quiet")
	if code != 0 || !strings.Contains(out, "val_accuracy") {
		t.Errorf("train --seq 4: exit %d, %s %s", code, out, errOut)
	}
	if _, errOut, code = nncCmd(t, "train", nn, "--inputs", "ids=x,next=y", "--seq", "4", "--shapes", "T=8", "--quiet"); code != 1 || !strings.Contains(errOut, "--shapes T=8: the data's arrays have T = 4") {
		t.Errorf("train --seq 4 --shapes T=8: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "p.vocab.json")); err != nil {
		t.Errorf("the vocabulary beside the parameters: %v", err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--epochs", "1"}, 1, "input ids of LM.loss has no array of that name in the data (arrays: x, y); bind one with inputs = {ids: \"...\"}"},
		{[]string{"--inputs", "ids"}, 2, "want INPUT=ARRAY such as ids=x"},
		{[]string{"--inputs", "ids=x,ids=y"}, 2, "ids is given twice"},
		{[]string{"--inputs", "ids=x,next=y,q=z"}, 1, "--inputs q=z: LM has no input q"},
		{[]string{"--inputs", "ids=x,next=y", "--shapes", "T=9"}, 1, "--shapes T=9: the data's arrays have T = 8"},
		{[]string{"--inputs", "ids=x,next=y", "--labels", ""}, 2, "--labels: want a value"},
		{[]string{"--inputs", "ids=x,next=y", "--labels", "z"}, 1, `--labels z: "z" is neither an input of LM nor an array of the data`},
		{[]string{"--inputs", "ids=x,next=y", "--context", "-3"}, 2, `want a number of characters from 0, got "-3"`},
		{[]string{"--inputs", "ids=x,next=y", "--context", "8"}, 1, "context = 8 must be less than seq = 8"},
		// This loss has no ignore_index: the context-only targets (-1) are an
		// error before the first step that says what to write.
		{[]string{"--inputs", "ids=x,next=y", "--context", "3"}, 1, `cross_entropy "next": label -1 out of range [0, 27) (cross_entropy(..., ignore_index = -1) leaves such rows out of the loss)`},
	} {
		_, errOut, code := nncCmd(t, append([]string{"train", nn, "--quiet"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("train %v: exit %d, %q; want exit %d, %q", c.args, code, errOut, c.code, c.want)
		}
	}
	out, errOut, code = nncCmd(t, "eval", nn, "--params", params, "--inputs", "ids=x,next=y", "--split", "0.8,0.1,0.1")
	if code != 0 || !strings.Contains(out, "test_loss") {
		t.Errorf("eval with --inputs: exit %d, %s %s", code, out, errOut)
	}
	out0, _, code0 := nncCmd(t, "eval", nn, "--params", params, "--inputs", "ids=x,next=y", "--split", "0.8,0.1,0.1", "--context", "0")
	if code0 != 0 || out0 != out {
		t.Errorf("eval --context 0 (the block's windows): exit %d, %s; want %s", code0, out0, out)
	}
	if _, errOut, code = nncCmd(t, "eval", nn, "--params", params, "--inputs", "ids=x,next=y", "--split", "0.8,0.1,0.1", "--context", "2"); code != 1 || !strings.Contains(errOut, "label -1 out of range") {
		t.Errorf("eval --context 2 without ignore_index: exit %d, %s", code, errOut)
	}
	if _, errOut, code = nncCmd(t, "eval", nn, "--params", params, "--inputs", "ids=x,next=y"); code != 1 || !strings.Contains(errOut, "lm.nn:15:43: E308: train LM: data: text: the split has no test set") {
		t.Errorf("eval without a test set: exit %d, %s", code, errOut)
	}
}

// TestRunBatch: nnc run --batch 3 gives what one run gives, and --batch 0
// is a usage error.
func TestRunBatch(t *testing.T) {
	nn := writeFile(t, "m.nn", "model M() {\n    param W: f32[2, 2] = zeros()\n    fn forward(x: f32[B, 2]) -> f32[B, 2] {\n        return x * 2 + 1\n    }\n}\n")
	in := "x=[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]"
	whole, errOut, code := nncCmd(t, "run", nn, "--entry", "M.forward", "--in", in)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	batched, errOut, code := nncCmd(t, "run", nn, "--entry", "M.forward", "--in", in, "--batch", "3")
	if code != 0 || batched != whole || !strings.Contains(whole, "[3, 5, 7, 9, 11, 13, 15, 17, 19, 21]") && !strings.Contains(whole, "[3,5,7,9,11,13,15,17,19,21]") {
		t.Errorf("run --batch 3: exit %d, %q (%s); whole %q", code, batched, errOut, whole)
	}
	if _, errOut, code := nncCmd(t, "run", nn, "--entry", "M.forward", "--in", in, "--batch", "0"); code != 2 || !strings.Contains(errOut, "--batch must be a positive integer") {
		t.Errorf("run --batch 0: exit %d, %q", code, errOut)
	}
}
