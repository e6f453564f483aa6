package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/data"
)

// bnRunningSrc is torch/bn_running.py's Net with std/nn's BatchNorm; the
// data and the optimizer lines are filled in per run.
const bnRunningSrc = `import "std/nn"

model Net(classes: int = 3) {
    c = nn.Conv2D(1, 4, kernel = 3, pad = 1)
    n = nn.BatchNorm(4)
    d = nn.Dense(4, classes)

    fn forward(x: f32[B, 1, 6, 6]) -> f32[B, classes] {
        h = relu(n(c(x)))
        return d(reshape(nn.global_avg_pool2d(h), [B, 4]))
    }

    fn loss(x: f32[B, 1, 6, 6], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train Net {
    data      = %s
    optimizer = %s
    schedule  = %s
    batch     = 16
    epochs    = %d
}
`

// bnRunningRef is one run of torch/bn_running.json.
type bnRunningRef struct {
	Stats      map[string][]float64 `json:"stats"` // by nnc's state path
	TestLoss   float64              `json:"test_loss"`
	TestLogits [][]float64          `json:"test_logits"`
	Steps      int                  `json:"steps"`
}

// bnRun is one run of TestBatchNormRunningStatsTorch: the program's
// source, its initial parameters and the shape of one test image.
type bnRun struct {
	name, src, init string
	entry           string // the forward method the test rows run
	image           []int
	epochs          int
}

// bnRuns are torch/bn_running.py's runs: "distinct" is 6 full-batch steps
// on 16 different images with a validation set measured every epoch (which
// must not move the statistics); "partial" is 9 steps of 16, 16 and 4
// copies of one image (the partial batch's own unbiased variance) with
// Nesterov momentum, weight decay and a cosine schedule; "resnet" is
// resnet_small.nn itself, its optimizer and schedule, trained for 4
// full-batch steps on 64 Fashion-MNIST images (seven batch norms).
func bnRuns(t *testing.T) []bnRun {
	t.Helper()
	small := func(data, opt, schedule string, epochs int) string {
		return fmt.Sprintf(bnRunningSrc, data, opt, schedule, epochs)
	}
	b, err := os.ReadFile("resnet_small.nn")
	if err != nil {
		t.Fatal(err)
	}
	resnet := string(b)
	for _, r := range [][2]string{
		{"fashion_mnist()", `npz("resnet.npz", split = indices(train = "idx_train", test = "idx_test"))`},
		{"    augment   = augment(crop = 2, flip = true)\n", ""},
		{"batch     = 128", "batch     = 64"},
		{"epochs    = 8", "epochs    = 4"},
	} {
		if !strings.Contains(resnet, r[0]) {
			t.Fatalf("resnet_small.nn's train block has no %q", r[0])
		}
		resnet = strings.Replace(resnet, r[0], r[1], 1)
	}
	return []bnRun{
		{"distinct", small(`npz("distinct.npz", split = indices(train = "idx_train", val = "idx_val", test = "idx_test"))`,
			"sgd(lr = 0.5, momentum = 0.9)", "constant()", 6), "init.safetensors", "Net.forward", []int{1, 6, 6}, 6},
		{"partial", small(`npz("partial.npz", split = indices(train = "idx_train", test = "idx_test"))`,
			"sgd(lr = 0.5, momentum = 0.9, nesterov = true, weight_decay = 5e-4)", "cosine()", 3), "init.safetensors", "Net.forward", []int{1, 6, 6}, 3},
		{"resnet", resnet, "resnet_init.safetensors", "ResNetSmall.forward", []int{1, 28, 28}, 4},
	}
}

// TestBatchNormRunningStatsTorch trains std/nn's BatchNorm with nnc train
// from torch/bn_running.py's initial parameters and requires the running
// mean and variance of every batch norm, and the test rows' loss and
// logits in evaluation mode, to be torch.nn.BatchNorm2d's
// (torch/bn_running.json; the runs are bnRuns').
func TestBatchNormRunningStatsTorch(t *testing.T) {
	b, err := os.ReadFile("torch/bn_running.json")
	if err != nil {
		t.Fatal(err)
	}
	var refs map[string]json.RawMessage
	if err := json.Unmarshal(b, &refs); err != nil {
		t.Fatal(err)
	}
	for _, r := range bnRuns(t) {
		t.Run(r.name, func(t *testing.T) {
			var ref bnRunningRef
			if err := json.Unmarshal(refs[r.name], &ref); err != nil || len(ref.Stats) == 0 {
				t.Fatalf("torch/bn_running.json: no run %s (%v)", r.name, err)
			}
			p, err := nnc.Compile(filepath.Join(bnDir, r.name+".nn"), []byte(r.src))
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "p.safetensors")
			res, err := p.Train(nnc.TrainOptions{InitFrom: filepath.Join(bnDir, r.init), Output: out})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Details.History; len(got) != r.epochs {
				t.Fatalf("%d epochs in the history, want %d", len(got), r.epochs)
			}
			got, err := data.LoadSafetensors(out)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range ref.Stats {
				if got[name] == nil {
					t.Fatalf("%s is not in the trained parameters", name)
				}
				closeTo(t, name, got[name].Float64s(), want, 1e-5)
			}
			closeTo(t, "test_loss", []float64{res.Metrics["test_loss"]}, []float64{ref.TestLoss}, 1e-5)
			f, err := p.Func(r.entry)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.LoadParams(out); err != nil {
				t.Fatal(err)
			}
			logits, err := f.Run(map[string]*nnc.Tensor{"x": bnTestImages(t, r.name+".npz", r.image)})
			if err != nil {
				t.Fatal(err)
			}
			var want []float64
			for _, row := range ref.TestLogits {
				want = append(want, row...)
			}
			closeTo(t, "test logits", logits[0].Float64s(), want, 1e-5)
		})
	}
}

// bnDir holds torch/bn_running.py's data and initial parameters.
const bnDir = "data/bn_running"

// bnTestImages reads the test rows (idx_test) of bnDir/file's x, each of
// the shape image.
func bnTestImages(t *testing.T, file string, image []int) *nnc.Tensor {
	t.Helper()
	a, err := data.LoadNPZ(filepath.Join(bnDir, file), "x", "idx_test")
	if err != nil {
		t.Fatal(err)
	}
	x, idx := a["x"].Float64s(), a["idx_test"].Float64s()
	row := 1
	for _, d := range image {
		row *= d
	}
	var vals []float64
	for _, i := range idx {
		k := int(i)
		if k < 0 || (k+1)*row > len(x) {
			t.Fatalf("idx_test %d out of range", k)
		}
		vals = append(vals, x[k*row:(k+1)*row]...)
	}
	tt, err := nnc.TensorOf(nnc.F32, append([]int{len(idx)}, image...), vals)
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

// closeTo requires got[i] within tol (absolute and relative) of want[i].
func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= tol*(1+math.Abs(want[i]))) {
			t.Errorf("%s[%d] = %.7g, PyTorch %.7g (difference %.2g)", what, i, got[i], want[i], d)
		}
	}
}
