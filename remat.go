package nnc

import (
	"fmt"
	"io"
	"math"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// Rematerialization in training (TrainOptions.Remat and MaxMemory): the
// step graph's forward values chosen by runtime.Remat are recomputed during
// the backward pass instead of kept, so that the plan for one training batch
// fits the budget. Results are bitwise those without it.

// RematInfo is what rematerialization chose for a training step.
type RematInfo = runtime.RematReport

// rematStep rewrites the training step g (whose forward part ends at the
// loss node) for batches of batch rows of d, to fit budget bytes (0: as
// small as the planner finds). It fails when the budget cannot be met,
// giving the smallest peak found. The choice is printed to progress.
func rematStep(g *ops.Graph, loss *ops.Node, d *data.Dataset, batch int, budget int64, progress io.Writer) (*ops.Graph, RematInfo, error) {
	env, err := batchEnv(g, d, batch)
	if err != nil {
		return nil, RematInfo{}, err
	}
	rg, rep, err := runtime.Remat(g, env, runtime.RematOptions{Budget: budget, Split: loss.ID + 1})
	if err != nil {
		return nil, rep, err
	}
	if !rep.Fits {
		return nil, rep, &OptionError{Option: "TrainOptions.MaxMemory", Value: runtime.FormatBytes(budget),
			Msg: fmt.Sprintf("the training step needs at least %s with rematerialization (%s without)",
				runtime.FormatBytes(rep.After), runtime.FormatBytes(rep.Before))}
	}
	if progress != nil {
		fmt.Fprintln(progress, rep)
	}
	return rg, rep, nil
}

// batchEnv binds the shape variables of g's inputs for one batch of d: each
// input has the shape of its array in d with batch rows.
func batchEnv(g *ops.Graph, d *data.Dataset, batch int) (map[string]int64, error) {
	in := g.Inputs()
	vals := make([]*tensor.Tensor, len(in))
	for i, n := range in {
		a := d.Get(n.Name())
		if a == nil || len(a.Shape) == 0 {
			return nil, fmt.Errorf("step input %q has no array of that name in the data", n.Name())
		}
		shape := append([]int{min(batch, a.Shape[0])}, a.Shape[1:]...)
		vals[i] = &tensor.Tensor{DType: a.DType, Shape: shape} // only the type is read
	}
	return ops.BindShapes(in, vals)
}

// errRematNumerics refuses TrainOptions.Remat with CheckNumerics: the
// checked steps run every op as its own kernel, a graph rematerialization
// does not rewrite, so the budget would be silently ignored.
var errRematNumerics = &OptionError{Option: "TrainOptions.Remat", Msg: "CheckNumerics runs every step unfused and without rematerialization, so the rematerialized step would never run: set one of them"}

// TrainMemory builds the training step of the model as Train would (with
// the gradient norms of opts.WarnGradNorm as outputs when it is set) and
// reports the peak memory of its plan for one batch, without and with
// rematerialization to fit opts.MaxMemory (0: the smallest peak found). It
// trains nothing. With opts.CheckNumerics every step runs unfused and
// without rematerialization, so the peak reported would not be the one
// that runs: that is an error. The data is loaded and bound as Train binds it: the
// step is lowered with the sizes the data gives (a text's windows), and a
// full-batch data set's batch is the whole of its arrays. Its options are
// checked as Train checks them (a nil or zero Program, or an option no
// setting can take, is an error).
func (p *Program) TrainMemory(opts TrainOptions) (info RematInfo, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return info, errNoProgram
	}
	if err := opts.check(); err != nil {
		return info, err
	}
	if opts.CheckNumerics {
		return info, &OptionError{Option: "TrainOptions.CheckNumerics", Msg: "every step then runs unfused and without rematerialization, a plan TrainMemory does not measure: leave it off to measure the training step"}
	}
	tr, err := p.prepareRun(&opts)
	if err != nil {
		return info, err
	}
	var step *ops.Graph
	var loss *ops.Node
	err = withShapes(opts.Shapes, tr.pd.b.shapes, func(sh map[string]int64) (err error) {
		step, _, loss, err = p.buildStepShapes(tr.entry, tr.so, tr.fz, sh, opts.WarnGradNorm > 0)
		return err
	})
	if err != nil {
		return info, err
	}
	rows := tr.batch
	if tr.pd.fullBatch {
		rows = math.MaxInt
	}
	env, err := batchEnv(step, tr.pd.train, rows)
	if err != nil {
		return info, err
	}
	_, info, err = runtime.Remat(step, env, runtime.RematOptions{Budget: opts.MaxMemory, Split: loss.ID + 1})
	return info, err
}
