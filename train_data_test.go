package nnc

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/tensor"
)

// npzData writes an .npz of 100 rows for tinyModel's M (x f32[100, 4],
// y i32[100] alternating 0 and 1, and z f32[100], which no graph reads) next
// to the model, after edit changes the arrays.
func npzData(t *testing.T, model string, edit func(x, y, z *tensor.Tensor)) string {
	t.Helper()
	x := tensor.New(tensor.F32, 100, 4)
	y := tensor.New(tensor.I32, 100)
	z := tensor.New(tensor.F32, 100)
	for i := range 100 {
		a, b := float32(i%7)/7, float32(i%5)/5
		copy(x.F32[4*i:], []float32{a, b, a * b, 1 - a})
		y.I32[i] = int32(i % 2)
	}
	edit(x, y, z)
	path := filepath.Join(filepath.Dir(model), "d.npz")
	if err := data.SaveNPZ(path, map[string]*tensor.Tensor{"x": x, "y": y, "z": z}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTrainNPZChecked: NPZ data gets the checks CSV data gets. A NaN or
// infinite feature is refused when the data is loaded, naming the file, the
// row and the array, unless AllowNonFinite; a label out of range names the
// file and the row (it said "row 37" alone before).
func TestTrainNPZChecked(t *testing.T) {
	model := tinyModel(t, "    epochs = 2\n    batch = 10")
	p, err := CompileFile(model)
	if err != nil {
		t.Fatal(err)
	}
	npz := npzData(t, model, func(x, y, z *tensor.Tensor) { x.F32[4*23+2] = float32(math.Inf(-1)) })
	_, err = p.Train(TrainOptions{Data: npz})
	want := npz + `: row 23: array "x", element 2 of the row: -Inf is not finite`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("-Inf feature: err = %v, want %q", err, want)
	}
	if _, err = p.Eval(EvalOptions{Data: npz, Params: "unread.safetensors"}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Eval, -Inf feature: err = %v, want %q", err, want)
	}

	// NaN in an array no graph reads: refused by default, trained with
	// AllowNonFinite.
	npz = npzData(t, model, func(x, y, z *tensor.Tensor) { z.F32[61] = float32(math.NaN()) })
	want = npz + `: row 61: array "z", element 0 of the row: NaN is not finite`
	if _, err = p.Train(TrainOptions{Data: npz}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("NaN in z: err = %v, want %q", err, want)
	}
	params := filepath.Join(filepath.Dir(model), "p.safetensors")
	res, err := p.Train(TrainOptions{Data: npz, AllowNonFinite: true, Output: params})
	if err != nil {
		t.Fatalf("NaN in z with AllowNonFinite: %v", err)
	}
	if l := res.Metrics["test_loss"]; !(l > 0 && l < 10) {
		t.Errorf("test_loss %v, want a finite positive loss", l)
	}
	if _, err := p.Eval(EvalOptions{Data: npz, Params: params}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Eval, NaN in z: err = %v, want %q", err, want)
	}
	// Divided by the split Train used, the test set is the one trained
	// with; without a split, Eval measures the whole file.
	m, err := p.Eval(EvalOptions{Data: npz, Params: params, AllowNonFinite: true, Split: DefaultSplit()})
	if err != nil || m["test_loss"] != res.Metrics["test_loss"] {
		t.Errorf("Eval with AllowNonFinite = %v, %v; want test_loss %v as trained", m, err, res.Metrics["test_loss"])
	}
	whole, err := p.Eval(EvalOptions{Data: npz, Params: params, AllowNonFinite: true})
	if err != nil || whole["test_loss"] == m["test_loss"] {
		t.Errorf("Eval of the whole file = %v, %v; want another loss than the test set's %v", whole, err, m["test_loss"])
	}

	npz = npzData(t, model, func(x, y, z *tensor.Tensor) { y.I32[37] = 2 })
	want = npz + `: row 37: cross_entropy "y": label 2 out of range [0, 2)`
	if _, err = p.Train(TrainOptions{Data: npz}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("label 2 of 2 classes: err = %v, want %q", err, want)
	}
}

// TestTrainMaxDataBytes: MaxDataBytes bounds the data file; negative is an
// error before any work.
func TestTrainMaxDataBytes(t *testing.T) {
	model := tinyModel(t, `    data = "d.csv"`)
	p, err := CompileFile(model)
	if err != nil {
		t.Fatal(err)
	}
	// d.csv: 100 rows of 4 features and a label, about 2 KB of text and of arrays.
	if _, err := p.Train(TrainOptions{MaxDataBytes: 1000, Epochs: 1}); err == nil || !strings.Contains(err.Error(), "d.csv: ") || !strings.Contains(err.Error(), "more than the limit of 1000 bytes") {
		t.Errorf("MaxDataBytes 1000: err = %v, want d.csv over the limit", err)
	}
	if _, err := p.Train(TrainOptions{MaxDataBytes: 1 << 20, Epochs: 1}); err != nil {
		t.Errorf("MaxDataBytes 1 MiB: %v", err)
	}
	if _, err := p.Train(TrainOptions{MaxDataBytes: -1}); err == nil || !strings.Contains(err.Error(), "TrainOptions.MaxDataBytes is -1") {
		t.Errorf("MaxDataBytes -1: %v", err)
	}
	if _, err := p.Eval(EvalOptions{Params: "x.safetensors", MaxDataBytes: -2}); err == nil || !strings.Contains(err.Error(), "EvalOptions.MaxDataBytes is -2") {
		t.Errorf("Eval MaxDataBytes -2: %v", err)
	}
}

// TestTrainNilProgram: Train, TrainContext, Eval and EvalContext on a nil
// or zero Program return the plain error of an unusable Program, not an
// internal error.
func TestTrainNilProgram(t *testing.T) {
	for _, p := range []*Program{nil, {}} {
		calls := map[string]error{}
		_, calls["Train"] = p.Train(TrainOptions{})
		_, calls["TrainContext"] = p.TrainContext(t.Context(), TrainOptions{})
		_, calls["Eval"] = p.Eval(EvalOptions{Params: "p.safetensors"})
		_, calls["EvalContext"] = p.EvalContext(t.Context(), EvalOptions{Params: "p.safetensors"})
		for name, err := range calls {
			var ie *InternalError
			if !errors.Is(err, errNoProgram) || errors.As(err, &ie) {
				t.Errorf("%s on %#v: err = %v, want %v", name, p, err, errNoProgram)
			}
		}
		if names := p.ModelArgNames(); names != nil {
			t.Errorf("ModelArgNames on %#v = %v", p, names)
		}
	}
}

// TestTrainMemoryDataOptions: TrainMemory loads the data with the same
// options as Train (MaxDataBytes bounds the file there too).
func TestTrainMemoryDataOptions(t *testing.T) {
	p, err := CompileFile(tinyModel(t, `    data = "d.csv"`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.TrainMemory(TrainOptions{MaxDataBytes: 1000, Remat: true, MaxMemory: 1 << 20}); err == nil || !strings.Contains(err.Error(), "more than the limit of 1000 bytes") {
		t.Errorf("TrainMemory with MaxDataBytes 1000: err = %v, want the data file over the limit", err)
	}
	if _, err := p.TrainMemory(TrainOptions{MaxDataBytes: 1 << 20, Remat: true, MaxMemory: 1 << 20}); err != nil {
		t.Errorf("TrainMemory with MaxDataBytes 1 MiB: %v", err)
	}
}
