package train

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// The exponential moving average of the weights (StepOptions.EMA = d):
// every parameter p has a state EMAState(p), which the step graph updates
// after p's update, as torch.optim.swa_utils.AveragedModel with
// get_ema_multi_avg_fn(d) updates its copy after every optimizer step:
//
//	a = p                     at the first update
//	a = a + (1-d)·(p - a)     after it (torch's lerp)
//
// or, with a start S (StepOptions.EMAStart), a = p at the first S+1
// updates and the average after them, as an AveragedModel first updated
// after S optimizer steps (SWA's swa_start): an average that starts at the
// first update keeps d^n of the initial weights after n updates (8.5% of
// them after 2,460 updates at d = 0.999), which a start past the first
// epochs leaves out. p is the new value (and, when p is pruned, a times p's mask, so that
// pruned weights stay zero in the average too). EMAStepsState counts the
// updates. Evaluation reads the averages (AveragedGraph), and so do the
// parameters written at the end of training (AveragedParams); the
// statistics of batch normalization are the model's own, not averaged.
const EMAStepsState = "train/ema.steps"

// EMAState is the name of the moving average of the parameter at path p.
func EMAState(p string) string { return p + "/ema" }

// MaxEMAStart is the latest start of the moving average
// (StepOptions.EMAStart), in updates.
const MaxEMAStart = 1 << 40

// averageUpdates adds the moving averages of params, each read after its
// update (and mask), to b, averaging from update start on.
func averageUpdates(b *ops.Builder, params []*ops.Node, decay float64, start int, prune *Prune) {
	f64 := ops.Scalar(ops.F64)
	t := b.State(EMAStepsState, f64, ops.Attrs{"init": "zeros"})
	one := b.Scalar(ops.F64, 1)
	// w = 1 - d·clip(t - start, 0, 1), t the updates before this one: 1
	// (a copy) through update start, 1-d after.
	since := b.Sub(t, b.Scalar(ops.F64, float64(start)))
	w := b.Sub(one, b.Mul(b.Scalar(ops.F64, decay), b.Must(ops.Clip, ops.Attrs{"lo": 0.0, "hi": 1.0}, since)))
	for _, p := range params {
		i := updateOf(b.G, p)
		if i < 0 {
			continue
		}
		v := b.G.Updates[i].Value
		a := b.State(EMAState(p.Name()), p.Type, ops.Attrs{"init": "zeros"})
		na := b.Add(a, b.Mul(castTo(b, w, p.Type.DType), b.Sub(v, a)))
		if prune != nil && prune.prunes(p) {
			na = b.Mul(na, maskState(b, p))
		}
		b.Update(a, na)
	}
	b.Update(t, b.Add(t, one))
}

// AveragedGraph returns a copy of g (an evaluation graph) that reads the
// moving average EMAState(p) wherever g reads a parameter p.
func AveragedGraph(g *ops.Graph) (*ops.Graph, error) {
	nb, _, err := replay(g, replayRules{replace: func(nb *ops.Builder, n *ops.Node) *ops.Node {
		if n.Op != ops.Param {
			return nil
		}
		return nb.State(EMAState(n.Name()), n.Type, ops.Attrs{"init": "zeros"})
	}})
	if err != nil {
		return nil, err
	}
	return nb.G, nil
}

// AveragedParams returns a store that holds, under the name of each of
// params, its moving average from store, and every other tensor of store
// as it is (the same tensors, not copies): what to save as the trained
// parameters of a run with a moving average.
func AveragedParams(store *runtime.Store, params []string) (*runtime.Store, error) {
	out := runtime.NewStore()
	for _, name := range store.Names() {
		out.Set(name, store.Get(name))
	}
	for _, p := range params {
		a := store.Get(EMAState(p))
		if a == nil {
			return nil, fmt.Errorf("train: the store has no moving average of %s (%s)", p, EMAState(p))
		}
		out.Set(p, a)
	}
	return out, nil
}
