package nnc

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

// TestONNXTorchModels imports models PyTorch exported and compares their
// outputs with PyTorch's (testdata/onnx/torch/gen.py made both): an MLP
// with a symbolic batch and a CNN with batch normalization, ceil_mode max
// pooling, average pooling without the padding in the divisor, a grouped
// convolution, layer normalization, GELU and softmax; an LSTM, a GRU,
// attention, and bidirectional RNN (ReLU), GRU and LSTM layers. The
// recurrent nodes PyTorch does not export (a reverse RNN, a reverse GRU
// with ONNX's default linear_before_reset = 0, batch-first layout and an
// initial state, an LSTM with peepholes and initial states) are written
// by testdata/onnx/torch/cells.py, their outputs computed by NumPy from
// ONNX's equations.
func TestONNXTorchModels(t *testing.T) {
	for _, name := range []string{"mlp", "cnn", "lstm", "gru", "attention", "birnn", "bigru", "bilstm", "rnn_reverse", "gru_reverse", "lstm_peepholes"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "onnx", "torch")
			imp, err := ImportONNX(filepath.Join(dir, name+".onnx"), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Compile(name+".nn", imp.Source)
			if err != nil {
				t.Fatalf("%v\n%s", err, imp.Source)
			}
			f, err := p.Func(imp.Entry)
			if err != nil {
				t.Fatal(err)
			}
			pp := filepath.Join(t.TempDir(), "p.safetensors")
			if err := imp.Write(filepath.Join(filepath.Dir(pp), "m.nn"), pp); err != nil {
				t.Fatal(err)
			}
			if err := f.LoadParams(pp); err != nil {
				t.Fatal(err)
			}
			x, err := LoadTensor(filepath.Join(dir, name+"_x.npy"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := LoadTensor(filepath.Join(dir, name+"_y.npy"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.Run(map[string]*Tensor{imp.Inputs[0]: x})
			if err != nil {
				t.Fatal(err)
			}
			// |got - want| <= 1e-5 |want| + 1e-6: float32 sums in another
			// order than PyTorch's differ by rounding.
			worst, worstAbs := 0.0, 0.0
			for i := 0; i < want.Len(); i++ {
				d := math.Abs(got[0].At(i) - want.At(i))
				worstAbs = math.Max(worstAbs, d)
				worst = math.Max(worst, d/(1e-5*math.Abs(want.At(i))+1e-6))
			}
			if worst > 1 || fmt.Sprint(got[0].Shape) != fmt.Sprint(want.Shape) {
				t.Errorf("beyond tolerance by %.3g (worst |diff| %.3g; shape %v, want %v)\n%s", worst, worstAbs, got[0].Shape, want.Shape, imp.Source)
			}
			t.Logf("%s: worst |diff| from the reference %.2g", name, worstAbs)
		})
	}
}
