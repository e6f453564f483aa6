package nnc

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckParams: the parameters written after pruning W to 50% report 4
// zeros of 8 (sparsity 0.5) for W, a parameter; a file with W of another
// type is an error naming it; a tensor no model declares is listed, not a
// parameter.
func TestCheckParams(t *testing.T) {
	path := tinyModel(t, `    data = "d.csv"
    epochs = 2
    batch = 10
    prune = prune(sparsity = 0.5, end = 4, every = 2)`)
	p, err := CompileFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "w.safetensors")
	if _, err := p.Train(TrainOptions{Output: out}); err != nil {
		t.Fatal(err)
	}
	pf, err := p.CheckParams(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Tensors) != 1 || pf.Tensors[0] != (ParamStats{Path: "W", Type: "f32[4, 2]", Param: true, Count: 8, Zeros: 4, Sparsity: 0.5}) {
		t.Errorf("tensors %+v", pf.Tensors)
	}
	if pf.Count != 8 || pf.Zeros != 4 || pf.Sparsity != 0.5 || len(pf.Missing) != 0 {
		t.Errorf("summary %+v", pf)
	}

	dir := t.TempDir()
	w, _ := TensorOf(F32, []int{2, 4}, make([]float64, 8))
	extra, _ := TensorOf(F64, []int{3}, []float64{0, 1, 0})
	bad := filepath.Join(dir, "bad.safetensors")
	if err := WriteTensors(bad, []string{"W"}, []*Tensor{w}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.CheckParams(bad); err == nil || !strings.Contains(err.Error(), "tensor W is f32[2, 4], but the model declares f32[4, 2]") {
		t.Errorf("W of another type: %v", err)
	}
	other := filepath.Join(dir, "other.safetensors")
	if err := WriteTensors(other, []string{"stat"}, []*Tensor{extra}); err != nil {
		t.Fatal(err)
	}
	pf, err = p.CheckParams(other)
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Tensors) != 1 || pf.Tensors[0].Param || pf.Tensors[0].Zeros != 2 || pf.Count != 0 || len(pf.Missing) != 1 || pf.Missing[0] != "W f32[4, 2]" {
		t.Errorf("a file without W: %+v", pf)
	}
	if _, err := p.CheckParams(filepath.Join(dir, "none.safetensors")); err == nil {
		t.Error("a missing file: no error")
	}
}
