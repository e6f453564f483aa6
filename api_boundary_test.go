package nnc

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// Every exported function and method of the Program and Func API, called
// with bad arguments, returns an error that says what is wrong, never
// panics and never an *InternalError.
func TestAPIBadArguments(t *testing.T) {
	p, err := Compile("mlp.nn", []byte(mlpSrc))
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := p.Func("M.forward")
	if err != nil {
		t.Fatal(err)
	}
	loss, err := p.Func("M.loss")
	if err != nil {
		t.Fatal(err)
	}
	lp, err := Compile("loop.nn", []byte(loopSrc))
	if err != nil {
		t.Fatal(err)
	}
	score, err := lp.Func("L.score")
	if err != nil {
		t.Fatal(err)
	}
	good := rowsInput(2, 0)
	x := func(t *Tensor) map[string]*Tensor { return map[string]*Tensor{"x": t} }
	run := func(f *Func, in map[string]*Tensor) func() error {
		return func() error { _, err := f.Run(in); return err }
	}
	grad := func(f *Func, wrt []string, in map[string]*Tensor) func() error {
		return func() error { _, _, err := f.Grad(wrt, in); return err }
	}
	w1 := func(shape []int, n int) *Tensor {
		return &Tensor{DType: tensor.F32, Shape: shape, F32: make([]float32, n)}
	}
	gradcheck := func(f *Func, o GradCheckOptions) func() error {
		return func() error { _, err := f.GradCheck(o); return err }
	}
	dir := t.TempDir()
	outFile := filepath.Join(dir, "out.safetensors")
	paramsFile := filepath.Join(dir, "params.safetensors")
	if err := fwd.SaveParams(paramsFile); err != nil {
		t.Fatal(err)
	}
	otherParams := filepath.Join(dir, "other.safetensors")
	if err := WriteTensors(otherParams, []string{"V"}, []*Tensor{tensor.New(tensor.F32, 2)}); err != nil {
		t.Fatal(err)
	}
	var nilFunc *Func
	var nilProg *Program
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"Run nil inputs", run(fwd, nil), "missing input x: f32[B, 4]"},
		{"Run nil tensor", run(fwd, x(nil)), "input x: nil tensor"},
		{"Run missing input", run(fwd, map[string]*Tensor{"y": good}), "missing input x"},
		{"Run unknown input", run(fwd, map[string]*Tensor{"x": good, "y": good}), `unknown input "y"`},
		{"Run wrong dtype", run(fwd, x(tensor.New(tensor.F64, 2, 4))), "input x: expected f32[B, 4], got f64[2, 4]"},
		{"Run wrong shape", run(fwd, x(tensor.New(tensor.F32, 2, 5))), "input x: expected f32[B, 4], got f32[2, 5]"},
		{"Run wrong rank", run(fwd, x(tensor.New(tensor.F32, 8))), "input x: expected f32[B, 4], got f32[8]"},
		{"Run short data", run(fwd, x(w1([]int{2, 4}, 7))), "input x: a tensor of type f32[2, 4] holds 7 values, not 8"},
		{"Run long data", run(fwd, x(w1([]int{2, 4}, 9))), "holds 9 values, not 8"},
		{"Run data in another slice", run(fwd, x(&Tensor{DType: tensor.F32, Shape: []int{1, 4}, F64: make([]float64, 4)})), "holds 0 values, not 4"},
		{"Run negative dim", run(fwd, x(w1([]int{-2, -4}, 8))), "dimension 0 of shape [-2 -4] is negative"},
		{"Run overflowing shape", run(fwd, x(w1([]int{1 << 40, 1 << 40}, 0))), "has more elements than an int counts"},
		{"Run invalid dtype", run(fwd, x(&Tensor{Shape: []int{2, 4}})), "input x: invalid element type invalid"},
		{"Run unknown dtype", run(fwd, x(&Tensor{DType: 99, Shape: []int{2, 4}})), "invalid element type dtype(99)"},
		{"Run per-shape nil tensor", run(score, x(nil)), "input x: nil tensor"},
		{"Run per-shape missing", run(score, nil), "missing input x"},
		{"Run per-shape wrong shape", run(score, x(tensor.New(tensor.F32, 2, 4))), "input x is f32[T, 3]; axis 1 is 4, not 3"},
		{"RunContext nil context", func() error {
			var ctx context.Context // nil: the bad argument under test
			_, err := fwd.RunContext(ctx, x(good))
			return err
		}, "nil context"},
		{"Grad empty wrt name", grad(loss, []string{""}, x(good)), "empty name in wrt"},
		{"Grad duplicate wrt", grad(loss, []string{"x", "W1", "x"}, x(good)), "x is named twice in wrt"},
		{"Grad unknown wrt", grad(loss, []string{"W9"}, x(good)), `"W9" is neither an input of M.loss nor a parameter (inputs: x; parameters: W1, W2, b1)`},
		{"Grad wrt with a NUL", grad(loss, []string{"W1\x00x"}, x(good)), `"W1\x00x" is neither an input`},
		{"Grad non-scalar entry", grad(fwd, []string{"x"}, x(good)), "it must return a float scalar"},
		{"Grad nil tensor", grad(loss, []string{"x"}, x(nil)), "input x: nil tensor"},
		{"Grad short data", grad(loss, []string{"x"}, x(w1([]int{2, 4}, 3))), "holds 3 values, not 8"},
		{"SetParam nil", func() error { return fwd.SetParam("W1", nil) }, "parameter W1: nil tensor"},
		{"SetParam unknown", func() error { return fwd.SetParam("W9", tensor.New(tensor.F32, 4, 8)) }, `no parameter "W9" (parameters: W1, W2, b1)`},
		{"SetParam empty path", func() error { return fwd.SetParam("", tensor.New(tensor.F32, 4, 8)) }, "empty parameter path"},
		{"SetParam wrong shape", func() error { return fwd.SetParam("W1", tensor.New(tensor.F32, 8, 4)) }, "parameter W1 is f32[4, 8], got f32[8, 4]"},
		{"SetParam wrong dtype", func() error { return fwd.SetParam("W1", tensor.New(tensor.F64, 4, 8)) }, "parameter W1 is f32[4, 8], got f64[4, 8]"},
		{"SetParam short data", func() error { return fwd.SetParam("W1", w1([]int{4, 8}, 31)) }, "holds 31 values, not 32"},
		{"nil Func Run", run(nilFunc, x(good)), "nil or empty Func"},
		{"zero Func Run", run(&Func{}, x(good)), "nil or empty Func"},
		{"nil Func Grad", grad(nilFunc, []string{"x"}, x(good)), "nil or empty Func"},
		{"nil Func SetParam", func() error { return nilFunc.SetParam("W1", good) }, "nil or empty Func"},
		{"nil Func InitParams", func() error { return nilFunc.InitParams(1) }, "nil or empty Func"},
		{"zero Func InitParams", func() error { return (&Func{}).InitParams(1) }, "nil or empty Func"},
		{"nil Program Func", func() error { _, err := nilProg.Func("f"); return err }, "nil or empty Program"},
		{"zero Program Func", func() error { _, err := (&Program{}).Func("f"); return err }, "nil or empty Program"},
		{"nil Program Graph", func() error { _, err := nilProg.Graph("f", GraphOptions{}); return err }, "nil or empty Program"},
		{"Func empty entry", func() error { _, err := p.Func(""); return err }, "empty entry name (entries: M.forward, M.loss)"},
		{"Func unknown entry", func() error { _, err := p.Func("nope"); return err }, `no entry "nope" (entries: M.forward, M.loss)`},
		{"Func model only", func() error { _, err := p.Func("M"); return err }, `no entry "M" (entries`},
		{"Func unknown method", func() error { _, err := p.Func("M.nope"); return err }, `no entry "M.nope"`},
		{"Graph empty entry", func() error { _, err := p.Graph("", GraphOptions{}); return err }, `no entry ""`},
		{"Graph unknown format", func() error { _, err := p.Graph("M.forward", GraphOptions{Format: "svg"}); return err }, `unknown format "svg"`},
		{"CompileFile empty", func() error { _, err := CompileFile(""); return err }, "empty file name"},
		{"CompileFile missing", func() error { _, err := CompileFile(t.TempDir() + "/none.nn"); return err }, "no such file"},
		{"nil Func LoadParams", func() error { return nilFunc.LoadParams(paramsFile) }, "nil or empty Func"},
		{"zero Func LoadParams", func() error { return (&Func{}).LoadParams(paramsFile) }, "nil or empty Func"},
		{"nil Func SaveParams", func() error { return nilFunc.SaveParams(outFile) }, "nil or empty Func"},
		{"zero Func SaveParams", func() error { return (&Func{}).SaveParams(outFile) }, "nil or empty Func"},
		{"LoadParams empty path", func() error { return fwd.LoadParams("") }, "LoadParams: empty file name"},
		{"LoadParams missing file", func() error { return fwd.LoadParams(outFile + ".none") }, "no such file"},
		{"LoadParams wrong model", func() error { return loss.LoadParams(otherParams) }, "tensors missing: W1 f32[4, 8]"},
		{"SaveParams empty path", func() error { return fwd.SaveParams("") }, "SaveParams: empty file name"},
		{"SaveParams to a directory", func() error { return fwd.SaveParams(t.TempDir()) }, "not a regular file"},
		{"nil Func GradCheck", gradcheck(nilFunc, GradCheckOptions{}), "nil or empty Func"},
		{"zero Func GradCheck", gradcheck(&Func{}, GradCheckOptions{}), "nil or empty Func"},
		{"GradCheck nil input", gradcheck(loss, GradCheckOptions{Inputs: x(nil)}), "input x: nil tensor"},
		{"GradCheck short input", gradcheck(loss, GradCheckOptions{Inputs: x(w1([]int{2, 4}, 7))}), "holds 7 values, not 8"},
		{"GradCheck unknown input", gradcheck(loss, GradCheckOptions{Inputs: map[string]*Tensor{"q": good}}), `M.loss has no input "q"`},
		{"GradCheck Eps NaN", gradcheck(loss, GradCheckOptions{Eps: math.NaN()}), "GradCheckOptions.Eps is NaN"},
		{"GradCheck Tol negative", gradcheck(loss, GradCheckOptions{Tol: -1}), "GradCheckOptions.Tol is -1"},
		{"GradCheck negative shape", gradcheck(loss, GradCheckOptions{Shapes: map[string]int{"B": -1}}), "Shapes gives B = -1"},
		{"GradCheck unknown shape", gradcheck(loss, GradCheckOptions{Shapes: map[string]int{"N": 2}}), "Shapes gives N, which is no shape variable"},
		{"GradCheck per-shape short input", gradcheck(score, GradCheckOptions{Inputs: x(w1([]int{2, 3}, 5))}), "holds 5 values, not 6"},
		{"nil Program Summary", func() error { _, err := nilProg.Summary(nil); return err }, "nil or empty Program"},
		{"zero Program Summary", func() error { _, err := (&Program{}).Summary(nil); return err }, "nil or empty Program"},
		{"Summary negative shape", func() error { _, err := p.Summary(map[string]int{"B": -1}); return err }, "dimension B is -1, negative"},
		{"nil Program TrainMemory", func() error { _, err := nilProg.TrainMemory(TrainOptions{}); return err }, "nil or empty Program"},
		{"zero Program TrainMemory", func() error { _, err := (&Program{}).TrainMemory(TrainOptions{}); return err }, "nil or empty Program"},
		{"TrainMemory negative MaxMemory", func() error { _, err := p.TrainMemory(TrainOptions{MaxMemory: -1}); return err }, "TrainOptions.MaxMemory is -1"},
		{"WriteTensors short .npy", func() error { return WriteTensors(outFile+".npy", []string{"a"}, []*Tensor{w1([]int{2, 4}, 7)}) }, "holds 7 elements, its shape says 8"},
		{"WriteTensors short .safetensors", func() error { return WriteTensors(outFile, []string{"a"}, []*Tensor{w1([]int{2, 4}, 7)}) }, "holds 7 elements, its shape says 8"},
		{"WriteTensors mismatched lengths", func() error { return WriteTensors(outFile, []string{"a"}, nil) }, "1 names for 0 tensors"},
		{"WriteTensors other extension", func() error { return WriteTensors(outFile+".csv", []string{"a"}, []*Tensor{good}) }, "want a .npy or .safetensors file"},
		{"LoadTensor missing .npy", func() error { _, err := LoadTensor(filepath.Join(dir, "none.npy")); return err }, "no such file"},
		{"LoadTensor other extension", func() error { _, err := LoadTensor(filepath.Join(dir, "x.safetensors")); return err }, "LoadTensor reads .npy files"},
		{"LoadTensor empty name", func() error { _, err := LoadTensor(""); return err }, "LoadTensor: empty file name"},
		{"NewTensor unknown type", func() error { _, err := NewTensor(DType(0), 2); return err }, "NewTensor: unknown element type"},
		{"NewTensor negative", func() error { _, err := NewTensor(F32, 2, -1); return err }, "negative dimension"},
		{"NewTensor too large", func() error { _, err := NewTensor(F64, 1<<40, 1<<40); return err }, "more than this machine can address"},
		{"TensorOf count", func() error { _, err := TensorOf(I32, []int{2, 2}, []float64{1, 2, 3}); return err }, "3 values for shape [2 2] (4 elements)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic: %v", r)
					}
				}()
				err = c.call()
			}()
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			var ie *InternalError
			if errors.As(err, &ie) {
				t.Fatalf("internal error: %v\n%s", err, ie.Stack)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
	// The bad calls left the Funcs working: f(x) for x = 0 is tanh(b1) @ W2.
	out, err := fwd.Run(x(tensor.New(tensor.F32, 1, 4)))
	if err != nil {
		t.Fatal(err)
	}
	ref := mlpRef(t, fwd, tensor.New(tensor.F32, 1, 4))
	for i, v := range out[0].F32 {
		if math.Abs(float64(v)-ref[i]) > 1e-6 {
			t.Errorf("after the bad calls, out[%d] = %v, want %v", i, v, ref[i])
		}
	}
}

