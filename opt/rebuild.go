package opt

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// A rule looks at node n of the old graph, whose operands have already been
// rebuilt as in (nodes of b's graph), and returns n's replacement in b, or
// nil to copy n as it is. m maps the old graph's earlier nodes (by ID) to
// their replacements.
type rule func(b *ops.Builder, n *ops.Node, in, m []*ops.Node) *ops.Node

// rebuild copies g through a fresh Builder: every leaf first, in g's order
// (so inputs keep their order and unused leaves stay), then, in order, the
// nodes the outputs and updates need, each given to r first. Nodes that the
// replacements left unused are dropped at the end, so every rebuilt graph
// is free of dead code.
func rebuild(g *ops.Graph, r rule) (*ops.Graph, error) {
	b, err := rebuildBuilder(g, r)
	if err != nil {
		return nil, err
	}
	return b.G, nil
}

// rebuildBuilder is rebuild returning the Builder of the new graph.
func rebuildBuilder(g *ops.Graph, r rule) (*ops.Builder, error) {
	b := ops.NewBuilder()
	m := make([]*ops.Node, len(g.Nodes))
	for _, n := range g.Nodes {
		if !n.Op.Leaf {
			continue
		}
		nn, err := copyLeaf(b, n)
		if err != nil {
			return nil, err
		}
		m[n.ID] = nn
	}
	needed := g.Needed()
	root := make([]bool, len(g.Nodes)) // outputs and update values
	for _, o := range g.Outputs {
		root[o.Node.ID] = true
	}
	for _, u := range g.Updates {
		root[u.Value.ID] = true
	}
	for _, n := range g.Nodes {
		if n.Op.Leaf || !needed[n.ID] {
			continue
		}
		in := make([]*ops.Node, len(n.In)) // the Builder keeps it as the node's In
		for i, x := range n.In {
			in[i] = m[x.ID]
		}
		b.SetPos(n.Pos)
		var nn *ops.Node
		if r != nil {
			nn = r(b, n, in, m)
		}
		if nn != nil && root[n.ID] && nn.Op.Leaf && nn.Op != ops.Input {
			// A session shows a param or state output as it is after the
			// updates, and an update may not read another's target: a
			// computed output or update value stays computed.
			nn = nil
		}
		if nn == nil {
			nn = b.Must(n.Op, n.Attrs, in...)
		}
		if !nn.Type.Equal(n.Type) {
			return nil, fmt.Errorf("%v (%s) was replaced by %s of type %v", n, n.Op.Name, nn.Op.Name, nn.Type)
		}
		m[n.ID] = nn
	}
	for _, o := range g.Outputs {
		b.Output(o.Name, m[o.Node.ID])
	}
	for _, u := range g.Updates {
		b.Update(m[u.Target.ID], m[u.Value.ID])
	}
	if hasDead(b.G) {
		return rebuildBuilder(b.G, nil)
	}
	return b, nil
}

// copyLeaf declares leaf n in b with its name, type, attributes and position.
func copyLeaf(b *ops.Builder, n *ops.Node) (*ops.Node, error) {
	b.SetPos(n.Pos)
	var nn *ops.Node
	switch n.Op {
	case ops.Input:
		nn = b.Input(n.Name(), n.Type)
	case ops.Param:
		nn = b.Param(n.Name(), n.Type, n.Attrs)
	case ops.State:
		nn = b.State(n.Name(), n.Type, n.Attrs)
	default:
		return nil, fmt.Errorf("cannot copy leaf op %s", n.Op.Name)
	}
	nn.Pos = n.Pos
	return nn, nil
}

// hasDead reports whether some non-leaf node of g is needed by nothing.
func hasDead(g *ops.Graph) bool {
	needed := g.Needed()
	root := make([]bool, len(g.Nodes)) // outputs and update values
	for _, o := range g.Outputs {
		root[o.Node.ID] = true
	}
	for _, u := range g.Updates {
		root[u.Value.ID] = true
	}
	for _, n := range g.Nodes {
		if !n.Op.Leaf && !needed[n.ID] {
			return true
		}
	}
	return false
}

// consumers lists, for every node, the distinct nodes that read it.
func consumers(g *ops.Graph) [][]*ops.Node {
	out := make([][]*ops.Node, len(g.Nodes))
	for _, n := range g.Nodes {
		for i, x := range n.In {
			dup := false
			for _, y := range n.In[:i] {
				dup = dup || y == x
			}
			if !dup {
				out[x.ID] = append(out[x.ID], n)
			}
		}
	}
	return out
}

// constValue reports whether n is a constant that every element of which is
// one value (op const or full), and the value.
func constValue(n *ops.Node) (float64, bool) {
	if n.Op != ops.Const && n.Op != ops.Full {
		return 0, false
	}
	return n.Attrs.Float("value", 0), true
}

// uniform returns a constant of type t whose every element is v: a const for
// a scalar, a full otherwise.
func uniform(b *ops.Builder, t ops.Type, v float64) *ops.Node {
	if t.Shape.Rank() == 0 {
		return b.Scalar(t.DType, v)
	}
	return b.Full(t, v)
}

// DCE drops every node that no output or update needs. Leaves stay, so the
// inputs a session binds do not change.
func DCE(g *ops.Graph) (*ops.Graph, error) { return rebuild(g, nil) }
