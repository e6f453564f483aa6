package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImport: nnc import writes a program nnc fmt leaves alone and nnc run
// runs with the weights it wrote (PyTorch's MLP of testdata/onnx/torch).
func TestImport(t *testing.T) {
	dir := t.TempDir()
	nn := filepath.Join(dir, "mlp.nn")
	model := filepath.Join("..", "..", "testdata", "onnx", "torch", "mlp.onnx")
	out, errOut, code := nncCmd(t, "import", model, "-o", nn)
	if code != 0 || !strings.Contains(out, "mlp.safetensors (4 tensors)") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := nncCmd(t, "fmt", "-l", nn); code != 0 || out != "" {
		t.Fatalf("fmt -l: exit %d, %q %s", code, out, errOut)
	}
	x := filepath.Join("..", "..", "testdata", "onnx", "torch", "mlp_x.npy")
	out, errOut, code = nncCmd(t, "run", nn, "--entry", "Net.forward", "--params", filepath.Join(dir, "mlp.safetensors"), "--in", "x="+x)
	if code != 0 || !strings.Contains(out, "[") {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := nncCmd(t, "import", model); code != 2 || !strings.Contains(errOut, "-o") {
		t.Errorf("no -o: exit %d, %s", code, errOut)
	}
	// A graph taking its axes as an input imports once they are fixed.
	reduce := filepath.Join("..", "..", "testdata", "onnx", "node", "test_reduce_mean_keepdims_example", "model.onnx")
	if _, errOut, code := nncCmd(t, "import", reduce, "-o", nn); code != 1 || !strings.Contains(errOut, `["axes"]`) {
		t.Errorf("axes not fixed: exit %d, %s", code, errOut)
	}
	if out, errOut, code := nncCmd(t, "import", reduce, "-o", nn, "--fix", "axes=[1]"); code != 0 {
		t.Errorf("--fix axes=[1]: exit %d, %s%s", code, out, errOut)
	}
	if src, err := os.ReadFile(nn); err != nil || !strings.Contains(string(src), "mean(data, axis = [1], keepdims = true)") {
		t.Errorf("%s %v", src, err)
	}
	bad := filepath.Join(dir, "bad.onnx")
	if err := os.WriteFile(bad, []byte{0x3a, 0x05, 0x0a}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := nncCmd(t, "import", bad, "-o", nn); code != 1 || !strings.Contains(errOut, "bad.onnx") {
		t.Errorf("a truncated model: exit %d, %s", code, errOut)
	}
}
