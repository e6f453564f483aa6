package ops

import "sort"

// Derivatives through a decomposition. A fused op whose value equals a
// small graph of other ops (its decomposition, built from the op's operands)
// may take its derivatives from the decomposition's: decompVJP and
// decompJVP run reverse and forward mode over that graph with the member
// ops' own rules, so the results are ops that differentiate again. They are
// for rules that are not on the hot path (JVPs, second derivatives); the
// fast first-order VJP of a fused op is another fused op.

// decompNodes lists the nodes of the graph ending at out that depend on one
// of ins (ins themselves left out), in topological order (ascending IDs).
func decompNodes(ins []*Node, out *Node) []*Node {
	dep := map[*Node]bool{}
	for _, x := range ins {
		dep[x] = true
	}
	var list []*Node
	var visit func(n *Node) bool
	visit = func(n *Node) bool {
		if d, ok := dep[n]; ok {
			return d
		}
		d := false
		for _, x := range n.In {
			if visit(x) {
				d = true
			}
		}
		dep[n] = d
		if d {
			list = append(list, n)
		}
		return d
	}
	visit(out)
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// decompVJP is the gradient with respect to each of ins of <g, out>, where
// out is a graph built from ins; nil for an operand out does not depend on.
func decompVJP(b *Builder, ins []*Node, out, g *Node) []*Node {
	list := decompNodes(ins, out)
	on := map[*Node]bool{}
	for _, n := range list {
		on[n] = true
	}
	for _, x := range ins {
		on[x] = true
	}
	grads := map[*Node]*Node{out: g}
	for i := len(list) - 1; i >= 0; i-- {
		n := list[i]
		gn := grads[n]
		if gn == nil {
			continue
		}
		for k, d := range n.Op.VJP(b, n, gn) {
			x := n.In[k]
			if d == nil || !on[x] {
				continue
			}
			if s := grads[x]; s != nil {
				d = b.Add(s, d)
			}
			grads[x] = d
		}
	}
	res := make([]*Node, len(ins))
	for i, x := range ins {
		res[i] = grads[x]
	}
	return res
}

// decompJVP is the tangent of out, a graph built from ins, for the tangents
// t of ins (nil: none).
func decompJVP(b *Builder, ins []*Node, out *Node, t []*Node) *Node {
	tan := map[*Node]*Node{}
	for i, x := range ins {
		if t[i] != nil {
			tan[x] = t[i]
		}
	}
	for _, n := range decompNodes(ins, out) {
		ts := make([]*Node, len(n.In))
		any := false
		for k, x := range n.In {
			ts[k] = tan[x]
			any = any || ts[k] != nil
		}
		if any {
			tan[n] = n.Op.JVP(b, n, ts)
		}
	}
	return Tangent(b, tan[out], out)
}
