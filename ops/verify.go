package ops

import "fmt"

// Verify checks a graph's invariants: node IDs are their positions, every
// operand comes earlier in the graph, every node's type is what its op's rule
// gives for its operands, leaves are named, and outputs and updates refer to
// nodes of the graph, updates to params or states of the same type. Passes run
// it between them; an error is a bug in whatever built the graph.
func Verify(g *Graph) error {
	in := func(n *Node) bool { return n != nil && n.ID >= 0 && n.ID < len(g.Nodes) && g.Nodes[n.ID] == n }
	for i, n := range g.Nodes {
		if n == nil {
			return fmt.Errorf("node %d is nil", i)
		}
		if n.ID != i {
			return fmt.Errorf("node %d has ID %d", i, n.ID)
		}
		if n.Op == nil {
			return fmt.Errorf("%v has no op", n)
		}
		if n.Op.Arity >= 0 && len(n.In) != n.Op.Arity {
			return fmt.Errorf("%v: %s takes %d operands, has %d", n, n.Op.Name, n.Op.Arity, len(n.In))
		}
		for _, x := range n.In {
			if !in(x) || x.ID >= i {
				return fmt.Errorf("%v: operand %v does not come before it in the graph", n, x)
			}
		}
		if n.Op.Leaf {
			if n.Name() == "" {
				return fmt.Errorf("%v: %s without a name", n, n.Op.Name)
			}
			continue
		}
		types := make([]Type, len(n.In))
		for j, x := range n.In {
			types[j] = x.Type
		}
		t, err := n.Op.Infer(types, n.Attrs)
		if err != nil {
			return fmt.Errorf("%v: %v", formatNode(n), err)
		}
		if !t.Equal(n.Type) {
			return fmt.Errorf("%v: the type rule gives %v", formatNode(n), t)
		}
	}
	for _, o := range g.Outputs {
		if !in(o.Node) {
			return fmt.Errorf("output %s is not a node of the graph", o.Name)
		}
	}
	for _, u := range g.Updates {
		if !in(u.Target) || (u.Target.Op != Param && u.Target.Op != State) {
			return fmt.Errorf("update target %v is not a param or state of the graph", u.Target)
		}
		if !in(u.Value) {
			return fmt.Errorf("update of %s: value is not a node of the graph", u.Target.Name())
		}
		if !u.Value.Type.Equal(u.Target.Type) {
			return fmt.Errorf("update of %s: value is %v, target is %v", u.Target.Name(), u.Value.Type, u.Target.Type)
		}
	}
	return nil
}
