package nnc

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/lang"
)

// TestJSONLPaddedTrain trains testdata/train/ragged.nn, whose loss is a
// masked mean of an embedding over token lists of 1 to 6 ids padded by
// jsonl(..., pad = ["ids"]): 48 rows, 50% in batches of 8 is 3 steps an
// epoch, and the training loss falls.
func TestJSONLPaddedTrain(t *testing.T) {
	p := compileFixture(t, "ragged.nn")
	res, err := p.Train(TrainOptions{Epochs: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Details.Steps != 30 {
		t.Errorf("%d steps, want 30", res.Details.Steps)
	}
	h := res.Details.History
	if len(h) != 10 || !(h[9].Loss < h[0].Loss) {
		t.Errorf("history %+v: want 10 epochs, the loss falling", h)
	}
	for k, v := range res.Metrics {
		if math.IsNaN(v) || v < 0 {
			t.Errorf("%s = %v", k, v)
		}
	}
}

// TestJSONLPaddedEvalMatchesNumPy: with the parameters make_ragged.py
// wrote, Eval's loss and accuracy on the whole padded file equal NumPy's
// float64 masked mean (ragged_reference.json); the padding the mask hides
// changes nothing.
func TestJSONLPaddedEvalMatchesNumPy(t *testing.T) {
	p := compileFixture(t, "ragged.nn")
	m, err := p.Eval(EvalOptions{Params: fixture("params_ragged.safetensors"), Data: fixture("ragged.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fixture("ragged_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	loss, acc := refPair(t, ref, "ragged_whole")
	if math.Abs(m["test_loss"]-loss) > 2e-6 || m["test_accuracy"] != acc {
		t.Errorf("Eval = %v, want test_loss %.8f, test_accuracy %v (NumPy)", m, loss, acc)
	}
}

// TestJSONLPadSets: the padded array and its mask are divided with the
// other arrays: the training set's 24 rows (50%) are [24, 6], 6 the
// longest record.
func TestJSONLPadSets(t *testing.T) {
	p := compileFixture(t, "ragged.nn")
	s, err := p.settings("TrainOptions", "")
	if err != nil {
		t.Fatal(err)
	}
	sets, err := p.loadSets(s, dataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ids, mask := sets.train.Arrays["ids"], sets.train.Arrays["ids_mask"]
	if ids == nil || mask == nil || !slices.Equal(ids.Shape, []int{24, 6}) || !slices.Equal(mask.Shape, ids.Shape) {
		t.Fatalf("train ids %v, mask %v; want [24 6] both", ids, mask)
	}
}

// TestJSONLPadErrors: every error of the padding arguments is at the
// value (or argument) at fault; a record longer than max_len is an error
// at its line of the data file.
func TestJSONLPadErrors(t *testing.T) {
	src, err := os.ReadFile(fixture("ragged.nn"))
	if err != nil {
		t.Fatal(err)
	}
	jl, err := os.ReadFile(fixture("ragged.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ragged.jsonl"), jl, 0o644); err != nil {
		t.Fatal(err)
	}
	const prefix = `    data = jsonl("ragged.jsonl", `
	cases := []struct{ args, at, code, want string }{
		{`pad = "ids")`, `"ids"`, "E304", `jsonl: pad = "ids": want a list of names in quotes`},
		{`pad = ["ids", 3])`, `[`, "E304", `want a list of names in quotes`},
		{`pad = ["ids"], pad_value = true)`, `true`, "E304", `pad_value = true: want a number`},
		{`pad = ["ids"], max_len = 0)`, `0`, "E308", `max_len = 0: want a positive integer`},
		{`max_len = 4)`, `4`, "E204", `max_len needs pad = [fields]`},
		{`pad = ["ids"], truncate = true)`, `true`, "E204", `truncate = true needs max_len`},
		{`pad = ["idz"])`, ``, "", `padded field "idz" is not a field read`},
		{`pad = ["ids"], max_len = 4)`, ``, "", `ragged.jsonl:2: field "ids": 5 elements, more than the maximum length 4`},
	}
	lines := strings.Split(string(src), "\n")
	row := slices.IndexFunc(lines, func(s string) bool { return strings.Contains(s, "data      = jsonl(") })
	for _, c := range cases {
		lines[row] = prefix + c.args
		file := filepath.Join(dir, "m.nn")
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := CompileFile(file)
		if err == nil {
			_, err = p.Train(TrainOptions{Epochs: 1})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.args, err, c.want)
			continue
		}
		if c.code == "" {
			continue
		}
		col := len(prefix) + strings.LastIndex(c.args, c.at) + 1
		if c.at == "[" {
			col = len(prefix) + strings.Index(c.args, c.at) + 1
		}
		var le *lang.Error
		var list lang.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			le = list[0]
		} else {
			errors.As(err, &le)
		}
		pos := file + ":" + itoa(row+1) + ":" + itoa(col) + ":"
		if le == nil || le.Code != c.code || !strings.HasPrefix(err.Error(), pos) {
			t.Errorf("%s: got %v (code %v), want %s %s", c.args, err, le, pos, c.code)
		}
	}
}
