package ops

import (
	"fmt"
	"sort"
	"sync/atomic"
)

// A front end builds a loop's body by running its step once on the graph
// being built, with placeholders (LoopArg) for the step's operands, and
// then cuts out what depends on them (ExtractBody): the rest of what the
// step read (weights, values computed before the loop) becomes the loop's
// captures, computed once outside it. The placeholders and the step's nodes
// stay behind in the graph, read by nothing.

// LoopArg is the op "loop_arg".
var LoopArg *Op

// loopArgs numbers placeholders, so that two are never hash-consed into one.
var loopArgs atomic.Int64

// NewLoopArg adds a placeholder of type t for one operand of a body being
// built.
func (b *Builder) NewLoopArg(t Type) *Node {
	return b.Must(LoopArg, Attrs{"type": t, "id": int(loopArgs.Add(1))})
}

// ExtractBody makes a body of the nodes of b's graph from ID from on that
// depend on args (placeholders made by NewLoopArg after from) or on nodes
// made from no operands (constants, random draws), with outs
// (the new carries, then the y's) as its outputs. It returns the body and
// its captures: the nodes outside it that it reads, in graph order, which
// become its last operands after args.
func (b *Builder) ExtractBody(from int, args, outs []*Node, carries, seqs int) (*Body, []*Node, error) {
	nodes := b.G.Nodes
	dep := make([]bool, len(nodes)-from)
	isDep := func(n *Node) bool { return n.ID >= from && dep[n.ID-from] }
	for _, a := range args {
		if a.Op != LoopArg || a.ID < from {
			return nil, nil, fmt.Errorf("loop body: %s is not a placeholder of this body", a)
		}
		dep[a.ID-from] = true
	}
	for _, n := range nodes[from:] {
		// A node the step made from nothing (a constant, a random draw)
		// belongs to the body: a draw must draw afresh at every step.
		dep[n.ID-from] = dep[n.ID-from] || len(n.In) == 0 && !n.Op.Leaf
		for _, x := range n.In {
			if isDep(x) {
				dep[n.ID-from] = true
				break
			}
		}
	}
	// The body's nodes: those the outputs reach through dependent nodes.
	inBody := map[*Node]bool{}
	captured := map[*Node]bool{}
	var walk func(n *Node)
	walk = func(n *Node) {
		if inBody[n] || captured[n] {
			return
		}
		if !isDep(n) {
			captured[n] = true
			return
		}
		inBody[n] = true
		for _, x := range n.In {
			walk(x)
		}
	}
	for _, o := range outs {
		walk(o)
	}
	caps := make([]*Node, 0, len(captured))
	for n := range captured {
		caps = append(caps, n)
	}
	sort.Slice(caps, func(i, j int) bool { return caps[i].ID < caps[j].ID })

	bb := newBodyBuilder(b.pos)
	m := map[*Node]*Node{}
	for _, a := range args {
		m[a] = bb.args(a.Type)[0]
	}
	for _, c := range caps {
		m[c] = bb.captures(c.Type)[0]
	}
	for _, n := range nodes[from:] {
		if !inBody[n] || n.Op == LoopArg {
			continue
		}
		in := make([]*Node, len(n.In))
		for i, x := range n.In {
			in[i] = m[x]
		}
		bb.b.SetPos(n.Pos)
		c, err := bb.b.Apply(n.Op, n.Attrs, in...)
		if err != nil {
			return nil, nil, fmt.Errorf("loop body: %v", err)
		}
		m[n] = c
	}
	for k, o := range outs {
		bb.b.Output(fmt.Sprintf("o%d", k), m[o])
	}
	body, err := NewBody(bb.b.G, bb.ins, carries, seqs)
	if err != nil {
		return nil, nil, err
	}
	return body, caps, nil
}

// Leftovers marks, by node ID, the placeholders that building loop bodies
// left in g and the nodes that read them: nothing a plan runs, which the
// reference interpreter skips and the printers leave out.
func Leftovers(g *Graph) []bool {
	dead := make([]bool, len(g.Nodes))
	for _, n := range g.Nodes {
		dead[n.ID] = n.Op == LoopArg
		for _, x := range n.In {
			dead[n.ID] = dead[n.ID] || dead[x.ID]
		}
	}
	return dead
}

func init() {
	Register(&LoopArg, &Op{
		Name:   "loop_arg",
		Arity:  0,
		Doc:    "loop_arg(): an operand of a loop body while a front end builds it (never run)",
		NoGrad: "a placeholder that ExtractBody replaces; it is never differentiated or run",
		Flops:  NoFlops,
		Infer: func(in []Type, a Attrs) (Type, error) {
			t, ok := a["type"].(Type)
			if !ok {
				return Type{}, &InferError{"loop_arg", "needs a type attribute"}
			}
			return t, nil
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return nil, fmt.Errorf("%v: loop_arg: a loop body's placeholder outside its loop", n.Pos)
		},
	})
}
