package nnc

import (
	"fmt"
	"maps"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/train"
)

// SetOptLevel sets the optimization level of every graph the program runs
// from now on: 0 runs the graphs as lowered, 1 (the default) runs the pass
// list of package opt (folding, CSE, simplification, stability rewrites,
// fusion). Results agree within rounding; see opt's differential tests.
// Levels below 0 count as 0 and levels above 1 as 1. Like SetModelArgs, it
// applies to what is compiled afterwards. A nil Program ignores it.
func (p *Program) SetOptLevel(level int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.level = min(max(level, 0), 1)
}

// optLevel is the optimization level, read under the program's lock.
func (p *Program) optLevel() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// modelArgs returns a copy of the model arguments SetModelArgs gave.
func (p *Program) modelArgs() map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.args)
}

// optimize runs the pass list on a graph whose outputs and updates are set.
func (p *Program) optimize(g *ops.Graph) (*ops.Graph, error) {
	return opt.Optimize(g, opt.Options{Level: p.optLevel()})
}

// buildStep lowers entry in training mode and builds the whole training
// step (forward, backward, update) as one optimized graph. It returns the
// step, the lowering (for the params' paths) and the step's loss node.
func (p *Program) buildStep(entry string, o train.Optimizer) (step *ops.Graph, low *lang.Lowered, loss *ops.Node, err error) {
	b := ops.NewBuilder()
	low, err = p.lower(entry, lang.LowerOptions{Training: true, Builder: b})
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkLoss(entry, low); err != nil {
		return nil, nil, nil, err
	}
	b.Output("loss", low.Outputs[0])
	loss, params := low.Outputs[0], low.Params
	if p.optLevel() > 0 {
		// Stability rewrites before differentiation, so that the gradient
		// is taken of the stable form too.
		if b, err = opt.Prepare(b.G); err != nil {
			return nil, nil, nil, err
		}
		loss = b.G.Output("loss")
		byName := map[string]*ops.Node{}
		for _, n := range b.G.Params() {
			byName[n.Name()] = n
		}
		params = make([]*ops.Node, len(low.Params))
		for i, n := range low.Params {
			if params[i] = byName[n.Name()]; params[i] == nil {
				return nil, nil, nil, fmt.Errorf("%s: parameter %s is unused by the loss", entry, n.Name())
			}
		}
	}
	b.G.Outputs = nil // BuildStep names the loss output itself
	if err := train.BuildStep(b, loss, params, o); err != nil {
		return nil, nil, nil, err
	}
	if step, err = p.optimize(b.G); err != nil {
		return nil, nil, nil, err
	}
	return step, low, step.Output("loss"), nil
}
