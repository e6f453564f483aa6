package train

import (
	"fmt"

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
	eff := make([]*ops.Node, len(grads))
	for i, p := range params {
		dt := p.Type.DType
		acc := b.State(p.Name()+"/accum.grad", p.Type, ops.Attrs{"init": "zeros"})
		sum := b.Add(acc, b.Mul(grads[i], castTo(b, n, dt)))
		micro = append(micro, ops.Update{Target: acc, Value: sum})
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

// accumulation runs the batches of an epoch as Accumulate says.
type accumulation struct {
	k     int
	micro *bound
	store *runtime.Store
}

// pick returns the graph that runs batch i (from 0) of an epoch of n
// batches, after writing the batch's rows into the store: the step graph
// at the end of a group or of the epoch, else the micro graph.
func (a *accumulation) pick(step *bound, i, n, rows int) (*bound, error) {
	if err := SetBatchRows(a.store, rows); err != nil {
		return nil, err
	}
	if (i+1)%a.k == 0 || i == n-1 {
		return step, nil
	}
	return a.micro, nil
}

// Updates reports whether batch i (from 0) of an epoch of n batches ends a
// group of k, and so updates the parameters.
func Updates(k, i, n int) bool { return k <= 1 || (i+1)%k == 0 || i == n-1 }
