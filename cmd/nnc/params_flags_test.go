package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
)

// TestRunTorchParams: nnc run --from torch reads make.py's PyTorch CNN
// state_dict with renames and prints PyTorch's outputs; wrong flags are
// usage errors and a file that does not fit lists every problem.
func TestRunTorchParams(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "torch_weights")
	nn := filepath.Join(dir, "models.nn")
	args := []string{"run", nn, "--entry", "CNN.forward", "--params", filepath.Join(dir, "cnn.safetensors"), "--from", "torch", "--in", "x=" + filepath.Join(dir, "cnn_in.npy")}
	out, errOut, code := nncCmd(t, append(args, "--rename", "features.0=conv", "--rename", "features.1=bn")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Out struct{ Data []float64 }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	wantT, err := nnc.LoadTensor(filepath.Join(dir, "cnn_out.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want := wantT.Float64s()
	if len(res.Out.Data) != len(want) {
		t.Fatalf("%d outputs, PyTorch %d", len(res.Out.Data), len(want))
	}
	for i, w := range want {
		if math.Abs(res.Out.Data[i]-w) > 1e-5*math.Max(1, math.Abs(w)) {
			t.Fatalf("output %d: %g, PyTorch %g", i, res.Out.Data[i], w)
		}
	}
	if _, errOut, code := nncCmd(t, args...); code != 1 || !strings.Contains(errOut, "conv.K") || !strings.Contains(errOut, "features.1.running_var") {
		t.Errorf("without renames: exit %d, %s", code, errOut)
	}
	if _, errOut, code := nncCmd(t, append(args, "--rename", "features.0")...); code != 2 || !strings.Contains(errOut, "OLD=NEW") {
		t.Errorf("bad --rename: exit %d, %s", code, errOut)
	}
	if _, errOut, code := nncCmd(t, "train", nn, "--model", "MLP", "--from", "torch"); code != 2 || !strings.Contains(errOut, "--init-from") {
		t.Errorf("--from without --init-from: exit %d, %s", code, errOut)
	}
}
