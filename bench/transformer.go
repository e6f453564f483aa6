package bench

import (
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/tensor"
	"github.com/nnclang/nnc/train"
)

// TransformerSize is one size of the transformer benchmark
// (bench/transformer.nn): Batch sequences of T tokens of width D, Heads
// attention heads.
type TransformerSize struct {
	D, Heads, T, Batch int
}

// TransformerBase is the attention step of BENCHMARKS.md: d 128, 4 heads,
// 64 tokens, batch 16.
var TransformerBase = TransformerSize{D: 128, Heads: 4, T: 64, Batch: 16}

// TransformerSizes are the further sizes measured (d 128–256, T 32–256).
var TransformerSizes = []TransformerSize{
	{D: 128, Heads: 4, T: 32, Batch: 16},
	{D: 128, Heads: 4, T: 256, Batch: 4},
	{D: 256, Heads: 8, T: 64, Batch: 16},
	{D: 256, Heads: 8, T: 128, Batch: 8},
}

// TransformerModel is bench/transformer.nn's model with samples of shape
// [T, D].
func TransformerModel(s TransformerSize) Model {
	return Model{"transformer.nn", "TransformerNet", []int{s.T, s.D}}
}

// transformerLower lowers TransformerNet's entry (loss or forward) at size s.
func transformerLower(s TransformerSize, entry string, training bool, b *ops.Builder) (*lang.Lowered, error) {
	mod, err := load(TransformerModel(s))
	if err != nil {
		return nil, err
	}
	return mod.Lower("TransformerNet."+entry, lang.LowerOptions{
		Training:  training,
		Builder:   b,
		Shapes:    map[string]int64{"B": int64(s.Batch), "T": int64(s.T)},
		ModelArgs: map[string]any{"d": s.D, "heads": s.Heads},
	})
}

// TransformerStep is a training step (Adam, lr 1e-3) of
// bench/transformer.nn at size s, optimized at level, with random inputs
// drawn from seed.
func TransformerStep(s TransformerSize, level int, seed uint64) (Workload, error) {
	b := ops.NewBuilder()
	low, err := transformerLower(s, "loss", true, b)
	if err != nil {
		return Workload{}, err
	}
	if err := train.BuildStep(b, low.Outputs[0], low.Params, train.NewAdam(1e-3)); err != nil {
		return Workload{}, err
	}
	g, err := opt.Optimize(b.G, opt.Options{Level: level})
	if err != nil {
		return Workload{}, err
	}
	x, y := inputs(TransformerModel(s), s.Batch, seed)
	return Workload{g, []*tensor.Tensor{x, y}}, nil
}

// TransformerInference is bench/transformer.nn's forward pass (output "y")
// at size s, optimized at level.
func TransformerInference(s TransformerSize, level int, seed uint64) (Workload, error) {
	b := ops.NewBuilder()
	low, err := transformerLower(s, "forward", false, b)
	if err != nil {
		return Workload{}, err
	}
	b.Output("y", low.Outputs[0])
	g, err := opt.Optimize(b.G, opt.Options{Level: level})
	if err != nil {
		return Workload{}, err
	}
	x, _ := inputs(TransformerModel(s), s.Batch, seed)
	return Workload{g, []*tensor.Tensor{x}}, nil
}
