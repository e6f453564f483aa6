package nnc

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/tensor"
)

const serveModelSrc = `model M {
    param W: f32[4, 3] = normal()

    fn forward(x: f32[B, 4]) -> f32[B, 3] {
        return x @ W
    }

    fn two(x: f32[B, 4], m: f32[B]) -> (f32[B, 3], f32[B]) {
        return (x @ W, m * 2)
    }

    fn mean(x: f32[B, 4]) -> f32[3] {
        return sum(x @ W, axis = 0)
    }
}

fn square(x: f32[N, N]) -> f32[N, N] {
    return x * x
}
`

// TestNewServeModel: the specs (-1 for shape variables), which entries
// may be batched, and the check of one request's shapes.
func TestNewServeModel(t *testing.T) {
	p, err := Compile("m.nn", []byte(serveModelSrc))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		entry, specs string
		batched      bool
	}{
		{"M.forward", "x f32 [-1 4] -> out f32 [-1 3]", true},
		{"M.two", "x f32 [-1 4], m f32 [-1] -> out0 f32 [-1 3], out1 f32 [-1]", true},
		{"M.mean", "x f32 [-1 4] -> out f32 [3]", false},
		{"square", "x f32 [-1 -1] -> out f32 [-1 -1]", false},
	} {
		f, err := p.Func(c.entry)
		if err != nil {
			t.Fatal(err)
		}
		m, err := NewServeModel(f, ServeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		text := func(ss []TensorSpec) string {
			var parts []string
			for _, s := range ss {
				parts = append(parts, fmt.Sprintf("%s %v %v", s.Name, s.DType, s.Shape))
			}
			return strings.Join(parts, ", ")
		}
		if got := text(m.Inputs) + " -> " + text(m.Outputs); got != c.specs || m.Batched != c.batched || m.Name != c.entry {
			t.Errorf("%s: %s (batched %v, name %s), want %s (batched %v)", c.entry, got, m.Batched, m.Name, c.specs, c.batched)
		}
	}
	f, err := p.Func("M.two")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewServeModel(f, ServeOptions{Name: "two"})
	if err != nil || m.Name != "two" {
		t.Fatalf("%v %+v", err, m)
	}
	x, y := tensor.New(tensor.F32, 2, 4), tensor.New(tensor.F32, 3)
	if err := m.Check(map[string]*Tensor{"x": x, "m": y}); err == nil || !strings.Contains(err.Error(), "shape variable B is 2 in an earlier input but 3 in m") {
		t.Errorf("B of 2 and 3: %v", err)
	}
	y = tensor.New(tensor.F32, 2)
	y.F32[0], y.F32[1] = 1.5, -2
	if err := m.Check(map[string]*Tensor{"x": x, "m": y}); err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(context.Background(), map[string]*Tensor{"x": x, "m": y})
	if err != nil || len(out) != 2 || out[1].F32[0] != 3 || out[1].F32[1] != -4 {
		t.Errorf("Run: %v %v", out, err)
	}
	if _, err := NewServeModel(nil, ServeOptions{}); err == nil {
		t.Error("a nil Func was accepted")
	}
}

// TestServeModelPreprocess: with statistics saved beside the parameters,
// the model's Run scales its inputs as PreprocessInputs (nnc run) does, and
// gives the same bits.
func TestServeModelPreprocess(t *testing.T) {
	p, err := Compile("m.nn", []byte(serveModelSrc))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("M.forward")
	if err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(t.TempDir(), "m.safetensors")
	if err := f.SaveParams(params); err != nil {
		t.Fatal(err)
	}
	pre := &data.Preprocess{Scaling: data.Standardize, Arrays: []string{"x"}, Inputs: map[string]string{"x": "x"},
		Stats: map[string]*data.FeatureStats{"x": {Shape: []int{4}, Rows: 10, Mean: []float64{1, -2, 0.5, 3}, Std: []float64{2, 0.25, 1, 0.1}}}}
	if err := pre.Save(data.PreprocessPath(params)); err != nil {
		t.Fatal(err)
	}
	m, err := NewServeModel(f, ServeOptions{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.F32, 2, 4)
	for i := range x.F32 {
		x.F32[i] = float32(i) * 0.7
	}
	scaled, err := PreprocessInputs(params, map[string]*Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	if scaled["x"].F32[1] != float32((0.7+2)/0.25) {
		t.Fatalf("PreprocessInputs did not scale: %v", scaled["x"].F32)
	}
	want, err := f.Run(scaled)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Run(context.Background(), map[string]*Tensor{"x": x.Clone()})
	if err != nil || !sameBits(got[0], want[0]) {
		t.Errorf("served %v (%v), nnc run's %v", got, err, want[0])
	}
}