// The accessors of a nil Func and a nil Program return zero values.
func TestAPINilAccessors(t *testing.T) {
	var f *Func
	if f.Entry() != "" || f.Inputs() != nil || f.Params() != nil {
		t.Errorf("nil Func: Entry %q, Inputs %v, Params %v", f.Entry(), f.Inputs(), f.Params())
	}
	if v, ok := f.Param("W1"); v != nil || ok {
		t.Errorf("nil Func: Param = %v, %v", v, ok)
	}
	var p *Program
	if p.Entries() != nil || p.Dir() != "." {
		t.Errorf("nil Program: Entries %v, Dir %q", p.Entries(), p.Dir())
	}
	p.SetModelArgs(map[string]any{"n": 1})
	p.SetOptLevel(0)
}

// Param returns a copy: changing it leaves the parameter as it was.
func TestParamIsACopy(t *testing.T) {
	f := benchFunc(t, "M.forward")
	a, ok := f.Param("W1")
	if !ok {
		t.Fatal("no W1")
	}
	old := a.F32[0]
	a.F32[0] = old + 1
	b, _ := f.Param("W1")
	if b.F32[0] != old {
		t.Errorf("W1[0] = %v after changing the returned tensor, want %v", b.F32[0], old)
	}
	if _, ok := f.Param("nope"); ok {
		t.Error(`Param("nope") found a parameter`)
	}
}

