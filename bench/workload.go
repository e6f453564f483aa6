package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/tensor"
	"github.com/nnclang/nnc/train"
)

// Workload is a graph of a benchmark model with inputs to run it on.
type Workload struct {
	// Graph is the training step (output "loss", updates of every param)
	// or the inference graph (output "y").
	Graph *ops.Graph
	// Inputs are x and, for a step, the labels y.
	Inputs []*tensor.Tensor
}

// Dir is the folder of this package's sources (mlp.nn, convnet.nn).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Model names a benchmark model: the .nn file, its model and its input
// shape without the batch axis.
type Model struct {
	File, Name string
	Sample     []int
}

// MLP is bench/mlp.nn: 784-512-512-10 with relu.
var MLP = Model{"mlp.nn", "MLP", []int{784}}

// ConvNet is bench/convnet.nn: conv 3x3 (pad 1) to 32, relu, max pool 2,
// conv 3x3 (pad 1) to 64, relu, max pool 2, flatten, linear to 10.
var ConvNet = Model{"convnet.nn", "ConvNet", []int{1, 28, 28}}

// LeNet is models/lenet.nn: ConvNet's convolutions and pooling, then
// linear to 128, relu, dropout (none at inference) and linear to 10.
var LeNet = Model{"../models/lenet.nn", "LeNet", []int{1, 28, 28}}

// Step lowers m's loss (cross entropy) into a training step of the given
// optimizer ("sgd": plain SGD, lr 0.01; "adam": Adam, lr 1e-3), optimized
// at level (0 or 1), with random inputs of the given batch drawn from seed.
func Step(m Model, optimizer string, level, batch int, seed uint64) (Workload, error) {
	var o train.Optimizer
	switch optimizer {
	case "sgd":
		o = &train.SGD{LR: 0.01}
	case "adam":
		o = train.NewAdam(1e-3)
	default:
		return Workload{}, fmt.Errorf("bench: unknown optimizer %q", optimizer)
	}
	mod, err := load(m)
	if err != nil {
		return Workload{}, err
	}
	b := ops.NewBuilder()
	low, err := mod.Lower(m.Name+".loss", lang.LowerOptions{Training: true, Builder: b})
	if err != nil {
		return Workload{}, err
	}
	if err := train.BuildStep(b, low.Outputs[0], low.Params, o); err != nil {
		return Workload{}, err
	}
	g, err := opt.Optimize(b.G, opt.Options{Level: level})
	if err != nil {
		return Workload{}, err
	}
	x, y := inputs(m, batch, seed)
	return Workload{g, []*tensor.Tensor{x, y}}, nil
}

// Inference lowers m's forward pass (output "y"), optimized at level.
func Inference(m Model, level, batch int, seed uint64) (Workload, error) {
	mod, err := load(m)
	if err != nil {
		return Workload{}, err
	}
	b := ops.NewBuilder()
	low, err := mod.Lower(m.Name+".forward", lang.LowerOptions{Builder: b})
	if err != nil {
		return Workload{}, err
	}
	b.Output("y", low.Outputs[0])
	g, err := opt.Optimize(b.G, opt.Options{Level: level})
	if err != nil {
		return Workload{}, err
	}
	x, _ := inputs(m, batch, seed)
	return Workload{g, []*tensor.Tensor{x}}, nil
}

func load(m Model) (*lang.Module, error) {
	src, err := os.ReadFile(filepath.Join(Dir(), m.File))
	if err != nil {
		return nil, err
	}
	return lang.Load(m.File, src)
}

// inputs draws x uniform in [0, 1) and labels in [0, 10).
func inputs(m Model, batch int, seed uint64) (x, y *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x = tensor.New(tensor.F32, append([]int{batch}, m.Sample...)...)
	for i := range x.F32 {
		x.F32[i] = rng.Float32()
	}
	y = tensor.New(tensor.I32, batch)
	for i := range y.I32 {
		y.I32[i] = int32(rng.IntN(10))
	}
	return x, y
}
