package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportCommand: nnc export writes an ONNX file that nnc import reads
// back; a loop over T without --shapes, a missing -o and an op with no
// ONNX form are refused with what to do.
func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	tw := filepath.Join("..", "..", "testdata", "torch_weights")
	onnxFile := filepath.Join(dir, "lstm.onnx")
	args := []string{"export", filepath.Join(tw, "models.nn"), "--entry", "LSTM.forward", "--params", filepath.Join(tw, "lstm.safetensors"), "--from", "torch", "-o", onnxFile}
	if _, errOut, code := nncCmd(t, args...); code != 1 || !strings.Contains(errOut, "--shapes T=N") {
		t.Errorf("no T: exit %d, %s", code, errOut)
	}
	out, errOut, code := nncCmd(t, append(args, "--shapes", "B=2,T=5")...)
	if code != 0 || !strings.Contains(out, "opset 17") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if b, err := os.ReadFile(onnxFile); err != nil || len(b) < 1000 {
		t.Fatalf("%s: %d bytes, %v", onnxFile, len(b), err)
	}
	if out, errOut, code := nncCmd(t, "import", onnxFile, "-o", filepath.Join(dir, "back.nn")); code != 0 {
		t.Errorf("import of the export: exit %d, %s%s", code, out, errOut)
	}
	if _, errOut, code := nncCmd(t, args[:len(args)-2]...); code != 2 || !strings.Contains(errOut, "-o") {
		t.Errorf("no -o: exit %d, %s", code, errOut)
	}
	mod := filepath.Join(dir, "mod.nn")
	src := "fn f(x: f32[B, 3], y: f32[B, 3]) -> f32[B, 3] {\n    return x % y\n}\n"
	if err := os.WriteFile(mod, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := nncCmd(t, "export", mod, "--entry", "f", "-o", filepath.Join(dir, "m.onnx")); code != 1 || !strings.Contains(errOut, "mod.nn:2:14: mod: the floored remainder of floats has no ONNX operator") {
		t.Errorf("float %%: exit %d, %s", code, errOut)
	}
}
