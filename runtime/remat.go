package runtime

import (
	"fmt"
	"sort"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Rematerialization: recomputing forward values in the backward part of a
// training step instead of keeping them alive in between.
//
// A step graph is a forward part (the nodes before Split: the loss and what
// it needs) followed by a backward part (gradients and updates) that reads
// some forward values again: the saved values. Each saved value is either
// kept (its buffer stays live from the forward pass to its last backward
// reader, as in the plain graph) or dropped: the backward part then reads a
// copy of it recomputed from kept values and leaves, placed just before its
// first backward reader, so its buffer lives only across the backward
// readers. Recomputation runs the same kernels on the same operands (random
// draws keep their seed), so results are bitwise those of the plain graph.
//
// The planner keeps every s-th saved value in forward order (checkpoints,
// at each offset in a segment of s for short strides) and drops the others,
// trying growing strides s (more recomputation, less memory down to the
// optimum near √n checkpoints) until the plan's PeakBytes, measured with the
// runtime's own buffer assignment, fits the budget.

// RematOptions say how Remat chooses what to recompute.
type RematOptions struct {
	// Budget is the peak memory to fit, in bytes of the plan's arenas
	// (Plan.PeakBytes). Zero asks for the smallest peak the planner finds.
	Budget int64
	// Split is the number of leading nodes of the graph that form the
	// forward part (for a step built by autodiff.Grad on loss y: y.ID+1).
	Split int
}

// RematReport describes Remat's choice.
type RematReport struct {
	// Before and After are the plan's PeakBytes without and with
	// rematerialization.
	Before, After int64
	// Saved is the number of forward values the backward part reads;
	// Kept of them stay live, the others are recomputed.
	Saved, Kept int
	// Recomputed is the number of nodes the backward part computes again.
	Recomputed int
	// Stride is the checkpoint stride chosen (1: nothing is recomputed).
	Stride int
	// Fits reports whether After is within the budget.
	Fits bool
}

// String prints the report on one line.
func (r RematReport) String() string {
	return fmt.Sprintf("remat: peak %s -> %s (stride %d: %d of %d saved values kept, %d nodes recomputed)",
		FormatBytes(r.Before), FormatBytes(r.After), r.Stride, r.Kept, r.Saved, r.Recomputed)
}

// Remat returns a graph that computes the same outputs and updates as g,
// bitwise, with the forward values chosen by the planner recomputed in the
// backward part, and a report of the choice. env gives the shape variables'
// values the memory is measured for (the training batch). When no stride
// fits the budget, the graph with the smallest peak is returned with
// Fits false. g is not modified; the result's leaves are g's, in order.
func Remat(g *ops.Graph, env map[string]int64, o RematOptions) (*ops.Graph, RematReport, error) {
	if o.Split <= 0 || o.Split > len(g.Nodes) {
		return nil, RematReport{}, fmt.Errorf("remat: the forward part must be the first 1..%d nodes, got %d", len(g.Nodes), o.Split)
	}
	before, err := peakBytes(g, env)
	if err != nil {
		return nil, RematReport{}, err
	}
	saved := savedValues(g, o.Split)
	best := RematReport{Before: before, After: before, Saved: len(saved), Kept: len(saved), Stride: 1}
	bestG := g
	if o.Budget > 0 && before <= o.Budget {
		best.Fits = true
		return g, best, nil
	}
search:
	for _, s := range strides(len(saved)) {
		for off := range s {
			if s > 8 && off < s-1 {
				continue // long strides: only the last value of each segment
			}
			keep := make([]bool, len(g.Nodes))
			kept := 0
			for j, v := range saved {
				if j%s == off {
					keep[v.ID] = true
					kept++
				}
			}
			rg, recomputed, err := rematerialize(g, o.Split, keep)
			if err != nil {
				return nil, RematReport{}, err
			}
			peak, err := peakBytes(rg, env)
			if err != nil {
				return nil, RematReport{}, err
			}
			if peak < best.After {
				best = RematReport{Before: before, After: peak, Saved: len(saved), Kept: kept, Recomputed: recomputed, Stride: s}
				bestG = rg
			}
			if o.Budget > 0 && peak <= o.Budget {
				break search
			}
		}
	}
	best.Fits = o.Budget <= 0 || best.After <= o.Budget
	return bestG, best, nil
}

// strides lists the checkpoint strides to try for n saved values, from 2
// to n+1 (keep nothing), densely at first and then geometrically.
func strides(n int) []int {
	var out []int
	for s := 2; s <= n+1; {
		out = append(out, s)
		if s < 8 {
			s++
		} else {
			s += s / 4
		}
	}
	if len(out) > 0 && out[len(out)-1] != n+1 {
		out = append(out, n+1)
	}
	return out
}

// savedValues lists, in forward order, the computed forward nodes that some
// backward node reads, except scalars (never worth recomputing).
func savedValues(g *ops.Graph, split int) []*ops.Node {
	read := make([]bool, split)
	for _, n := range g.Nodes[split:] {
		for _, x := range n.In {
			if x.ID < split {
				read[x.ID] = true
			}
		}
	}
	var out []*ops.Node
	for _, n := range g.Nodes[:split] {
		if read[n.ID] && !n.Op.Leaf && len(n.Type.Shape) > 0 {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// rematerialize rebuilds g so that the backward part (nodes from split on)
// reads, instead of each forward node that is neither kept, a leaf nor a
// scalar, a recomputed copy built just before its first backward reader. It
// returns the new graph and the number of recomputed nodes.
func rematerialize(g *ops.Graph, split int, keep []bool) (*ops.Graph, int, error) {
	b := ops.NewBuilder()
	m := make([]*ops.Node, len(g.Nodes))     // old ID -> new node
	clone := make([]*ops.Node, len(g.Nodes)) // old ID -> recomputed copy
	recomputed := 0
	var copyOf func(v *ops.Node) (*ops.Node, error)
	copyOf = func(v *ops.Node) (*ops.Node, error) {
		if v.Op.Leaf || keep[v.ID] || len(v.Type.Shape) == 0 {
			return m[v.ID], nil
		}
		if c := clone[v.ID]; c != nil {
			return c, nil
		}
		in := make([]*ops.Node, len(v.In))
		for k, x := range v.In {
			c, err := copyOf(x)
			if err != nil {
				return nil, err
			}
			in[k] = c
		}
		old := b.SetPos(v.Pos)
		// The attribute keeps hash-consing from merging the copy with the
		// original; kernels ignore it.
		c, err := b.Apply(v.Op, v.Attrs.With("remat", 1), in...)
		b.SetPos(old)
		if err != nil {
			return nil, fmt.Errorf("remat: recomputing %s: %v", v.Op.Name, err)
		}
		clone[v.ID] = c
		recomputed++
		return c, nil
	}
	for _, v := range g.Nodes {
		b.SetPos(v.Pos)
		switch v.Op {
		case ops.Input:
			m[v.ID] = b.Input(v.Name(), v.Type)
			continue
		case ops.Param:
			m[v.ID] = b.Param(v.Name(), v.Type, v.Attrs)
			continue
		case ops.State:
			m[v.ID] = b.State(v.Name(), v.Type, v.Attrs)
			continue
		}
		in := make([]*ops.Node, len(v.In))
		for k, x := range v.In {
			if v.ID >= split && x.ID < split {
				c, err := copyOf(x)
				if err != nil {
					return nil, 0, err
				}
				in[k] = c
			} else {
				in[k] = m[x.ID]
			}
		}
		n, err := b.Apply(v.Op, v.Attrs, in...)
		if err != nil {
			return nil, 0, fmt.Errorf("remat: copying %s: %v", v.Op.Name, err)
		}
		m[v.ID] = n
	}
	for _, o := range g.Outputs {
		b.Output(o.Name, m[o.Node.ID])
	}
	for _, u := range g.Updates {
		b.Update(m[u.Target.ID], m[u.Value.ID])
	}
	return b.G, recomputed, nil
}

// peakBytes is the PeakBytes of g's plan for env: the schedule and buffer
// assignment of NewPlan, without preparing kernels.
func peakBytes(g *ops.Graph, env map[string]int64) (int64, error) {
	p := &Plan{Graph: g, env: env}
	p.shapes = make([][]int, len(g.Nodes))
	p.values = make([]*tensor.Tensor, len(g.Nodes))
	for _, u := range g.Updates {
		p.updates = append(p.updates, planUpdate{u.Target.ID, u.Value.ID})
	}
	needed := g.Needed()
	var sched []*ops.Node
	for _, n := range g.Nodes {
		if !needed[n.ID] || n.Op.Leaf {
			continue
		}
		s, err := n.Type.Shape.Eval(env)
		if err != nil {
			return 0, fmt.Errorf("%s%s: %v", posPrefix(n), n.Op.Name, err)
		}
		p.shapes[n.ID] = s
		sched = append(sched, n)
	}
	if err := p.assignBuffers(sched); err != nil {
		return 0, err
	}
	return p.peak, nil
}
