package nnc

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// torchCase compiles testdata/torch_weights/models.nn's model and loads
// the PyTorch state_dict that make.py saved for it.
func torchCase(t *testing.T, model, file string, o ParamsOptions) (*Func, error) {
	t.Helper()
	p, err := CompileFile(filepath.Join("testdata", "torch_weights", "models.nn"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func(model + ".forward")
	if err != nil {
		t.Fatal(err)
	}
	o.From = "torch"
	return f, f.LoadParamsWith(filepath.Join("testdata", "torch_weights", file), o)
}

// TestTorchWeights loads state_dicts of a PyTorch MLP, CNN (with batch
// norm running statistics and names renamed out of a Sequential), LSTM
// pre-norm transformer layer (MultiheadAttention's stacked in_proj) and
// two Conv3d layers (strided, padded, grouped) into their std/nn mirrors and requires PyTorch's outputs, computed by
// make.py, to 1e-5.
func TestTorchWeights(t *testing.T) {
	renames := map[string]map[string]string{
		"cnn":   {"features.0": "conv", "features.1": "bn"},
		"block": {"self_attn": "block.attn", "linear1": "block.up", "linear2": "block.down", "norm1": "block.ln1", "norm2": "block.ln2"},
	}
	for _, c := range []struct{ model, name string }{{"MLP", "mlp"}, {"CNN", "cnn"}, {"LSTM", "lstm"}, {"Block", "block"}, {"Conv3D", "conv3d"}} {
		t.Run(c.name, func(t *testing.T) {
			f, err := torchCase(t, c.model, c.name+".safetensors", ParamsOptions{Rename: renames[c.name]})
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", "torch_weights")
			in, err := LoadTensor(filepath.Join(dir, c.name+"_in.npy"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := LoadTensor(filepath.Join(dir, c.name+"_out.npy"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := f.Run(map[string]*Tensor{f.Inputs()[0].Name: in})
			if err != nil {
				t.Fatal(err)
			}
			got := out[0]
			if got.Len() != want.Len() {
				t.Fatalf("output has %d values, PyTorch's %d", got.Len(), want.Len())
			}
			worst := 0.0
			for i := range want.Len() {
				d := math.Abs(got.At(i)-want.At(i)) / math.Max(1, math.Abs(want.At(i)))
				worst = math.Max(worst, d)
			}
			if worst > 1e-5 {
				t.Fatalf("largest difference from PyTorch %.3g > 1e-5", worst)
			}
			t.Logf("%d outputs match PyTorch's to %.2g", want.Len(), worst)
		})
	}
}

// TestTorchWeightsErrors checks the loader's refusals: every missing and
// unused tensor listed together, extras allowed only on request, and an
// f64 file converted only on request.
func TestTorchWeightsErrors(t *testing.T) {
	// The CNN without its renames: conv.* and bn.* are missing and the
	// features.* tensors are unused; all are named in one error.
	_, err := torchCase(t, "CNN", "cnn.safetensors", ParamsOptions{})
	if err == nil {
		t.Fatal("loading without the renames succeeded")
	}
	for _, s := range []string{"conv.K f32[4, 2, 3, 3]: the file has no tensor conv.weight", "bn.running_var", "features.0.weight", "features.1.num_batches_tracked", "--allow-extra"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	// The CNN's file read by the MLP: fc1 is missing, fc2's matrix has
	// the wrong shape.
	if _, err := torchCase(t, "MLP", "cnn.safetensors", ParamsOptions{Rename: map[string]string{"fc": "fc2"}}); err == nil || !strings.Contains(err.Error(), "fc1.W") {
		t.Errorf("missing fc1 not reported: %v", err)
	}
	// f64 weights: refused, then converted on request to PyTorch's outputs.
	_, err = torchCase(t, "MLP", "mlp_f64.safetensors", ParamsOptions{})
	if err == nil || !strings.Contains(err.Error(), "tensor fc1.weight is f64[16, 6], but the model declares f32[6, 16] (convert it with --convert)") {
		t.Errorf("f64 weights loaded without --convert: %v", err)
	}
	f, err := torchCase(t, "MLP", "mlp_f64.safetensors", ParamsOptions{Convert: true})
	if err != nil {
		t.Fatal(err)
	}
	w, ok := f.Param("fc1.W")
	if !ok || w.DType.String() != "f32" || w.Shape[0] != 6 || w.Shape[1] != 16 {
		t.Fatalf("fc1.W after conversion: %v", w)
	}
}

// TestTorchWeightsExtra reads a file with more tensors than the model
// uses: an error listing them, and accepted with AllowExtra.
func TestTorchWeightsExtra(t *testing.T) {
	ren := map[string]string{"self_attn": "block.attn", "linear1": "block.up", "linear2": "block.down", "norm1": "block.ln1"}
	_, err := torchCase(t, "Block", "block.safetensors", ParamsOptions{Rename: ren})
	if err == nil || !strings.Contains(err.Error(), "block.ln2.gamma") || !strings.Contains(err.Error(), "norm2.weight") {
		t.Fatalf("want block.ln2 missing and norm2 unused, got %v", err)
	}
	p, _ := CompileFile(filepath.Join("testdata", "torch_weights", "models.nn"))
	f, _ := p.Func("MLP.forward")
	err = f.LoadParamsWith(filepath.Join("testdata", "torch_weights", "mlp.safetensors"), ParamsOptions{From: "torch", Rename: map[string]string{"fc2": "head"}, AllowExtra: true})
	if err == nil || !strings.Contains(err.Error(), "fc2.W") || strings.Contains(err.Error(), "head.weight") {
		t.Errorf("AllowExtra: want only fc2 missing, got %v", err)
	}
}

// TestInitFromTorch: fine-tuning's starting point reads a PyTorch file
// with the same mapping, batch norm's running statistics (states)
// included, and checks the file as a whole.
func TestInitFromTorch(t *testing.T) {
	p, err := CompileFile(filepath.Join("testdata", "torch_weights", "models.nn"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("CNN.forward")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "torch_weights", "cnn.safetensors")
	o := ParamsOptions{From: "torch", Rename: map[string]string{"features.0": "conv", "features.1": "bn"}}
	if err := initFrom(f.store, f.low, file, o, 0); err != nil {
		t.Fatal(err)
	}
	ref, err := p.Func("CNN.forward")
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.LoadParamsWith(file, o); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"conv.K", "bn.gamma", "bn.running_var", "fc.W"} {
		a, b := f.store.Get(name), ref.store.Get(name)
		if a == nil || b == nil || a.Len() != b.Len() {
			t.Fatalf("%s: %v %v", name, a, b)
		}
		for i := range a.Len() {
			if a.At(i) != b.At(i) {
				t.Fatalf("%s[%d]: init-from %g, LoadParamsWith %g", name, i, a.At(i), b.At(i))
			}
		}
	}
	if v := f.store.Get("bn.running_var"); v.At(0) == 1 {
		t.Errorf("running_var not read: %v", v)
	}
	o.Rename = nil
	if err := initFrom(f.store, f.low, file, o, 0); err == nil || !strings.Contains(err.Error(), "conv.weight") {
		t.Errorf("without renames: %v", err)
	}
}
