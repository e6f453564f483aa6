package nnc

import (
	"maps"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
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
