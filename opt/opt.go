// Package opt is nnc's graph optimizer: one list of passes, run in order
// between differentiation and planning. Every pass is a graph-to-graph
// function that rebuilds the graph through a fresh ops.Builder (so
// hash-consing merges whatever the rewrite made equal), keeps the graph's
// leaves in order with their names, attributes and positions, and keeps its
// outputs and updates.
//
// The passes assume the graph is final: differentiation has already run
// (stop_gradient is dropped and fused nodes have no gradient).
package opt

import (
	"fmt"
	"io"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// Pass is one step of the pipeline.
type Pass struct {
	// Name is what --dump-after takes.
	Name string
	// Doc says what the pass does, in one line.
	Doc string
	// Run returns the rewritten graph; g is not modified.
	Run func(g *ops.Graph) (*ops.Graph, error)
	// After names the passes that must come earlier in Passes.
	After []string
}

// Passes is the pipeline, in order. Its ordering constraints (After) are
// asserted by a test.
var Passes = []Pass{
	{Name: "dce", Run: DCE,
		Doc: "drop the nodes no output or update needs (leaves stay)"},
	{Name: "fold", Run: Fold, After: []string{"dce"},
		Doc: "evaluate nodes whose operands are all constants"},
	{Name: "simplify", Run: Simplify, After: []string{"fold"},
		Doc: "algebraic identities (x*1, x-0, neg(neg x), transpose and reshape chains, no-op casts and broadcasts)"},
	{Name: "stability", Run: Stability, After: []string{"simplify"},
		Doc: "numerically stable forms (log(softmax) → log_softmax, log(1+x) → log1p)"},
	{Name: "cse", Run: CSE, After: []string{"simplify", "stability"},
		Doc: "merge equal nodes, commutative operands in a canonical order"},
	{Name: "update", Run: FuseUpdates, After: []string{"simplify", "stability", "cse"},
		Doc: "each SGD-with-momentum or Adam parameter update becomes one fused_sgd or fused_adam kernel that computes its gradient's elementwise tail and writes its state in place (before fuse takes the update's ops)"},
	{Name: "fuse", Run: Fuse, After: []string{"dce", "update", "fold", "simplify", "stability", "cse"},
		Doc: "trees of elementwise ops become one fused_elementwise kernel"},
	{Name: "loops", Run: Loops, After: []string{"fuse"},
		Doc: "the pass list runs on every loop's body (a scan run as a loop of the plan)"},
}

// Lookup returns the pass named name.
func Lookup(name string) (Pass, bool) {
	for _, p := range Passes {
		if p.Name == name {
			return p, true
		}
	}
	return Pass{}, false
}

// Names lists the passes in order.
func Names() []string {
	out := make([]string, len(Passes))
	for i, p := range Passes {
		out[i] = p.Name
	}
	return out
}

// Options say how Optimize runs.
type Options struct {
	// Level 0 runs no pass and returns the graph as it is; 1 or more runs
	// every pass.
	Level int
	// DumpAfter names a pass after which the graph is printed to Dump (in
	// ops.Fprint's text form). Empty prints nothing.
	DumpAfter string
	// Dump receives the graph named by DumpAfter.
	Dump io.Writer
	// Verify runs ops.Verify on the input and after every pass (tests set it).
	Verify bool
}

// DefaultLevel is the optimization level of compiled programs.
const DefaultLevel = 1

// Optimize runs the passes on g and returns the optimized graph; g itself is
// not modified. Leaves keep their order, names and attributes, so a session
// binds the result exactly as it binds g; outputs keep their names and
// updates their targets. An error is a broken invariant of a pass (or an
// unknown DumpAfter name).
func Optimize(g *ops.Graph, o Options) (*ops.Graph, error) {
	if o.DumpAfter != "" {
		if _, ok := Lookup(o.DumpAfter); !ok {
			return nil, fmt.Errorf("unknown pass %q (the passes are %s)", o.DumpAfter, strings.Join(Names(), ", "))
		}
		if o.Level <= 0 {
			return nil, fmt.Errorf("no pass runs at optimization level 0, so there is nothing to dump after %s", o.DumpAfter)
		}
		if o.Dump == nil {
			return nil, fmt.Errorf("dump after %s: no writer", o.DumpAfter)
		}
	}
	if o.Level <= 0 {
		return g, nil
	}
	if o.Verify {
		if err := ops.Verify(g); err != nil {
			return nil, fmt.Errorf("opt: the input graph is broken: %v", err)
		}
	}
	for _, p := range Passes {
		ng, err := runPass(p, g)
		if err != nil {
			return nil, err
		}
		if o.Verify {
			if err := ops.Verify(ng); err != nil {
				return nil, fmt.Errorf("opt: after pass %s: %v", p.Name, err)
			}
		}
		if p.Name == o.DumpAfter {
			ops.Fprint(o.Dump, ng)
		}
		g = ng
	}
	return g, nil
}

// runPass runs p, naming the pass in its error. A pass that panics
// (Builder.Must on a rewrite that broke an invariant) has a bug: the panic
// goes to the caller.
func runPass(p Pass, g *ops.Graph) (*ops.Graph, error) {
	out, err := p.Run(g)
	if err != nil {
		return nil, fmt.Errorf("opt: pass %s: %v", p.Name, err)
	}
	return out, nil
}

// Prepare applies the stability rewrites to a graph before it is
// differentiated and returns a Builder holding the result, to which
// autodiff.Grad or train.BuildStep can add the gradients: the loss and its
// gradient are then both computed in the stable form. (Optimize applies the
// same rewrites after differentiation, but by then the gradient of
// log(softmax(x)) has been written with a division by softmax(x).) Leaves
// keep their order, names and attributes and outputs their names, so the
// loss is found again with Output; the Builder's NextSeed continues after
// the seeds of the graph's random ops.
func Prepare(g *ops.Graph) (*ops.Builder, error) {
	b, err := rebuildBuilder(g, applyRules(StabilityRules))
	if err != nil {
		return nil, err
	}
	maxSeed := 0
	for _, n := range g.Nodes {
		if s, ok := n.Attrs["seed"].(int); ok {
			maxSeed = max(maxSeed, s)
		}
	}
	for s := 0; s < maxSeed; s = b.NextSeed() {
		// Skip the seeds the graph's random ops use.
	}
	return b, nil
}
