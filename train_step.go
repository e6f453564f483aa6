package nnc

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/train"
)

// stepBuild says how buildStepGraph builds a training step: one builder
// makes the step training runs, the step the numerics checks run and the
// step with gradient norms, so that they cannot drift apart.
type stepBuild struct {
	// shapes are values for the entry's shape variables
	// (lang.LowerOptions.Shapes; nil or empty for none), for entries that
	// unroll a loop or scan over a shape variable (a recurrent model's T).
	shapes map[string]int64
	// unfused leaves out the optimizer's passes that merge ops into one
	// kernel (unfusedPasses), so that a numerics report names the op as
	// written.
	unfused bool
	// norms adds an output train.GradSqOutput+param, the sum of the
	// squares of the param's gradient, for every param
	// (TrainOptions.WarnGradNorm).
	norms bool
	// fz leaves the params and states of freeze out of the step's
	// gradients and updates (nil: none; train_freeze.go).
	fz *freezing
}

// builtStep is a training step buildStepGraph made.
type builtStep struct {
	step  *ops.Graph
	low   *lang.Lowered // the lowering, for the params' paths
	loss  *ops.Node     // step's output "loss"
	micro *ops.Graph    // with accumulation, the micro-batch graph (train.StepOptions.Micro), optimized as step is; else nil
}

