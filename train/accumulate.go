package train

import (
	"context"
	"fmt"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// Gradient accumulation (StepOptions.Accumulate = k): the batches of an
// epoch go in groups of k (the last group of an epoch may be smaller);
// every batch of a group but the last runs the micro graph
// (StepOptions.Micro), which adds n·g to an accumulator per parameter
// (PATH/accum.grad), n the batch's rows, and n to AccumRowsState; the
// last runs the step graph, whose gradient is
//
//	(accumulated + n·g) / (accumulated rows + n)
//
// and which resets the accumulators. For a loss that is a mean over the
// batch's rows this is the gradient of the mean over all the group's rows:
// k batches of B rows make the update of one batch of k·B rows (equal up
// to rounding, in another order of summation), and a smaller last batch
// counts for its rows. Clipping, the optimizer, pruning and the moving
// average see that gradient, once per group. The states (statistics of
// batch normalization) are updated by every batch, as PyTorch updates
// them in every forward pass. The loop writes each batch's rows into
// BatchRowsState before running it (SetBatchRows).
const (
	BatchRowsState = "train/batch_rows"
	AccumRowsState = "train/accum.rows"
)

// maxAccumulate bounds StepOptions.Accumulate.
const maxAccumulate = 1 << 20

// accumulate adds the accumulators to b, sets s.Micro and returns the
// gradients of the update.
func (s *StepOptions) accumulate(b *ops.Builder, loss *ops.Node, params, grads []*ops.Node) ([]*ops.Node, error) {
	f64 := ops.Scalar(ops.F64)
	n := b.State(BatchRowsState, f64, ops.Attrs{"init": "ones"})
	rows := b.State(AccumRowsState, f64, ops.Attrs{"init": "zeros"})
	micro := append([]ops.Update(nil), b.G.Updates...) // the model's states
	total := b.Add(rows, n)
	s.sums = [][2]*ops.Node{{total, rows}}
	eff := make([]*ops.Node, len(grads))
	for i, p := range params {
		dt := p.Type.DType
		acc := b.State(p.Name()+"/accum.grad", p.Type, ops.Attrs{"init": "zeros"})
		sum := b.Add(acc, b.Mul(grads[i], castTo(b, n, dt)))
		micro = append(micro, ops.Update{Target: acc, Value: sum})
		s.sums = append(s.sums, [2]*ops.Node{sum, acc}) // parallel.go's apply graph reads acc instead
		eff[i] = b.Div(sum, castTo(b, total, dt))
		b.Update(acc, b.Full(p.Type, 0))
	}
	micro = append(micro, ops.Update{Target: rows, Value: total})
	b.Update(rows, b.Scalar(ops.F64, 0))
	g, err := subgraph(b.G, []ops.Output{{Name: "loss", Node: loss}}, micro)
	if err != nil {
		return nil, err
	}
	s.Micro = g
	return eff, nil
}

// SetBatchRows writes the rows of the batch about to run into the store's
// BatchRowsState; it is an error when the store has none (a step built
// without accumulation).
func SetBatchRows(store *runtime.Store, rows int) error {
	t := store.Get(BatchRowsState)
	if t == nil || t.DType != tensor.F64 || t.Len() != 1 {
		return fmt.Errorf("train: the store has no f64 scalar %s (the step was built without accumulation)", BatchRowsState)
	}
	t.F64[0] = float64(rows)
	return nil
}

// stepHooks carries out in the loop what Config.StepOptions ask of it:
// the micro graph for the batches that only accumulate, and the pruning
// masks after the updates Prune.Due names. A nil *stepHooks runs the step
// graph on every batch and does nothing else.
type stepHooks struct {
	so       *StepOptions
	store    *runtime.Store
	micro    *bound
	k        int // batches per update
	perEpoch int
	outs     []*tensor.Tensor // the micro graph's loss in the step's layout
}

// newStepHooks prepares the hooks of cfg (nil when none are needed).
func newStepHooks(cfg *Config, perEpoch int) (*stepHooks, error) {
	so := cfg.StepOptions
	if so == nil || so.Accumulate <= 1 && so.Prune == nil {
		return nil, nil
	}
	h := &stepHooks{so: so, store: cfg.Store, k: max(so.Accumulate, 1), perEpoch: perEpoch}
	if h.k > 1 {
		if cfg.FullBatch {
			return nil, fmt.Errorf("train: full-batch data has one batch an epoch: there is nothing to accumulate")
		}
		if so.Micro == nil {
			return nil, fmt.Errorf("train: accumulate is %d but the step options have no micro graph (build the step with them first)", h.k)
		}
		if outputIndex(so.Micro, "loss") != 0 || len(so.Micro.Outputs) != 1 {
			return nil, fmt.Errorf("train: the micro graph's one output must be \"loss\"")
		}
		var err error
		if h.micro, err = bindGraph("micro-batch graph", so.Micro, cfg.Store, cfg.Train); err != nil {
			return nil, err
		}
		zero := tensor.New(tensor.F64)
		h.outs = make([]*tensor.Tensor, len(cfg.Step.Outputs))
		for i := range h.outs {
			h.outs[i] = zero
		}
	}
	if so.Prune != nil && len(so.Prune.names) == 0 {
		return nil, fmt.Errorf("train: the pruning has no parameters (build the step with the step options first)")
	}
	return h, nil
}

// run runs batch b (the b.Index-th of its epoch) with step, whose loss is
// its output loss, or with the micro graph when b only accumulates; the
// micro graph's loss comes at the same index, the step's other outputs as
// zeros.
func (h *stepHooks) run(ctx context.Context, step *bound, loss int, seed uint64, b *data.Batch) ([]*tensor.Tensor, error) {
	if h == nil || h.micro == nil {
		return step.run(ctx, seed, b.Arrays)
	}
	if err := SetBatchRows(h.store, b.Size); err != nil {
		return nil, err
	}
	if Updates(h.k, b.Index, h.perEpoch) {
		return step.run(ctx, seed, b.Arrays)
	}
	out, err := h.micro.run(ctx, seed, b.Arrays)
	if err != nil {
		return nil, err
	}
	h.outs[loss] = out[0]
	return h.outs, nil
}

// updates reports whether batch b updates the parameters: every batch,
// unless it only accumulates gradients for a later one.
func (h *stepHooks) updates(b *data.Batch) bool {
	return h == nil || h.micro == nil || Updates(h.k, b.Index, h.perEpoch)
}

// done follows the completed batch b, steps the batches the run has
// completed: after an update, the pruning masks are recomputed when due.
func (h *stepHooks) done(steps int, b *data.Batch) error {
	if h == nil || h.so.Prune == nil || !Updates(h.k, b.Index, h.perEpoch) {
		return nil
	}
	_, err := h.so.Prune.Apply(h.store, UpdatesDone(steps, h.perEpoch, h.k))
	return err
}

// UpdatesDone is the number of parameter updates after steps batches, with
// perEpoch batches an epoch and k batches an update (the last group of an
// epoch may be smaller).
func UpdatesDone(steps, perEpoch, k int) int64 {
	k = max(k, 1)
	e, within := steps/perEpoch, steps%perEpoch
	per := (perEpoch + k - 1) / k
	return int64(e)*int64(per) + int64(within/k)
}

// Updates reports whether batch i (from 0) of an epoch of n batches ends a
// group of k, and so updates the parameters.
func Updates(k, i, n int) bool { return k <= 1 || (i+1)%k == 0 || i == n-1 }
