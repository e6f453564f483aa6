package bench

import (
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/tensor"
	"github.com/nnclang/nnc/train"
)

// LSTMSize is one size of the LSTM benchmark (bench/lstm.nn): sequences of
// T steps of In features, Hidden units, Batch sequences.
type LSTMSize struct {
	In, Hidden, T, Batch int
	// Unroll is the longest scan unrolled (lang.LowerOptions.ScanUnroll;
	// 0: lang's default, past which the scan runs as a loop of the plan).
	Unroll int
}

// LSTMBase is the recurrent step of BENCHMARKS.md: 64→128, batch 32, 50 steps.
var LSTMBase = LSTMSize{In: 64, Hidden: 128, T: 50, Batch: 32}

// LSTMSizes are the further sizes measured (sequence lengths 32–256,
// widths 128–512).
var LSTMSizes = []LSTMSize{
	{In: 64, Hidden: 128, T: 32, Batch: 32},
	{In: 64, Hidden: 128, T: 256, Batch: 32},
	{In: 64, Hidden: 256, T: 50, Batch: 32},
	{In: 64, Hidden: 512, T: 50, Batch: 32},
	{In: 64, Hidden: 512, T: 128, Batch: 32},
}

// LSTMModel is bench/lstm.nn's LSTM model with samples of shape [T, In].
func LSTMModel(s LSTMSize) Model { return recurrentModel(s, "LSTMNet") }

// recurrentModel is bench/lstm.nn's model name (LSTMNet or GRUNet) with
// samples of shape [T, In].
func recurrentModel(s LSTMSize, name string) Model {
	return Model{"lstm.nn", name, []int{s.T, s.In}}
}

// LSTMLower lowers bench/lstm.nn's LSTMNet.loss at size s (level-0
// graph, before any training step is built) into b.
func LSTMLower(s LSTMSize, b *ops.Builder) (*lang.Lowered, error) {
	return recurrentLower(s, "LSTMNet", b)
}

// recurrentLower lowers bench/lstm.nn's name.loss at size s into b.
func recurrentLower(s LSTMSize, name string, b *ops.Builder) (*lang.Lowered, error) {
	mod, err := load(recurrentModel(s, name))
	if err != nil {
		return nil, err
	}
	return mod.Lower(name+".loss", lang.LowerOptions{
		Training:   true,
		Builder:    b,
		Shapes:     map[string]int64{"B": int64(s.Batch), "T": int64(s.T)},
		ModelArgs:  map[string]any{"n_in": s.In, "hidden": s.Hidden},
		ScanUnroll: s.Unroll,
	})
}

// LSTMStep is a training step (plain SGD, lr 0.01) of bench/lstm.nn at
// size s, optimized at level, with random inputs drawn from seed.
func LSTMStep(s LSTMSize, level int, seed uint64) (Workload, error) {
	return recurrentStep(s, "LSTMNet", level, seed)
}

// GRUStep is LSTMStep with bench/lstm.nn's GRUNet (gru_cell in place of
// lstm_cell).
func GRUStep(s LSTMSize, level int, seed uint64) (Workload, error) {
	return recurrentStep(s, "GRUNet", level, seed)
}

// recurrentStep is the training step of bench/lstm.nn's name at size s.
func recurrentStep(s LSTMSize, name string, level int, seed uint64) (Workload, error) {
	b := ops.NewBuilder()
	low, err := recurrentLower(s, name, b)
	if err != nil {
		return Workload{}, err
	}
	if err := train.BuildStep(b, low.Outputs[0], low.Params, &train.SGD{LR: 0.01}); err != nil {
		return Workload{}, err
	}
	g, err := opt.Optimize(b.G, opt.Options{Level: level})
	if err != nil {
		return Workload{}, err
	}
	x, y := inputs(recurrentModel(s, name), s.Batch, seed)
	return Workload{g, []*tensor.Tensor{x, y}}, nil
}
