package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildCLI: nnc build writes the package's files and lists them; with
// --params the weights are the file's (the root's TestBuildModels compiles
// and runs what it writes).
func TestBuildCLI(t *testing.T) {
	dir := t.TempDir()
	params := filepath.Join(dir, "p.safetensors")
	if _, errOut, code := nncCmd(t, "train", "../../models/tabular_mlp.nn", "--epochs", "1", "--quiet", "-o", params); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	out := filepath.Join(dir, "pkg")
	stdout, errOut, code := nncCmd(t, "build", "../../models/tabular_mlp.nn", "--entry", "TabularMLP.forward",
		"--params", params, "--shapes", "B=3", "--package", "tab", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, name := range []string{"model.go", "model_test.go", "example_test.go", "weights.bin"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
		if !strings.Contains(stdout, name) {
			t.Errorf("the listing lacks %s:\n%s", name, stdout)
		}
	}
	src, _ := os.ReadFile(filepath.Join(out, "model.go"))
	if !strings.Contains(string(src), "package tab") || !strings.Contains(string(src), "Shape: []int{3, 30}") {
		t.Errorf("model.go is not tab's for B=3:\n%.600s", src)
	}
}

// TestBuildStandaloneCLI: --standalone writes go.mod with the --module
// path and the copies of nnc's packages under internal/, listed as one
// line (the root's TestBuildModels compiles and runs such a package).
func TestBuildStandaloneCLI(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pkg")
	stdout, errOut, code := nncCmd(t, "build", "../../models/digits.nn", "--entry", "Classifier.forward",
		"--shapes", "B=2", "--standalone", "--module", "example.com/app/digits", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	mod, _ := os.ReadFile(filepath.Join(out, "go.mod"))
	src, _ := os.ReadFile(filepath.Join(out, "model.go"))
	if !strings.Contains(string(mod), "module example.com/app/digits\n") || !strings.Contains(string(src), "\"example.com/app/digits/internal/ops\"") {
		t.Errorf("go.mod %q; model.go:\n%.800s", mod, src)
	}
	for _, name := range []string{"internal/ops/registry.go", "internal/kernels/gemm.go", "internal/tensor/tensor.go", "internal/LICENSE"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(stdout, "internal/") || strings.Contains(stdout, "registry.go") {
		t.Errorf("the listing:\n%s", stdout)
	}
}

// TestBuildErrors: usage errors exit 2, errors of the program or the
// entry 1, each naming the problem as the command line spells it.
func TestBuildErrors(t *testing.T) {
	file := "../../models/digits.nn"
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"build", file, "--shapes", "B=1", "-o", out}, 2, "--entry is required"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--shapes", "B=1"}, 2, "-o DIR is required"},
		{[]string{"build", file, "--entry", "Classifier.forward", "-o", out}, 1, "B need a value (set --shapes)"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--shapes", "B=1,Q=2", "-o", out}, 1, "--shapes Q"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--shapes", "B=1", "--package", "func", "-o", out}, 1, "--package"},
		{[]string{"build", file, "--entry", "Nope.forward", "--shapes", "B=1", "-o", out}, 1, "no entry"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--shapes", "B=1", "--params", "nope.safetensors", "-o", out}, 1, "nope.safetensors"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--shapes", "B=1", "--target", "arm", "-o", out}, 1, "--target \"arm\""},
		{[]string{"build", file, "--entry", "Classifier.forward", "--shapes", "B=1", "--module", "x.com/m", "-o", out}, 1, "--module"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--shapes", "B=1", "--standalone", "--module", "a b", "-o", out}, 1, "--module"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--dynamic", "B", "-o", out}, 2, "--dynamic \"B\""},
		{[]string{"build", file, "--entry", "Classifier.forward", "--dynamic", "B=0", "-o", out}, 2, "--dynamic"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--dynamic", "Q=4", "-o", out}, 1, "--shapes Q"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--dynamic", "B=2000000", "-o", out}, 1, "--dynamic"},
		{[]string{"build", file, "--entry", "Classifier.forward", "--shapes", "B=1", "--target", "wasm", "--external-weights", "-o", out}, 1, "--target"},
	} {
		_, errOut, code := nncCmd(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

// TestBuildDynamicCLI: --dynamic B=16 leaves B symbolic in model.go, with
// its maximum (the root's TestBuildModels runs such packages against
// nnc run at several B).
func TestBuildDynamicCLI(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pkg")
	if _, errOut, code := nncCmd(t, "build", "../../models/digits.nn", "--entry", "Classifier.forward",
		"--dynamic", "B=16", "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	src, _ := os.ReadFile(filepath.Join(out, "model.go"))
	for _, want := range []string{"const MaxB = 16", `ops.DimVar("B")`, "func dynamicOf(n int) (int, error)"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("model.go lacks %q", want)
		}
	}
}

// TestBuildWasmCLI: --target wasm writes model.wasm (a WebAssembly module:
// its magic bytes), wasm_exec.js, nnc_model.js and src/, and lists them.
// It compiles the module examples/web's test compiles too (the go
// command's cache shares the copied packages).
func TestBuildWasmCLI(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out := filepath.Join(t.TempDir(), "web")
	stdout, errOut, code := nncCmd(t, "build", "../../examples/web/mnist_web.nn", "--entry", "MnistWeb.forward",
		"--params", "../../examples/web/mnist_web.safetensors", "--shapes", "B=1", "--target", "wasm", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, name := range []string{"model.wasm", "wasm_exec.js", "nnc_model.js", "src/"} {
		if !strings.Contains(stdout, name) {
			t.Errorf("the listing lacks %s:\n%s", name, stdout)
		}
	}
	wasm, err := os.ReadFile(filepath.Join(out, "model.wasm"))
	if err != nil || !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		t.Errorf("model.wasm: %d bytes, %v; want a WebAssembly module", len(wasm), err)
	}
	glue, _ := os.ReadFile(filepath.Join(out, "nnc_model.js"))
	if !strings.Contains(string(glue), "globalThis") || !strings.Contains(string(glue), `name: "x", dtype: "f32", shape: [1, 784]`) {
		t.Errorf("nnc_model.js:\n%.1200s", glue)
	}
	if _, err := os.Stat(filepath.Join(out, "src", "wasm", "main.go")); err != nil {
		t.Error(err)
	}
}