// buildStepGraph lowers entry in training mode and builds the whole
// training step (forward, backward, update) as one optimized graph, as sb
// says. The optimizer's ops have no source position (a numerics report
// names the param they update). The micro-batch graph that BuildStep
// makes of a *train.StepOptions o is the result's micro; o.Micro is left
// as it is.
func (p *Program) buildStepGraph(entry string, o train.Optimizer, sb stepBuild) (*builtStep, error) {
	if len(sb.shapes) == 0 {
		sb.shapes = nil
	}
	b := ops.NewBuilder()
	low, err := p.lower(entry, lang.LowerOptions{Training: true, Builder: b, Shapes: sb.shapes})
	if err != nil {
		return nil, err
	}
	b, loss, params, err := p.prepareLoss(entry, b, low)
	if err != nil {
		return nil, err
	}
	if sb.fz.any() {
		if params, err = sb.fz.trainable(low, params); err != nil {
			return nil, err
		}
		sb.fz.dropFrozenUpdates(b.G)
	}
	b.G.Outputs = nil // BuildStep names the loss output itself
	b.SetPos(ops.Pos{})
	if sb.norms {
		grads, err := autodiff.Grad(b, loss, params)
		if err != nil {
			return nil, err
		}
		for i, g := range grads {
			b.Output(train.GradSqOutput+params[i].Name(), b.Must(ops.Sum, nil, b.Mul(g, g)))
		}
	}
	var so *train.StepOptions
	if s, ok := o.(*train.StepOptions); ok {
		c := *s // BuildStep sets Micro on the copy
		so, o = &c, &c
	}
	if err := train.BuildStep(b, loss, params, o); err != nil {
		return nil, err
	}
	optimize := p.optimize
	if sb.unfused {
		optimize = p.optimizeUnfused
	}
	r := &builtStep{low: low}
	if r.step, err = optimize(b.G); err != nil {
		return nil, err
	}
	r.loss = r.step.Output("loss")
	if so != nil && so.Micro != nil {
		if r.micro, err = optimize(so.Micro); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// prepareLoss names low's loss the output "loss" of b and, at
// optimization levels above 0, runs opt.Prepare (the stability rewrites,
// before differentiation, so that the gradient is taken of the stable
// form too). It returns the builder of the graph, its loss and low's
// params in it.
func (p *Program) prepareLoss(entry string, b *ops.Builder, low *lang.Lowered) (*ops.Builder, *ops.Node, []*ops.Node, error) {
	if err := checkLoss(entry, low); err != nil {
		return nil, nil, nil, err
	}
	b.Output("loss", low.Outputs[0])
	if p.optLevel() <= 0 {
		return b, low.Outputs[0], low.Params, nil
	}
	b, err := opt.Prepare(b.G)
	if err != nil {
		return nil, nil, nil, err
	}
	byName := map[string]*ops.Node{}
	for _, n := range b.G.Params() {
		byName[n.Name()] = n
	}
	params := make([]*ops.Node, len(low.Params))
	for i, n := range low.Params {
		if params[i] = byName[n.Name()]; params[i] == nil {
			return nil, nil, nil, fmt.Errorf("%s: parameter %s is unused by the loss", entry, n.Name())
		}
	}
	return b, b.G.Output("loss"), params, nil
}

// buildStepShapes builds the step training runs (buildStepGraph with the
// shape values shapes, fused, with the gradient norms as outputs when
// norms: TrainOptions.WarnGradNorm), for TrainMemory.
func (p *Program) buildStepShapes(entry string, o train.Optimizer, fz *freezing, shapes map[string]int64, norms bool) (step *ops.Graph, low *lang.Lowered, loss *ops.Node, err error) {
	r, err := p.buildStepGraph(entry, o, stepBuild{shapes: shapes, fz: fz, norms: norms})
	if err != nil {
		return nil, nil, nil, err
	}
	return r.step, r.low, r.loss, nil
}

// withShapes runs build with the shapes the options give; when the entry
// needs concrete shapes (a loop over a shape variable, lang.NeedsShapes)
// and the data gives more, it runs build again with those added (the
// options' values win).
func withShapes(given map[string]int, fromData map[string]int64, build func(map[string]int64) error) error {
	shapes := map[string]int64{}
	for k, v := range given {
		shapes[k] = int64(v)
	}
	err := build(shapes)
	if !lang.NeedsShapes(err) {
		return err
	}
	more := false
	for k, v := range fromData {
		if _, ok := shapes[k]; !ok {
			shapes[k], more = v, true
		}
	}
	if !more {
		return err
	}
	return build(shapes)
}

// leadingVars are the shape variables of the inputs' leading axes: the
// batch axis, which a training step keeps symbolic (its last batch may be
// smaller) unless the whole set is one batch.
func leadingVars(types []ops.Type) map[string]bool {
	vars := map[string]bool{}
	for _, t := range types {
		if len(t.Shape) > 0 {
			for _, v := range t.Shape[0].Vars() {
				vars[v] = true
			}
		}
	}
	return vars
}

// checkShapes checks the options' shape values against the inputs'
// variables: each must be a variable of an input that is not the batch
// axis of rows (whose size the batch setting gives), and agree with the
// data.
func (b *binding) checkShapes(option string, given map[string]int) error {
	vars := map[string]bool{}
	types := make([]ops.Type, len(b.inputs))
	for i, a := range b.inputs {
		types[i] = a.Type
		for j, d := range a.Type.Shape {
			if j > 0 || b.fullBatch {
				for _, v := range d.Vars() {
					vars[v] = true
				}
			}
		}
	}
	batch := map[string]bool{}
	if !b.fullBatch {
		batch = leadingVars(types)
	}
	names := make([]string, 0, len(given))
	for k := range given {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := given[k]
		switch {
		case v < 0:
			return &OptionError{Option: option, Value: fmt.Sprintf("%s=%d", k, v), Msg: "a size is at least 0"}
		case batch[k] && !vars[k]:
			return &OptionError{Option: option, Value: fmt.Sprintf("%s=%d", k, v), Msg: k + " is the batch axis: the batch setting gives its size"}
		case !vars[k]:
			known := make([]string, 0, len(vars))
			for n := range vars {
				known = append(known, n)
			}
			sort.Strings(known)
			return &OptionError{Option: option, Value: fmt.Sprintf("%s=%d", k, v), Msg: fmt.Sprintf("no shape variable %s in the inputs of %s (variables: %s)", k, b.model, strings.Join(known, ", "))}
		}
		if d, ok := b.shapes[k]; ok && d != int64(v) {
			return &OptionError{Option: option, Value: fmt.Sprintf("%s=%d", k, v), Msg: fmt.Sprintf("the data's arrays have %s = %d", k, d)}
		}
	}
	return nil
}
