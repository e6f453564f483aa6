package nnc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/tensor"
)

// linearModel is a linear classifier of f features and 3 classes with the
// given train block, written to m.nn in dir.
func linearModel(t *testing.T, dir string, f int, block string) string {
	t.Helper()
	src := fmt.Sprintf(`model M() {
    param W: f32[%d, 3] = glorot_uniform()
    param b: f32[3] = zeros()

    fn forward(x: f32[B, %d]) -> f32[B, 3] {
        return x @ W + b
    }

    fn loss(x: f32[B, %d], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train M {
%s
}
`, f, f, f, block)
	path := filepath.Join(dir, "m.nn")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// copyPreprocessData copies testdata/preprocess (written by
// make_preprocess.py) into a new folder.
func copyPreprocessData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("testdata/preprocess/*.csv")
	if err != nil || len(files) == 0 {
		t.Fatalf("testdata/preprocess: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func compile(t *testing.T, path string) *Program {
	t.Helper()
	p, err := CompileFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrainStandardize: preprocess = standardize() fits the mean and std
// of the training file (NumPy's, std.json), writes them beside the
// parameters, and eval and PreprocessInputs scale the test file exactly as
// NumPy does: the metrics equal those of a model without preprocessing
// measured on the file NumPy standardized.
func TestTrainStandardize(t *testing.T) {
	dir := copyPreprocessData(t)
	m := linearModel(t, dir, 3, `    data = csv("train.csv", label = "y", test = "test.csv")
    preprocess = standardize()
    epochs = 3
    batch = 16`)
	p := compile(t, m)
	params := filepath.Join(dir, "m.safetensors")
	res, err := p.Train(TrainOptions{Output: params})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := data.LoadPreprocess(filepath.Join(dir, "m.preprocess.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Mean, Std []float64 }
	b, err := os.ReadFile("testdata/preprocess/std.json")
	if err != nil || json.Unmarshal(b, &want) != nil {
		t.Fatalf("std.json: %v", err)
	}
	st := stats.Stats["x"]
	for j := range 3 {
		if math.Abs(st.Mean[j]-want.Mean[j]) > 1e-15*math.Abs(want.Mean[j]) || math.Abs(st.Std[j]-want.Std[j]) > 1e-15*want.Std[j] {
			t.Fatalf("feature %d: mean %v std %v, want %v %v", j, st.Mean[j], st.Std[j], want.Mean[j], want.Std[j])
		}
	}
	if st.Rows != 60 || stats.Inputs["x"] != "x" || stats.Scaling != data.Standardize {
		t.Fatalf("statistics of %d rows, inputs %v, scaling %v", st.Rows, stats.Inputs, stats.Scaling)
	}

	got, err := p.Eval(EvalOptions{Params: params, Data: filepath.Join(dir, "test.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if got["test_loss"] != res.Metrics["test_loss"] || got["test_accuracy"] != res.Metrics["test_accuracy"] {
		t.Fatalf("eval %v, training's test metrics %v", got, res.Metrics)
	}
	// The same parameters, without statistics beside them, on the test file
	// NumPy standardized: the same numbers.
	plain := compile(t, linearModel(t, t.TempDir(), 3, `    data = csv("unused.csv")`))
	bare := filepath.Join(t.TempDir(), "bare.safetensors")
	copyFile(t, params, bare)
	ref, err := plain.Eval(EvalOptions{Params: bare, Data: filepath.Join(dir, "test_std.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if ref["test_loss"] != got["test_loss"] || ref["test_accuracy"] != got["test_accuracy"] {
		t.Fatalf("eval with statistics %v, on NumPy's standardized file %v", got, ref)
	}

	// run: PreprocessInputs scales x as NumPy did.
	raw, err := data.ReadCSV(filepath.Join(dir, "test.csv"), data.CSVOptions{Label: "y"})
	if err != nil {
		t.Fatal(err)
	}
	std, err := data.ReadCSV(filepath.Join(dir, "test_std.csv"), data.CSVOptions{Label: "y"})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]*Tensor{"x": raw.Arrays["x"], "y": raw.Arrays["y"]}
	before := slices.Clone(raw.Arrays["x"].F32)
	scaled, err := PreprocessInputs(params, in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(scaled["x"].F32, std.Arrays["x"].F32) || scaled["y"] != in["y"] || !slices.Equal(before, raw.Arrays["x"].F32) {
		t.Fatal("PreprocessInputs: x differs from NumPy's, y was replaced, or the input was changed")
	}
	if same, err := PreprocessInputs(bare, in); err != nil || same["x"] != in["x"] {
		t.Fatalf("without statistics: %v", err)
	}

	// Eval needs the statistics a block that preprocesses wrote.
	if err := os.Rename(filepath.Join(dir, "m.preprocess.json"), filepath.Join(dir, "away.json")); err != nil {
		t.Fatal(err)
	}
	_, err = p.Eval(EvalOptions{Params: params, Data: filepath.Join(dir, "test.csv")})
	if err == nil || !strings.Contains(err.Error(), m+":16:18: train M: preprocess: no statistics beside the parameters") {
		t.Fatalf("eval without statistics: %v", err)
	}
	// Training into the same file without preprocessing leaves no statistics
	// of another model beside it.
	if err := os.Rename(filepath.Join(dir, "away.json"), filepath.Join(dir, "m.preprocess.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Train(TrainOptions{Output: params, Preprocess: "none", Epochs: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.preprocess.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("statistics left beside parameters trained without them: %v", err)
	}
	if _, err := p.Train(TrainOptions{Preprocess: "zscore"}); err == nil || !strings.Contains(err.Error(), "TrainOptions.Preprocess") {
		t.Fatalf("unknown scaling option: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrainOneHotMinMax: a categorical column one-hot encoded (the model
// reads 5 features from 3 columns) and every feature scaled to [-1, 1]:
// eval equals the model without preprocessing on NumPy's encoded and
// scaled file; TrainOptions.Preprocess replaces the scaling.
func TestTrainOneHotMinMax(t *testing.T) {
	dir := copyPreprocessData(t)
	m := linearModel(t, dir, 5, `    data = csv("cat_train.csv", label = "y", categorical = ["colour"], test = "cat_test.csv")
    preprocess = [one_hot(columns = [2]), minmax(low = -1, high = 1)]
    epochs = 2
    batch = 8`)
	p := compile(t, m)
	params := filepath.Join(dir, "m.safetensors")
	if _, err := p.Train(TrainOptions{Output: params}); err != nil {
		t.Fatal(err)
	}
	got, err := p.Eval(EvalOptions{Params: params, Data: filepath.Join(dir, "cat_test.csv")})
	if err != nil {
		t.Fatal(err)
	}
	plain := compile(t, linearModel(t, t.TempDir(), 5, `    data = csv("unused.csv")`))
	bare := filepath.Join(t.TempDir(), "bare.safetensors")
	copyFile(t, params, bare)
	ref, err := plain.Eval(EvalOptions{Params: bare, Data: filepath.Join(dir, "test_mm.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if ref["test_loss"] != got["test_loss"] || ref["test_accuracy"] != got["test_accuracy"] {
		t.Fatalf("eval with statistics %v, on NumPy's encoded and scaled file %v", got, ref)
	}
	stats, err := data.LoadPreprocess(data.PreprocessPath(params))
	if err != nil {
		t.Fatal(err)
	}
	if oh := stats.OneHot; len(oh) != 1 || !slices.Equal(oh[0].Columns, []int{1}) || !slices.Equal(oh[0].Classes, []int{3}) || stats.Low != -1 || stats.High != 1 {
		t.Fatalf("saved %+v", stats)
	}
	// The option's scaling replaces the block's, the one-hot kept.
	if _, err := p.Train(TrainOptions{Output: params, Preprocess: "standardize", Epochs: 1}); err != nil {
		t.Fatal(err)
	}
	if stats, err = data.LoadPreprocess(data.PreprocessPath(params)); err != nil || stats.Scaling != data.Standardize || len(stats.OneHot) != 1 {
		t.Fatalf("with TrainOptions.Preprocess: %+v, %v", stats, err)
	}
}

// imageNPZ writes 64 images f32 [64, 1, 6, 6] (a bright column at a place
// that says the class) and labels to d.npz in dir.
func imageNPZ(t *testing.T, dir string) {
	t.Helper()
	x := tensor.New(tensor.F32, 64, 1, 6, 6)
	y := tensor.New(tensor.I32, 64)
	for i := range 64 {
		c := i % 3
		y.I32[i] = int32(c)
		for r := range 6 {
			x.F32[i*36+r*6+c*2] = 1
			x.F32[i*36+r*6+(i*5)%6] += 0.25
		}
	}
	if err := data.SaveNPZ(filepath.Join(dir, "d.npz"), map[string]*tensor.Tensor{"x": x, "y": y}); err != nil {
		t.Fatal(err)
	}
}

// TestTrainAugment: augment(...) on images bound to a flat input (their
// [1, 6, 6] rows read as images): the same seed trains the same parameters
// bit for bit, and without augmentation (NoAugment, or no setting) other
// ones.
func TestTrainAugment(t *testing.T) {
	dir := t.TempDir()
	imageNPZ(t, dir)
	trainBits := func(block string, opts TrainOptions) []float32 {
		m := linearModel(t, dir, 36, `    data = npz("d.npz", split = [0.75, 0.25])
    epochs = 2
    batch = 8
    seed = 4
`+block)
		out := filepath.Join(dir, "p.safetensors")
		opts.Output = out
		if _, err := compile(t, m).Train(opts); err != nil {
			t.Fatal(err)
		}
		ts, err := data.LoadSafetensors(out)
		if err != nil {
			t.Fatal(err)
		}
		return ts["W"].F32
	}
	aug := `    augment = augment(crop = 1, flip = true, rotate = 10, translate = 0.1, scale = 0.1, noise = 0.05)`
	a, b := trainBits(aug, TrainOptions{}), trainBits(aug, TrainOptions{})
	if !slices.Equal(a, b) {
		t.Fatal("two trainings with the same seed and augmentation differ")
	}
	none, off := trainBits("", TrainOptions{}), trainBits(aug, TrainOptions{NoAugment: true})
	if !slices.Equal(none, off) {
		t.Fatal("NoAugment trains differently from a block without augment")
	}
	if slices.Equal(a, none) {
		t.Fatal("augmentation changed nothing")
	}
}

// TestPreprocessBlockErrors: every error of the preprocess and augment
// settings is at the value at fault.
func TestPreprocessBlockErrors(t *testing.T) {
	dir := copyPreprocessData(t)
	cases := []struct{ line, want string }{ // want: position, code, message
		{`preprocess = normalize()`, `:16:18: E201: train M: preprocess: unknown step normalize (known: minmax, one_hot, standardize)`},
		{`preprocess = [standardize(), minmax()]`, `:16:34: E103: train M: preprocess: a second scaling (minmax after standardize): give one`},
		{`preprocess = minmax(low = 1, high = 0)`, `:16:18: E308: train M: preprocess: minmax: the range [1, 0] needs low < high`},
		{`preprocess = standardize(arays = ["x"])`, `:16:30: E204: train M: preprocess: standardize has no argument arays (arguments: arrays)`},
		{`preprocess = one_hot(columns = [0])`, `:16:36: E308: train M: preprocess: one_hot: columns = [0]: want a list of columns of the array, each counted from 1`},
		{`preprocess = 3`, `:16:18: E304: train M: preprocess: want standardize()`},
		{`augment = augment(rotate = 500)`, `:16:32: E308: train M: augment: rotate = 500: rotate 500 is not in [0, 180] degrees`},
		{`augment = augment(flip = 1)`, `:16:30: E308: train M: augment: flip = 1: want true or false`},
		{`augment = augment(zoom = 0.1)`, `:16:23: E204: train M: augment: augment has no argument zoom`},
		{`augment = flip()`, `:16:15: E304: train M: augment: want augment(crop = 4, flip = true, ...), got flip(...)`},
		// Found with the data: at the setting's value.
		{`augment = augment(flip = true)`, `:16:15: E308: train M: augment: rows [3] of "x" are not images [H, W] or [C, H, W] (give the image's shape)`},
		{`preprocess = standardize(arrays = ["q"])`, `:16:18: E308: train M: preprocess: the data has no array "q"`},
		{`preprocess = standardize(arrays = ["y"])`, `:16:18: E308: train M: preprocess: array "y" is i32; only float arrays are scaled`},
	}
	for _, c := range cases {
		m := linearModel(t, dir, 3, `    data = csv("train.csv", label = "y", test = "test.csv")
    `+c.line)
		p, err := CompileFile(m)
		if err == nil {
			_, err = p.Train(TrainOptions{Epochs: 1})
		}
		pos, rest, _ := strings.Cut(c.want[1:], " ")
		code, msg, _ := strings.Cut(rest, " ")
		want := m + ":" + pos + " " + msg
		var le *lang.Error
		var list lang.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			le = list[0]
		} else {
			errors.As(err, &le)
		}
		if err == nil || !strings.Contains(err.Error(), want) || le == nil || le.Code+":" != code {
			t.Errorf("%s:\n got %v (code %v)\nwant %s (code %s)", c.line, err, le, want, code)
		}
	}
}

// TestTrainGraphStandardize: on full-batch graph data the statistics are
// those of the training nodes only (the training mask's 80 of 240; NumPy's,
// cora_small_stats.json), applied to every node; augment is refused.
func TestTrainGraphStandardize(t *testing.T) {
	src, err := os.ReadFile("testdata/train/gcn_small.nn")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyFile(t, "testdata/train/cora_small.npz", filepath.Join(dir, "cora_small.npz"))
	text := strings.Replace(string(src), "    epochs    = 100", "    epochs    = 2\n    preprocess = standardize(arrays = [\"features\"])", 1)
	m := filepath.Join(dir, "g.nn")
	if err := os.WriteFile(m, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(dir, "g.safetensors")
	if _, err := compile(t, m).Train(TrainOptions{Output: params}); err != nil {
		t.Fatal(err)
	}
	stats, err := data.LoadPreprocess(data.PreprocessPath(params))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Rows      int
		Mean, Std []float64
	}
	b, err := os.ReadFile("testdata/preprocess/cora_small_stats.json")
	if err != nil || json.Unmarshal(b, &want) != nil {
		t.Fatalf("cora_small_stats.json: %v", err)
	}
	st := stats.Stats["features"]
	if st.Rows != want.Rows || len(st.Mean) != len(want.Mean) || stats.Inputs["features"] != "X" {
		t.Fatalf("statistics of %d rows, %d features, inputs %v; want %d rows, %d features, X", st.Rows, len(st.Mean), stats.Inputs, want.Rows, len(want.Mean))
	}
	for j := range want.Mean {
		if math.Abs(st.Mean[j]-want.Mean[j]) > 1e-15*math.Abs(want.Mean[j]) || math.Abs(st.Std[j]-want.Std[j]) > 1e-15*want.Std[j] {
			t.Fatalf("feature %d: mean %v std %v, want %v %v", j, st.Mean[j], st.Std[j], want.Mean[j], want.Std[j])
		}
	}
	aug := strings.Replace(text, "    preprocess =", "    augment = augment(flip = true)\n    preprocess =", 1)
	if err := os.WriteFile(m, []byte(aug), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := compile(t, m).Train(TrainOptions{}); err == nil || !strings.Contains(err.Error(), "augment: applies to batches of rows, not to full-batch data") {
		t.Fatalf("augment on a graph: %v", err)
	}
}

// TestTrainTextPreprocessRefused: text windows are ids redrawn every
// epoch: preprocess does not apply to them.
func TestTrainTextPreprocessRefused(t *testing.T) {
	src, err := os.ReadFile("testdata/train/char_lstm.nn")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyFile(t, "testdata/train/shakespeare_3k.txt", filepath.Join(dir, "shakespeare_3k.txt"))
	text := strings.Replace(string(src), "    epochs    = 3", "    epochs    = 3\n    preprocess = standardize()", 1)
	m := filepath.Join(dir, "c.nn")
	if err := os.WriteFile(m, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = compile(t, m).Train(TrainOptions{})
	if err == nil || !strings.Contains(err.Error(), m+":27:18: train CharLM: preprocess: applies to arrays of numbers, not to text windows") {
		t.Fatalf("preprocess of text: %v", err)
	}
}
