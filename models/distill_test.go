package models

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nnclang/nnc"
)

// distillRuns is the part of torch/distill_mnist.json the tests read:
// each seed's teacher, student alone and distilled student.
type distillRuns struct {
	Small []struct {
		Seed      int      `json:"seed"`
		Teacher   torchRun `json:"teacher"`
		Alone     torchRun `json:"alone"`
		Distilled torchRun `json:"distilled"`
	} `json:"small"`
	Settings struct {
		SmallEpochs int `json:"small_epochs"`
	} `json:"settings"`
}

// distillFull is one full run of torch/distill_mnist.py: its seed, the
// student's width (0: 32, the script's first runs did not record it) and
// the students' results.
type distillFull struct {
	Seed      int      `json:"seed"`
	Hidden    int      `json:"hidden"`
	Alone     torchRun `json:"alone"`
	Distilled torchRun `json:"distilled"`
}

// distillFolder copies distill_mnist.nn and the file it imports the
// teacher's model from into a new folder, where the teacher's parameters
// file is then written (init_from names it relative to the .nn file).
func distillFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"distill_mnist.nn", "mnist_mlp.nn"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// trainIn trains model of file on data for epochs over seeds and returns
// the mean test accuracy.
func trainIn(t *testing.T, file, model, data string, epochs, seeds int, out string) float64 {
	t.Helper()
	p, err := nnc.CompileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(nnc.TrainOptions{Model: model, Data: data, Epochs: epochs, Seeds: seeds, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	return res.Metrics["test_accuracy"]
}

// TestDistillMNIST trains distill_mnist.nn's pipeline on data/mnist_small
// as torch/distill_mnist.py small does: the teacher (mnist_mlp.nn, 8
// epochs, seed 0) written to the parameters file distill_mnist.nn's
// init_from names, then the distilled student and the student alone for
// the script's epochs over seeds 0-2. Each mean test accuracy must reach
// PyTorch's mean over its ten seeds less three standard deviations.
func TestDistillMNIST(t *testing.T) {
	b, err := os.ReadFile("torch/distill_mnist.json")
	if err != nil {
		t.Fatal(err)
	}
	var r distillRuns
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Small) < 2 || r.Settings.SmallEpochs < 1 {
		t.Fatalf("torch/distill_mnist.json: %d brief runs of %d epochs", len(r.Small), r.Settings.SmallEpochs)
	}
	var teacher, alone, distilled []float64
	for _, run := range r.Small {
		teacher = append(teacher, run.Teacher.Accuracy)
		alone = append(alone, run.Alone.Accuracy)
		distilled = append(distilled, run.Distilled.Accuracy)
	}
	data, err := filepath.Abs(small)
	if err != nil {
		t.Fatal(err)
	}
	dir := distillFolder(t)
	check := func(what string, got float64, torch []float64) {
		m, s := meanStd(torch)
		t.Logf("%s: nnc %.4f, PyTorch %.4f ± %.4f over %d seeds", what, got, m, s, len(torch))
		if got < m-3*s {
			t.Errorf("%s: test accuracy %.4f < %.4f (PyTorch's mean less three standard deviations)", what, got, m-3*s)
		}
	}
	check("teacher", trainIn(t, filepath.Join(dir, "mnist_mlp.nn"), "", data, 8, 1, filepath.Join(dir, "mnist_mlp.safetensors")), teacher)
	file := filepath.Join(dir, "distill_mnist.nn")
	check("distilled student", trainIn(t, file, "Distill", data, r.Settings.SmallEpochs, 3, ""), distilled)
	check("student alone", trainIn(t, file, "Student", data, r.Settings.SmallEpochs, 3, ""), alone)
}

// TestDistillMNISTFull runs distill_mnist.nn's commands as its README
// section does, in a temporary folder: the teacher (mnist_mlp.nn as
// written, 20 epochs on the official training images) written to the
// file init_from names, then the distilled student and the student alone
// (20 epochs each, seed 0). The teacher must reach 98.3% on the official
// test images (TestMnistMLPFull's bound); each student PyTorch's accuracy
// for the same run (torch/distill_mnist.py full 0) less half a point.
// Run with NNC_FULL=1 (80 s on the quiet 2-core machine).
func TestDistillMNISTFull(t *testing.T) {
	fullRun(t, false)
	b, err := os.ReadFile("torch/distill_mnist.json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Full []distillFull `json:"full"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(r.Full, func(x distillFull) bool {
		return x.Seed == 0 && (x.Hidden == 0 || x.Hidden == 32)
	})
	if i < 0 {
		t.Fatal("torch/distill_mnist.json has no full run of seed 0 with the 32-unit student")
	}
	dir := distillFolder(t)
	if acc := trainIn(t, filepath.Join(dir, "mnist_mlp.nn"), "", "", 0, 1, filepath.Join(dir, "mnist_mlp.safetensors")); acc < 0.983 {
		t.Errorf("teacher: test accuracy %.4f < 0.983", acc)
	}
	file := filepath.Join(dir, "distill_mnist.nn")
	for _, c := range []struct {
		model string
		torch float64
	}{{"Distill", r.Full[i].Distilled.Accuracy}, {"Student", r.Full[i].Alone.Accuracy}} {
		acc := trainIn(t, file, c.model, "", 0, 1, "")
		t.Logf("%s: test accuracy %.4f (PyTorch %.4f)", c.model, acc, c.torch)
		if acc < c.torch-0.005 {
			t.Errorf("%s: test accuracy %.4f < %.4f (PyTorch's less half a point)", c.model, acc, c.torch-0.005)
		}
	}
}
