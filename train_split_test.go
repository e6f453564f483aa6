package nnc

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// splitSrc is a classifier of four features with a train block over d.csv;
// the block's settings after batch start on line 12.
const splitSrc = `model M() {
    param W: f32[4, 2] = glorot_uniform()

    fn forward(x: f32[B, 4]) -> f32[B, 2] { return x @ W }
    fn loss(x: f32[B, 4], y: i32[B]) -> f32 { return cross_entropy(forward(x), y) }
}

train M {
    data = "d.csv"
    epochs = 1
    batch = 5
}
`

// writeSplitProgram writes splitSrc (its train block extended by block)
// and a d.csv of rows rows, and compiles it.
func writeSplitProgram(t *testing.T, block string, rows int) *Program {
	t.Helper()
	dir := t.TempDir()
	var csv strings.Builder
	for i := range rows {
		fmt.Fprintf(&csv, "%d,%d,%d,%d,%d\n", i%3, i%5, i%7, i%2, i%2)
	}
	src := strings.Replace(splitSrc, "    batch = 5\n", "    batch = 5\n"+block, 1)
	for name, text := range map[string]string{"m.nn": src, "d.csv": csv.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := CompileFile(filepath.Join(dir, "m.nn"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrainSplit: the split (TrainOptions.Split, else the block's split,
// else 70/15/15) decides how many rows train: with 40 rows and batches of 5,
// one epoch is ceil(rows·Train / 5) steps; a zero Val or Test gives no such
// metrics.
func TestTrainSplit(t *testing.T) {
	for _, c := range []struct {
		block   string
		split   Split
		steps   int // ceil(round(40·Train) / 5)
		metrics []string
	}{
		{"", Split{}, 6, []string{"val_loss", "test_loss"}},                                                 // 28 rows
		{"    split = [0.5, 0.25, 0.25]\n", Split{}, 4, []string{"val_loss", "test_loss"}},                  // 20 rows
		{"    split = [0.5, 0.25, 0.25]\n", Split{Train: 0.9, Val: 0, Test: 0.1}, 8, []string{"test_loss"}}, // 36 rows
		{"    split = [1, 0, 0]\n", Split{}, 8, nil},                                                        // 40 rows
		{"", Split{Train: 0.3, Val: 0.7}, 3, []string{"val_loss"}},                                          // 12 rows
	} {
		p := writeSplitProgram(t, c.block, 40)
		res, err := p.Train(TrainOptions{Split: c.split})
		if err != nil {
			t.Fatalf("%q %v: %v", c.block, c.split, err)
		}
		if res.Details.Steps != c.steps {
			t.Errorf("%q %v: %d steps, want %d", c.block, c.split, res.Details.Steps, c.steps)
		}
		for _, k := range []string{"val_loss", "test_loss"} {
			_, has := res.Metrics[k]
			want := strings.Contains(strings.Join(c.metrics, " "), k)
			if has != want {
				t.Errorf("%q %v: metric %s present %v, want %v (%v)", c.block, c.split, k, has, want, res.Metrics)
			}
		}
	}
}

// TestSplitErrors: a split no setting can take is refused before any work,
// as an option error (TrainOptions.Split, EvalOptions.Split) or at the
// block's split setting with its position.
func TestSplitErrors(t *testing.T) {
	for _, c := range []struct {
		s    Split
		want string
	}{
		{Split{Train: 0.5, Val: 0.5, Test: 0.5}, "TrainOptions.Split is [0.5, 0.5, 0.5]: the fractions sum to 1.5, not 1"},
		{Split{Train: 0, Val: 0.5, Test: 0.5}, "the training fraction is 0"},
		{Split{Train: 1.5, Val: -0.5}, "must be non-negative, finite numbers, got -0.5"},
		{Split{Train: math.NaN(), Val: 1}, "got NaN"},
		{Split{Train: math.Inf(1)}, "got +Inf"},
	} {
		p := writeSplitProgram(t, "", 40)
		_, err := p.Train(TrainOptions{Split: c.s})
		var oe *OptionError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &oe) || oe.Option != "TrainOptions.Split" {
			t.Errorf("Train(Split %v): %v; want an OptionError with %q", c.s, err, c.want)
		}
		if _, err := p.TrainMemory(TrainOptions{Split: c.s}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("TrainMemory(Split %v): %v; want %q", c.s, err, c.want)
		}
		_, err = p.Eval(EvalOptions{Params: "p.safetensors", Split: c.s})
		if want := strings.Replace(c.want, "TrainOptions", "EvalOptions", 1); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Eval(Split %v): %v; want %q", c.s, err, want)
		}
	}
	// Within 1e-9 of 1 is a sum of 1.
	if err := (Split{Train: 0.7, Val: 0.15, Test: 0.15 + 5e-10}).Check(); err != nil {
		t.Errorf("a sum within 1e-9 of 1: %v", err)
	}
	if err := (Split{Train: 0.7, Val: 0.15, Test: 0.15 + 2e-9}).Check(); err == nil {
		t.Error("a sum 2e-9 off 1 passes")
	}
	for block, want := range map[string]string{
		"    split = [0.5, 0.5]\n":        `m.nn:12:13: train M: split: want three fractions [train, val, test] such as [0.8, 0.1, 0.1], got [0.5, 0.5]`,
		"    split = [0.5, \"a\", 0.5]\n": `m.nn:12:13: train M: split: want three fractions [train, val, test] such as [0.8, 0.1, 0.1], got [0.5, "a", 0.5]`,
		"    split = 0.5\n":               `m.nn:12:13: train M: split: want three fractions`,
		"    split = [0.6, 0.6, -0.2]\n":  `m.nn:12:13: train M: split: the fractions must be non-negative, finite numbers, got -0.2`,
		"    split = [0.6, 0.3, 0.2]\n":   `m.nn:12:13: train M: split: the fractions sum to 1.1, not 1`,
		"    split = [0, 0.5, 0.5]\n":     `m.nn:12:13: train M: split: the training fraction is 0`,
	} {
		p := writeSplitProgram(t, block, 40)
		_, err := p.Train(TrainOptions{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("block %q: %v; want %q", block, err, want)
		}
	}
	// Eval of a split without a test set has nothing to measure.
	p := writeSplitProgram(t, "    split = [0.9, 0.1, 0]\n", 40)
	if _, err := p.Eval(EvalOptions{Params: "p.safetensors"}); err == nil || !strings.Contains(err.Error(), "m.nn:12:13: train M: split: the test fraction is 0: there is nothing to evaluate") {
		t.Errorf("Eval with the block's split [0.9, 0.1, 0]: %v", err)
	}
	if _, err := p.Eval(EvalOptions{Params: "p.safetensors", Split: Split{Train: 1}}); err == nil || err.Error() != "EvalOptions.Split is [1, 0, 0]: the test fraction is 0: there is nothing to evaluate" {
		t.Errorf("Eval with Split [1, 0, 0]: %v", err)
	}
}

// TestOptionErrors: the library's errors name the options that caused
// them, or that would fix them, as the API spells them, never a flag; an
// OptionError says which.
func TestOptionErrors(t *testing.T) {
	noBlock, err := Compile("nb.nn", []byte("model M() {\n    param W: f32[2] = zeros()\n    fn loss(x: f32[2]) -> f32 {\n        return sum(x * W)\n    }\n    fn scale(x: f32[2]) -> f32[2] {\n        return x * W\n    }\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	noData := writeSplitProgram(t, "", 40)
	spec, _ := noData.mod.TrainBlock("M")
	delete(spec.Fields, "data")
	_, trainNoBlock := noBlock.Train(TrainOptions{})
	_, evalNoBlock := noBlock.Eval(EvalOptions{Params: "p.safetensors"})
	_, trainNoData := noData.Train(TrainOptions{})
	_, evalNoData := noData.Eval(EvalOptions{Params: "p.safetensors"})
	_, graphGrad := noBlock.Graph("M.scale", GraphOptions{Grad: true})
	_, remat := writeSplitProgram(t, "", 40).Train(TrainOptions{Remat: true, MaxMemory: 100})
	for _, c := range []struct {
		err     error
		option  string
		missing bool
		want    string
	}{
		{trainNoBlock, "TrainOptions.Model", true, "nb.nn: no train block (set TrainOptions.Model)"},
		{evalNoBlock, "EvalOptions.Model", true, "nb.nn: no train block (set EvalOptions.Model)"},
		{trainNoData, "TrainOptions.Data", true, `train M: no data: set data = "digits" (or a file) in the train block (set TrainOptions.Data)`},
		{evalNoData, "EvalOptions.Data", true, `(set EvalOptions.Data)`},
		{graphGrad, "GraphOptions.Grad", false, "GraphOptions.Grad: M.scale must return one float scalar"},
		{remat, "TrainOptions.MaxMemory", false, "TrainOptions.MaxMemory is 100 B: the training step needs at least"},
	} {
		var oe *OptionError
		if c.err == nil || !errors.As(c.err, &oe) || oe.Option != c.option || oe.Missing != c.missing || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%v: want an OptionError for %s (missing %v) saying %q", c.err, c.option, c.missing, c.want)
		}
		if c.err != nil && strings.Contains(c.err.Error(), "--") {
			t.Errorf("%v names a flag", c.err)
		}
	}
}
