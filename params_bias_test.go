package nnc

import (
	"path/filepath"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/tensor"
)

// Biases saved as ONNX writes a convolution's ([C, 1, 1]) or as a row
// ([1, C]) load into std/nn's [C] biases: the shapes differ only in axes of
// size 1, so the values are the same in the same order. The outputs are
// checked against the bias added by hand.
func TestLoadParamsUnitAxes(t *testing.T) {
	p, err := Compile("bias.nn", []byte(`import "std/nn"

model M() {
    conv = nn.Conv2D(1, 3, kernel = 1)
    fc   = nn.Dense(3, 2)

    fn forward(x: f32[1, 1, 1, 1]) -> f32[1, 2] {
        return fc(reshape(conv(x), [1, 3]))
    }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("M.forward")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "p.safetensors")
	err = data.SaveSafetensors(file, map[string]*tensor.Tensor{
		"conv.K": tensor.FromFloat64s(tensor.F32, []int{3, 1, 1, 1}, []float64{1, 2, 3}),
		"conv.b": tensor.FromFloat64s(tensor.F32, []int{3, 1, 1}, []float64{0.5, 0.25, -1}),
		"fc.W":   tensor.FromFloat64s(tensor.F32, []int{3, 2}, []float64{1, 0, 0, 1, 1, 1}),
		"fc.b":   tensor.FromFloat64s(tensor.F32, []int{1, 2}, []float64{10, 20}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.LoadParams(file); err != nil {
		t.Fatal(err)
	}
	out, err := f.Run(map[string]*Tensor{"x": tensor.FromFloat64s(tensor.F32, []int{1, 1, 1, 1}, []float64{2})})
	if err != nil {
		t.Fatal(err)
	}
	// conv: 2·[1 2 3] + [0.5 0.25 -1] = [2.5 4.25 5]; fc: [2.5+5, 4.25+5] + [10 20].
	if got := out[0].F32; got[0] != 17.5 || got[1] != 29.25 {
		t.Errorf("out = %v, want [17.5 29.25]", got)
	}
}
