package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// StepGraphs are the graphs of one training step: Step, and with gradient
// accumulation (StepOptions.Accumulate above 1) Micro, the graph of the
// batches that only accumulate their gradients (as StepOptions.Micro).
type StepGraphs struct {
	Step, Micro *ops.Graph
}

// numerics carries out Config.CheckNumerics and WarnGradNorm for
// RunContext: run is the step graph training runs, its loss guarded, and
// micro the micro-batch graph of accumulation (nil without), its loss
// guarded too.
type numerics struct {
	cfg   *Config
	run   *bound
	micro *bound
	check *checked // the graphs the checks run, once bound
	loss  int      // run's output "loss"
	norms []int    // run's outputs GradSqOutput+param
	prev  float64
}

// checked are the bound graphs the checks run: the step, and the
// micro-batch graph with accumulation.
type checked struct {
	step, micro *bound
}

// newNumerics prepares the checks of the step graph step and, with
// accumulation (h.micro not nil), of the micro-batch graph, which h then
// runs: with CheckNumerics, both become the graphs the checks run.
func newNumerics(cfg *Config, step *bound, h *stepHooks) (*numerics, error) {
	n := &numerics{cfg: cfg, run: step, prev: math.NaN()}
	if h != nil {
		n.micro = h.micro
	}
	if cfg.CheckNumerics {
		c, err := n.checkGraphs()
		if err != nil {
			return nil, err
		}
		n.run = c.step
		if n.micro != nil {
			n.micro, h.micro = c.micro, c.micro
		}
	}
	for _, b := range []*bound{n.run, n.micro} {
		if b == nil {
			continue
		}
		if err := b.sess.SetNumerics(runtime.NumericsOptions{Check: cfg.CheckNumerics, Guard: "loss"}); err != nil {
			return nil, err
		}
	}
	if n.loss = outputIndex(n.run.g, "loss"); n.loss < 0 {
		return nil, fmt.Errorf("train: the checks' step graph has no output \"loss\"")
	}
	for i, o := range n.run.g.Outputs {
		if strings.HasPrefix(o.Name, GradSqOutput) && cfg.WarnGradNorm > 0 {
			n.norms = append(n.norms, i)
		}
	}
	if cfg.WarnGradNorm > 0 && len(n.norms) == 0 {
		return nil, fmt.Errorf("train: WarnGradNorm needs the step graph's outputs %s<param>", GradSqOutput)
	}
	return n, nil
}

// checkGraphs binds the graphs the checks run (CheckStep's, else Step and
// the step options' Micro).
func (n *numerics) checkGraphs() (*checked, error) {
	if n.check != nil {
		return n.check, nil
	}
	gs := StepGraphs{Step: n.cfg.Step}
	if n.micro != nil {
		gs.Micro = n.micro.g
	}
	if n.cfg.CheckStep != nil {
		var err error
		if gs, err = n.cfg.CheckStep(); err != nil {
			return nil, fmt.Errorf("the step graph of the numerics checks: %w", err)
		}
	}
	if gs.Step == nil || n.micro != nil && gs.Micro == nil {
		return nil, fmt.Errorf("train: the numerics checks have no step graph, or no micro-batch graph for accumulation")
	}
	c := &checked{}
	var err error
	if c.step, err = bindGraph("step graph", gs.Step, n.cfg.Store, n.cfg.Train); err != nil {
		return nil, err
	}
	if n.micro != nil {
		if c.micro, err = bindGraph("micro-batch graph", gs.Micro, n.cfg.Store, n.cfg.Train); err != nil {
			return nil, err
		}
		if outputIndex(gs.Micro, "loss") < 0 {
			return nil, fmt.Errorf("train: the checks' micro-batch graph has no output \"loss\"")
		}
	}
	n.check = c
	return c, nil
}

// explain turns the error of a step into the report of where its
// non-finite values arose: a step whose loss is not finite is run again,
// without updates, with the checks on (the check graph, then the graph
// training ran itself when the check graph's values are finite); micro
// says that the batch ran the micro-batch graph of accumulation, which is
// then the graph run again. It returns nil for other errors.
func (n *numerics) explain(ctx context.Context, err error, seed uint64, f *feed, b *data.Batch, epoch int, micro bool) error {
	var ne *runtime.NumericsError
	var nf *runtime.NonFiniteError
	switch {
	case errors.As(err, &ne):
	case errors.As(err, &nf):
		ne = n.rerun(ctx, seed, b, micro)
		if ne == nil {
			return fmt.Errorf("epoch %d, step %d: %w (run again with the checks on, its values were finite)", epoch, b.Index+1, err)
		}
	default:
		return nil
	}
	if ne.Value == "the output loss" {
		ne.Value = "the loss"
	}
	for _, src := range ne.Sources {
		if src.Node.Op == ops.Param || src.Node.Op == ops.State {
			ne.Hint = "an earlier step's update made them: check every step (--check-numerics, TrainOptions.CheckNumerics) to stop at the op that did"
		}
	}
	ne.When = fmt.Sprintf("epoch %d, step %d", epoch, b.Index+1)
	if !math.IsNaN(n.prev) {
		ne.When += fmt.Sprintf(" (the previous step's loss: %.6g)", n.prev)
	}
	for _, r := range f.Rows(b) {
		ne.Rows = append(ne.Rows, n.cfg.Train.Source.Where(r))
	}
	return ne
}

// rerun runs batch b again, without updates, with the checks on: the
// check graph, then the graph training ran (the step, or with micro the
// micro-batch graph). It returns the first report, nil when their values
// were finite.
func (n *numerics) rerun(ctx context.Context, seed uint64, b *data.Batch, micro bool) *runtime.NumericsError {
	graphs := []func() (*bound, error){
		func() (*bound, error) {
			c, err := n.checkGraphs()
			if err != nil {
				return nil, err
			}
			if micro {
				return c.micro, nil
			}
			return c.step, nil
		},
		func() (*bound, error) {
			if micro {
				return n.micro, nil
			}
			return n.run, nil
		},
	}
	var ne *runtime.NumericsError
	for _, g := range graphs {
		c, err := g()
		if err == nil {
			err = c.sess.SetNumerics(runtime.NumericsOptions{Check: true, Guard: "loss", NoUpdates: true})
		}
		if err == nil {
			_, err = c.run(ctx, seed, b.Arrays)
		}
		if errors.As(err, &ne) {
			return ne
		}
	}
	return nil
}

// done records a step's loss and warns of its large gradients.
func (n *numerics) done(out []*tensor.Tensor, loss float64, epoch, step int) {
	n.prev = loss
	if len(n.norms) == 0 {
		return
	}
	var big []string
	total := 0.0
	for _, i := range n.norms {
		sq := out[i].At(0)
		total += sq
		if norm := math.Sqrt(sq); !(norm <= n.cfg.WarnGradNorm) {
			big = append(big, fmt.Sprintf("%s %.4g", strings.TrimPrefix(n.run.g.Outputs[i].Name, GradSqOutput), norm))
		}
	}
	w := n.cfg.Warnings
	if w == nil {
		w = n.cfg.Progress
	}
	if len(big) > 0 && w != nil {
		fmt.Fprintf(w, "warning: epoch %d, step %d: gradient norm above %g: %s (all params: %.4g)\n", epoch, step, n.cfg.WarnGradNorm, strings.Join(big, ", "), math.Sqrt(total))
	}
}
