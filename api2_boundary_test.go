package nnc

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// loopInput is a [rows, 3] f32 input with small distinct values.
func loopInput(rows int) *Tensor {
	x := tensor.New(tensor.F32, rows, 3)
	for i := range x.F32 {
		x.F32[i] = float32(i%7)/4 - 0.5
	}
	return x
}

// An entry that unrolls over a shape variable is checked for the sizes the
// options give, not for the sizes of the lowering the Func keeps to learn
// its parameters (every variable 1). L.score(x) = Σ_j w_j Σ_i 2^(T-1-i)
// x[i, j], so ∂/∂x[i, j] = 2^(T-1-i) w_j and ∂/∂w_j = Σ_i 2^(T-1-i) x[i, j].
func TestGradCheckPerShapeEntry(t *testing.T) {
	p, err := Compile("loop.nn", []byte(loopSrc))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("L.score")
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := f.Param("w")
	w := wt.Float64s()
	const T = 5
	x := loopInput(T)
	xs := x.Float64s()
	rep, err := f.GradCheck(GradCheckOptions{Inputs: map[string]*Tensor{"x": x}, Samples: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Checks) != 2 {
		t.Fatalf("report:\n%s", reportText(rep))
	}
	cx, cw := rep.Checks[0], rep.Checks[1]
	if cx.Name != "x" || cx.Type != "f32[5, 3]" || cx.Checked != 15 {
		t.Errorf("x checked as %s, %d elements; want f32[5, 3], 15", cx.Type, cx.Checked)
	}
	if cw.Name != "w" || cw.Type != "f32[3]" || cw.Checked != 3 {
		t.Errorf("w checked as %s %s, %d elements; want w f32[3], 3", cw.Name, cw.Type, cw.Checked)
	}
	i, j := cx.At/3, cx.At%3
	if want := math.Ldexp(w[j], T-1-i); math.Abs(cx.Analytic-want) > 1e-6*math.Abs(want)+1e-9 {
		t.Errorf("∂/∂x[%d, %d] = %v, want 2^%d·w[%d] = %v", i, j, cx.Analytic, T-1-i, j, want)
	}
	want := 0.0
	for i := range T {
		want += math.Ldexp(xs[i*3+cw.At], T-1-i)
	}
	if math.Abs(cw.Analytic-want) > 1e-6*math.Abs(want)+1e-9 {
		t.Errorf("∂/∂w[%d] = %v, want %v", cw.At, cw.Analytic, want)
	}
	// Random inputs take their size from Shapes.
	rep, err = f.GradCheck(GradCheckOptions{Shapes: map[string]int{"T": 4}, Samples: -1, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Checks[0]; !rep.OK || c.Type != "f32[4, 3]" || c.Checked != 12 {
		t.Errorf("T = 4: report\n%s", reportText(rep))
	}
}

// The options of GradCheck are validated: zero is the default, a value no
// setting can take is an error (never the default), names must be known.
func TestGradCheckOptionsInvalid(t *testing.T) {
	f := benchFunc(t, "M.loss")
	x := map[string]*Tensor{"x": rowsInput(2, 0)}
	for _, c := range []struct {
		name string
		o    GradCheckOptions
		want string
	}{
		{"Eps NaN", GradCheckOptions{Eps: math.NaN()}, "GradCheckOptions.Eps is NaN"},
		{"Eps negative", GradCheckOptions{Eps: -1e-5}, "GradCheckOptions.Eps is -1e-05"},
		{"Eps infinite", GradCheckOptions{Eps: math.Inf(1)}, "GradCheckOptions.Eps is +Inf"},
		{"Tol NaN", GradCheckOptions{Tol: math.NaN()}, "GradCheckOptions.Tol is NaN"},
		{"Tol negative", GradCheckOptions{Tol: -1}, "GradCheckOptions.Tol is -1"},
		{"Shapes negative", GradCheckOptions{Shapes: map[string]int{"B": -3}}, "Shapes gives B = -3: want a size from 0"},
		{"Shapes unknown", GradCheckOptions{Shapes: map[string]int{"Q": 2}}, "Shapes gives Q, which is no shape variable of M.loss's inputs (B)"},
		{"Shapes against Inputs", GradCheckOptions{Inputs: x, Shapes: map[string]int{"B": 5}}, "Shapes gives B = 5, but the given inputs have B = 2"},
		{"input unknown", GradCheckOptions{Inputs: map[string]*Tensor{"z": rowsInput(2, 0)}}, `M.loss has no input "z" (inputs: x)`},
		{"input nil", GradCheckOptions{Inputs: map[string]*Tensor{"x": nil}}, "input x: nil tensor"},
		{"input short", GradCheckOptions{Inputs: map[string]*Tensor{"x": {DType: tensor.F32, Shape: []int{2, 4}, F32: make([]float32, 3)}}}, "holds 3 values, not 8"},
		{"input overflowing", GradCheckOptions{Inputs: map[string]*Tensor{"x": {DType: tensor.F32, Shape: []int{1 << 40, 1 << 40}}}}, "has more elements than an int counts"},
		{"input f64", GradCheckOptions{Inputs: map[string]*Tensor{"x": tensor.New(tensor.F64, 2, 4)}}, "got f64[2, 4], want f32[B, 4]"},
	} {
		rep, err := f.GradCheck(c.o)
		var ie *InternalError
		switch {
		case err == nil:
			t.Errorf("%s: no error, report\n%s", c.name, reportText(rep))
		case errors.As(err, &ie):
			t.Errorf("%s: internal error %v", c.name, err)
		case !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: error %q, want %q", c.name, err, c.want)
		}
	}
	rep, err := f.GradCheck(GradCheckOptions{Inputs: x})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Eps != 1e-5 || rep.Tol != 1e-5 || rep.Checks[0].Checked != 8 || rep.Checks[1].Checked != 32 {
		t.Errorf("defaults: eps %v, tol %v, checked %d and %d; want 1e-5, 1e-5, 8 (all of x) and 32 (all of W1)",
			rep.Eps, rep.Tol, rep.Checks[0].Checked, rep.Checks[1].Checked)
	}
}

// WriteTensors refuses a tensor whose data does not match its shape, for
// both formats, and leaves an existing file as it was.
func TestWriteTensorsMalformed(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		t    *Tensor
		want string
	}{
		{"short", &Tensor{DType: tensor.F32, Shape: []int{2, 4}, F32: make([]float32, 3)}, "f32[2 4] holds 3 elements, its shape says 8"},
		{"long", &Tensor{DType: tensor.I32, Shape: []int{2}, I32: make([]int32, 5)}, "i32[2] holds 5 elements, its shape says 2"},
		{"other slice", &Tensor{DType: tensor.F64, Shape: []int{3}, F32: make([]float32, 3)}, "f64[3] holds 0 elements, its shape says 3"},
		{"negative dim", &Tensor{DType: tensor.F32, Shape: []int{-1}}, "negative dimension"},
		{"no dtype", &Tensor{Shape: []int{1}, F32: []float32{1}}, "unknown element type"},
	} {
		for _, ext := range []string{".npy", ".safetensors"} {
			path := filepath.Join(dir, "out"+ext)
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := WriteTensors(path, []string{"a"}, []*Tensor{c.t})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `tensor "a"`) {
				t.Errorf("%s %s: err = %v, want %q", c.name, ext, err, c.want)
			}
			if b, _ := os.ReadFile(path); string(b) != "old" {
				t.Errorf("%s %s: the file now holds %d bytes", c.name, ext, len(b))
			}
		}
	}
}

// The exported methods of the value types work on a nil receiver.
func TestNilReceivers(t *testing.T) {
	var s *Summary
	var r *GradCheckReport
	var ie *InternalError
	if s != nil || r.Worst() != nil || !strings.Contains(ie.Error(), "internal error") {
		t.Errorf("nil receivers: %v, %q", r.Worst(), ie.Error())
	}
	if w := (&GradCheckReport{}).Worst(); w != nil {
		t.Errorf("Worst of an empty report = %+v", w)
	}
}

// trainSrc is a model with a train block over d.csv (four features, a
// label in 0..1).
const trainSrc = `model M() {
    param W: f32[4, 2] = glorot_uniform()

    fn loss(x: f32[B, 4], y: i32[B]) -> f32 {
        return cross_entropy(x @ W, y)
    }
}

train M {
    data = "d.csv"
    epochs = 1
    batch = 5
}
`

// TrainMemory checks its options as Train does before it reads anything.
func TestTrainMemoryChecksOptions(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	for i := range 40 {
		fmt.Fprintf(&csv, "%d,%d,%d,%d,%d\n", i%3, i%5, i%7, i%2, i%2)
	}
	for name, text := range map[string]string{"m.nn": trainSrc, "d.csv": csv.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := CompileFile(filepath.Join(dir, "m.nn"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    TrainOptions
		want string
	}{
		{TrainOptions{MaxMemory: -1}, "TrainOptions.MaxMemory is -1"},
		{TrainOptions{Epochs: -2}, "TrainOptions.Epochs is -2"},
		{TrainOptions{Optimizer: "adadelta"}, `TrainOptions.Optimizer is "adadelta"`},
		{TrainOptions{LR: math.Inf(1)}, "TrainOptions.LR is +Inf"},
	} {
		info, err := p.TrainMemory(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("TrainMemory(%+v) = %+v, %v; want %q", c.o, info, err, c.want)
		}
	}
	info, err := p.TrainMemory(TrainOptions{})
	if err != nil || info.Before <= 0 {
		t.Errorf("TrainMemory with zero options = %+v, %v", info, err)
	}
}
