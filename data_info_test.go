package nnc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/tensor"
)

const dataInfoModel = `import "std/nn"

model C() {
    l = nn.Dense(16, 3)

    fn forward(x: f32[B, 16]) -> f32[B, 3] {
        return l(x)
    }

    fn loss(x: f32[B, 16], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train C {
    optimizer = sgd(lr = 0.1)
    batch     = 4
    epochs    = 1
}
`

// TestDescribeDataBinding: arrays bind to the entry's inputs by name; a
// wrong type, a missing input, an extra array and rows needing a reshape
// are reported; --model takes the train block's entry.
func TestDescribeDataBinding(t *testing.T) {
	p, err := Compile("m.nn", []byte(dataInfoModel))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	npz := filepath.Join(dir, "d.npz")
	arrays := map[string]*tensor.Tensor{
		"x": tensor.New(tensor.F32, 6, 16),
		"y": tensor.New(tensor.F32, 6),
		"w": tensor.New(tensor.F32, 6, 2),
	}
	if err := data.SaveNPZ(npz, arrays); err != nil {
		t.Fatal(err)
	}
	info, err := p.DescribeData(npz, DataInfoOptions{Model: "C"})
	if err != nil {
		t.Fatal(err)
	}
	b := info.Binding
	if b == nil || b.Entry != "C.loss" || len(b.Inputs) != 2 || !b.Inputs[0].OK || b.Inputs[0].Array != "f32[6, 16]" {
		t.Fatalf("binding %+v", b)
	}
	if b.Inputs[1].OK || b.Inputs[1].Problem != "the array is f32, the input i32" || strings.Join(b.Extra, ",") != "w" || len(b.Missing) != 0 {
		t.Errorf("y: %+v, extra %v", b.Inputs[1], b.Extra)
	}
	// The tiny MNIST layout: [N, 4, 4] images for an f32[B, 16] input
	// need a reshape; the training part is bound.
	info, err = p.DescribeData("data/testdata/mnist_tiny", DataInfoOptions{Entry: "C.forward"})
	if err != nil {
		t.Fatal(err)
	}
	b = info.Binding
	want := "rows of the array are [4, 4], the input's [16]: the same 16 elements, so a reshape binds them"
	if b.Part != "train" || len(b.Inputs) != 1 || b.Inputs[0].Problem != want || strings.Join(b.Extra, ",") != "y" {
		t.Errorf("mnist_tiny binding %+v", b)
	}
	// Missing inputs, unknown entries and models.
	os.WriteFile(filepath.Join(dir, "z.npy"), mustNPY(t), 0o644)
	info, err = p.DescribeData(filepath.Join(dir, "z.npy"), DataInfoOptions{Entry: "C.loss"})
	if err != nil || strings.Join(info.Binding.Missing, ",") != "x,y" || strings.Join(info.Binding.Extra, ",") != "z" {
		t.Errorf("missing: %+v %v", info.Binding, err)
	}
	if _, err := p.DescribeData(npz, DataInfoOptions{Entry: "C.nope"}); err == nil || !strings.Contains(err.Error(), "no such entry") {
		t.Errorf("unknown entry: %v", err)
	}
	if _, err := p.DescribeData(npz, DataInfoOptions{Model: "D"}); err == nil || !strings.Contains(err.Error(), "no train block") {
		t.Errorf("unknown model: %v", err)
	}
	if _, err := DescribeData(npz, -1); err == nil {
		t.Error("a negative MaxBytes gave no error")
	}
	var nilProgram *Program
	if _, err := nilProgram.DescribeData(npz, DataInfoOptions{}); err == nil {
		t.Error("a nil Program gave no error")
	}
}

func mustNPY(t *testing.T) []byte {
	b, err := data.EncodeNPY(tensor.New(tensor.F32, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
