package nnc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nnclang/nnc/tensor"
)

// lightHeavy are the light models whose fully connected layers hold
// hundreds of megabytes of weights: run with NNC_ONNX_LIGHT=all.
var lightHeavy = map[string]bool{"light_vgg19": true, "light_zfnet512": true, "light_bvlc_alexnet": true}

// TestONNXLightModels imports the ONNX backend tests' light CNNs end to
// end as a user would (nnc import's files, nnc fmt, nnc run) and compares
// with output_0.pb. Their weights are constants (ConstantOfShape), so the
// output does not depend on the input: the check is of the translation
// and the constant-weight arithmetic, with a zero image as the input.
func TestONNXLightModels(t *testing.T) {
	models, _ := filepath.Glob(filepath.Join(onnxTestsDir(), "light", "*.onnx"))
	if len(models) == 0 {
		t.Logf("%s is absent: running the light SqueezeNet in testdata/onnx/light", onnxTestsDir())
		models, _ = filepath.Glob(filepath.Join("testdata", "onnx", "light", "*.onnx"))
	}
	if len(models) == 0 {
		t.Fatal("no light models found")
	}
	for _, model := range models {
		name := strings.TrimSuffix(filepath.Base(model), ".onnx")
		t.Run(name, func(t *testing.T) {
			if lightHeavy[name] && os.Getenv("NNC_ONNX_LIGHT") != "all" {
				t.Skip("large fully connected weights: set NNC_ONNX_LIGHT=all")
			}
			if testing.Short() && name != "light_squeezenet" {
				t.Skip("-short")
			}
			start := time.Now()
			runLightModel(t, model, strings.TrimSuffix(model, ".onnx")+"_output_0.pb")
			t.Logf("%s: %v", name, time.Since(start).Round(time.Millisecond))
		})
	}
}

func runLightModel(t *testing.T, model, expected string) {
	imp, err := ImportONNX(model, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	nnPath := filepath.Join(dir, "model.nn")
	if err := imp.Write(nnPath, ParamsPathFor(nnPath)); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(nnPath)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := Format(nnPath, src); err != nil || string(out) != string(src) {
		t.Fatalf("nnc fmt changes the imported file (%v)", err)
	}
	p, err := CompileFile(nnPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func(imp.Entry)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.LoadParams(ParamsPathFor(nnPath)); err != nil {
		t.Fatal(err)
	}
	in := f.Inputs()
	if len(in) != 1 {
		t.Fatalf("%d inputs", len(in))
	}
	x := tensor.New(tensor.F32, 1, 3, 224, 224)
	out, err := f.Run(map[string]*Tensor{in[0].Name: x})
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := readPB(expected)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareONNX(out[0], want); err != nil {
		t.Fatal(err)
	}
}
