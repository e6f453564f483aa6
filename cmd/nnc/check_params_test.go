package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckParamsFlag: nnc check --params on the parameters of a pruned
// training run reports each weight matrix's zeros (round(0.5·n)) and the
// biases' none, as text and as JSON; a missing file is exit 1.
func TestCheckParamsFlag(t *testing.T) {
	model := writeFile(t, "m.nn", `model M() {
    param W: f32[64, 16] = glorot_uniform()
    param b: f32[16] = zeros()
    param V: f32[16, 10] = glorot_uniform()

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        return relu(x @ W + b) @ V
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train M {
    data = "digits"
    epochs = 1
    prune = prune(sparsity = 0.5, end = 10, every = 5)
}
`)
	params := filepath.Join(t.TempDir(), "p.safetensors")
	if _, errOut, code := nncCmd(t, "train", model, "-o", params); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	out, errOut, code := nncCmd(t, "check", model, "--params", params)
	if code != 0 {
		t.Fatalf("check: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"params " + params + ": 1,200 parameters, 592 zeros",
		"W                        f32[64, 16]          512 zeros of 1,024, sparsity 0.5000",
		"V                        f32[16, 10]          80 zeros of 160, sparsity 0.5000",
		"b                        f32[16]              0 zeros of 16, sparsity 0.0000",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check --params: no %q in\n%s", want, out)
		}
	}
	out, _, code = nncCmd(t, "check", model, "--params", params, "--json")
	var js struct {
		Models []any
		Params struct {
			Sparsity float64
			Tensors  []struct {
				Path  string
				Zeros int64
			}
		} `json:"params_file"`
	}
	if err := json.Unmarshal([]byte(out), &js); code != 0 || err != nil {
		t.Fatalf("check --json: exit %d, %v: %s", code, err, out)
	}
	if len(js.Models) != 1 || len(js.Params.Tensors) != 3 || js.Params.Tensors[0].Path != "V" || js.Params.Tensors[0].Zeros != 80 {
		t.Errorf("check --json: %+v", js)
	}
	if _, errOut, code := nncCmd(t, "check", model, "--params", filepath.Join(t.TempDir(), "none.safetensors")); code != 1 || !strings.Contains(errOut, "none.safetensors") {
		t.Errorf("a missing file: exit %d, %s", code, errOut)
	}
}