// The inputs map given to SetModelArgs is copied: changing it afterwards
// changes nothing.
func TestSetModelArgsCopies(t *testing.T) {
	p, err := Compile("mf.nn", []byte("model M(n: int) {\n    param W: f32[n, 2] = zeros()\n\n    fn forward(x: f32[B, n]) -> f32[B, 2] {\n        return x @ W\n    }\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"n": 3}
	p.SetModelArgs(args)
	args["n"] = 5
	f, err := p.Func("M.forward")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := f.Param("W")
	if len(w.Shape) != 2 || w.Shape[0] != 3 {
		t.Errorf("W is %v, want [3 2]", w.Shape)
	}
}

// A Grad with an empty wrt list returns the value alone; cancelling a
// context after a call has no effect on the next.
func TestGradNoWrt(t *testing.T) {
	f := benchFunc(t, "M.loss")
	in := map[string]*Tensor{"x": tensor.New(tensor.F32, 2, 4)}
	v, g, err := f.GradContext(context.Background(), nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 0 || v == nil || len(v.Shape) != 0 {
		t.Fatalf("value %v, grads %v", v, g)
	}
	// loss(0) = sum((tanh(b1) @ W2)^2) over 2 rows / 2.
	ref := mlpRef(t, f, tensor.New(tensor.F32, 1, 4))
	want := 0.0
	for _, r := range ref {
		want += r * r
	}
	if math.Abs(float64(v.F32[0])-want) > 1e-5 {
		t.Errorf("loss = %v, want %v", v.F32[0], want)
	}
}
