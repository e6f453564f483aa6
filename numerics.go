package nnc

import (
	"context"
	"fmt"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/train"
)

// NumericsError is the report of TrainOptions.CheckNumerics (and of a
// training step whose loss is not finite): the first op that gave NaN or
// an infinity from finite operands, with its source position (Pos), its
// operands' ranges, the step (When) and the batch's rows (Rows); or, when
// no op did, the inputs, params and constants the non-finite values came
// from (Sources).
type NumericsError = runtime.NumericsError

// This file holds what Train's numerics checks (TrainOptions.CheckNumerics,
// TrainOptions.WarnGradNorm) need of the step graphs, which
// buildStepGraph (train_step.go) builds: the step with every op its own
// kernel, which the checks run so that a report names the op as written,
// and the step with the squared norms of the gradients as outputs.

// unfusedPasses are the optimizer's passes that merge ops into one kernel
// (fused updates, fused elementwise trees): a checked step leaves them out.
var unfusedPasses = map[string]bool{"update": true, "fuse": true}

// trainingSteps builds the step training runs (with opts.WarnGradNorm,
// with the outputs train.GradSqOutput+param) for entry with optimizer o
// and shape values shapes, and the function making the graphs the checks
// run: the same step, from the same builder, with every op its own kernel.
func (p *Program) trainingSteps(opts *TrainOptions, entry string, o train.Optimizer, fz *freezing, shapes map[string]int64) (*builtStep, func() (train.StepGraphs, error), error) {
	sb := stepBuild{shapes: shapes, norms: opts.WarnGradNorm > 0, fz: fz}
	step, err := p.buildStepGraph(entry, o, sb)
	if err != nil {
		return nil, nil, err
	}
	check := func() (train.StepGraphs, error) {
		unfused := sb
		unfused.unfused = true
		c, err := p.buildStepGraph(entry, o, unfused)
		if err != nil {
			return train.StepGraphs{}, err
		}
		if !sameLeaves(c.step, step.step) || (c.micro == nil) != (step.micro == nil) || c.micro != nil && !sameLeaves(c.micro, step.micro) {
			return train.StepGraphs{}, fmt.Errorf("%s: the unfused step of the numerics checks reads or updates other params and states than the training step", entry)
		}
		return train.StepGraphs{Step: c.step, Micro: c.micro}, nil
	}
	return step, check, nil
}

// optimizeUnfused runs the optimizer's passes on g (none at level 0)
// except those that merge ops into one kernel.
func (p *Program) optimizeUnfused(g *ops.Graph) (*ops.Graph, error) {
	if p.optLevel() <= 0 {
		return g, nil
	}
	for _, pass := range opt.Passes {
		if unfusedPasses[pass.Name] {
			continue
		}
		var err error
		if g, err = pass.Run(g); err != nil {
			return nil, fmt.Errorf("opt: pass %s: %v", pass.Name, err)
		}
	}
	return g, nil
}

// CheckNumerics runs the entry as RunContext does, or, with wrt, as
// GradContext does (the value, then the gradients), with the value of
// every op checked, and returns its results. The entry is compiled for
// the call with every op its own kernel (no fusion), so that a report
// names the op as written; the results agree with RunContext's within
// rounding. The first op whose value holds NaN or an infinity although its
// operands are finite ends the call with a *NumericsError naming the op,
// its position and its operands' ranges (an op of the gradient is reported
// at the forward op it differentiates, "in the gradient of ..."). Inputs
// and parameters may hold non-finite values: results they make non-finite
// are not an error.
func (f *Func) CheckNumerics(ctx context.Context, wrt []string, inputs map[string]*Tensor) (out []*Tensor, err error) {
	defer recoverInternal(&err)
	if err := f.checkCall(ctx, inputs); err != nil {
		return nil, err
	}
	var env map[string]int64
	if f.perShape {
		if _, env, err = f.shapeKey("check", inputs); err != nil {
			return nil, err
		}
	}
	low, err := f.prog.lower(f.entry, lang.LowerOptions{Shapes: env})
	if err != nil {
		return nil, err
	}
	var forward []string
	if wrt == nil {
		nameOutputs(low)
	} else {
		if _, err := gradKey(wrt); err != nil {
			return nil, err
		}
		if err := f.addGrads(low, wrt); err != nil {
			return nil, err
		}
		forward = []string{"out"}
	}
	g, err := f.prog.optimizeUnfused(low.B.G)
	if err != nil {
		return nil, err
	}
	vals, err := inputsInOrder(low.Inputs, inputs)
	if err != nil {
		return nil, err
	}
	f.params.Lock()
	err = runtime.InitParams(f.store, g, f.seed) // params no variant has made yet
	f.params.Unlock()
	if err != nil {
		return nil, err
	}
	s := runtime.NewSession(g, f.store)
	if err := s.SetNumerics(runtime.NumericsOptions{Check: true, Forward: forward}); err != nil {
		return nil, err
	}
	f.params.RLock()
	defer f.params.RUnlock()
	res, err := s.RunContext(ctx, 0, vals...)
	if err != nil {
		return nil, err
	}
	out = make([]*Tensor, len(res))
	for i, t := range res {
		out[i] = t.Clone()
	}
	return out, nil
}

// sameLeaves reports whether a and b have the same inputs, params and
// states (names and types, in order) and update the same params and
// states.
func sameLeaves(a, b *ops.Graph) bool {
	leaves := func(g *ops.Graph) []*ops.Node {
		var out []*ops.Node
		for _, n := range g.Nodes {
			if n.Op.Leaf {
				out = append(out, n)
			}
		}
		return out
	}
	la, lb := leaves(a), leaves(b)
	if len(la) != len(lb) || len(a.Updates) != len(b.Updates) {
		return false
	}
	for i := range la {
		if la[i].Op != lb[i].Op || la[i].Name() != lb[i].Name() || !la[i].Type.Equal(lb[i].Type) {
			return false
		}
	}
	targets := map[string]bool{}
	for _, u := range a.Updates {
		targets[u.Target.Op.Name+" "+u.Target.Name()] = true
	}
	for _, u := range b.Updates {
		if !targets[u.Target.Op.Name+" "+u.Target.Name()] {
			return false
		}
	}
	return true
}
