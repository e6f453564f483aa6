// Package autodiff differentiates nnc graphs symbolically. Reverse mode is a
// graph-to-graph transform: Grad adds the gradient nodes to the same builder,
// built from each op's VJP rule. Since VJP rules are themselves written with
// ops, a graph that already holds gradients can be differentiated again
// (second and higher order).
package autodiff

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// StopGradient is the name of the op through which no gradient flows; when it
// is registered, Grad passes nothing to its operand.
const StopGradient = "stop_gradient"

// Grad adds to b's graph the gradient of y with respect to each node of xs
// and returns the gradient nodes, one per x, each of x's type.
//
// y must be a float scalar. Each x must have a float type; it may be a leaf
// (input, param, state) or any node of the graph. Only the nodes that lie on
// a path from some x to y are differentiated; an x on no such path gets zeros.
// Contributions to a node used several times are summed with "add".
// Positions of the new nodes are those of the forward nodes they come from.
func Grad(b *ops.Builder, y *ops.Node, xs []*ops.Node) (grads []*ops.Node, err error) {
	if y == nil {
		return nil, fmt.Errorf("grad: no value to differentiate")
	}
	if !y.Type.DType.IsFloat() || len(y.Type.Shape) != 0 {
		return nil, fmt.Errorf("grad: can only differentiate a float scalar, got %v", y.Type)
	}
	g := b.G
	if y.ID >= len(g.Nodes) || g.Nodes[y.ID] != y {
		return nil, fmt.Errorf("grad: %v is not a node of this graph", y)
	}
	for _, x := range xs {
		if x == nil || x.ID >= len(g.Nodes) || g.Nodes[x.ID] != x {
			return nil, fmt.Errorf("grad: %v is not a node of this graph", x)
		}
		if !x.Type.DType.IsFloat() {
			kind := "integer"
			if x.Type.DType == ops.Bool {
				kind = "bool"
			}
			return nil, fmt.Errorf("cannot differentiate with respect to %s %s: %v", kind, label(x), x.Type)
		}
	}

	// A VJP rule that fails is a broken invariant of the op registry (its
	// operands are right by construction); report it as an error naming the
	// op rather than crash the caller.
	oldPos := b.Pos()
	defer func() {
		b.SetPos(oldPos)
		if r := recover(); r != nil {
			grads, err = nil, fmt.Errorf("grad: internal error: %v", r)
		}
	}()

	// Nodes past y cannot influence it: only the first y.ID+1 nodes matter,
	// and the new gradient nodes appended below are never visited.
	n := y.ID + 1
	nodes := g.Nodes[:n:n]

	// dep[i]: node i depends on some x (or is one).
	dep := make([]bool, n)
	for _, x := range xs {
		if x.ID < n {
			dep[x.ID] = true
		}
	}
	for _, v := range nodes {
		if dep[v.ID] {
			continue
		}
		for _, in := range v.In {
			if dep[in.ID] {
				dep[v.ID] = true
				break
			}
		}
	}
	// live[i]: node i lies on a path from some x to y.
	live := make([]bool, n)
	live[y.ID] = dep[y.ID]
	for i := n - 1; i >= 0; i-- {
		if !live[i] {
			continue
		}
		for _, in := range nodes[i].In {
			if dep[in.ID] {
				live[in.ID] = true
			}
		}
	}

	ct := make([]*ops.Node, n) // cotangents, summed
	if live[y.ID] {
		ct[y.ID] = b.Scalar(y.Type.DType, 1)
	}
	for i := n - 1; i >= 0; i-- {
		v, gv := nodes[i], ct[i]
		if gv == nil || !live[i] || len(v.In) == 0 || v.Op.Name == StopGradient {
			continue
		}
		// Does any operand want a gradient?
		want := false
		for _, in := range v.In {
			if live[in.ID] && in.Type.DType.IsFloat() {
				want = true
			}
		}
		if !want {
			continue
		}
		if v.Op.VJP == nil {
			if v.Op.NoGrad != "" {
				continue // no gradient by definition (a random draw, an integer result)
			}
			return nil, fmt.Errorf("%s: grad: op %s has no gradient rule", v.Pos, v.Op.Name)
		}
		b.SetPos(v.Pos)
		contrib := v.Op.VJP(b, v, gv)
		if len(contrib) != len(v.In) {
			return nil, fmt.Errorf("%s: grad: VJP of %s returned %d gradients for %d operands", v.Pos, v.Op.Name, len(contrib), len(v.In))
		}
		for k, in := range v.In {
			c := contrib[k]
			if c == nil || !live[in.ID] || !in.Type.DType.IsFloat() {
				continue
			}
			if !c.Type.Equal(in.Type) {
				return nil, fmt.Errorf("%s: grad: VJP of %s gives %v for operand %d of type %v", v.Pos, v.Op.Name, c.Type, k+1, in.Type)
			}
			if old := ct[in.ID]; old != nil {
				c = b.Must("add", nil, old, c)
			}
			ct[in.ID] = c
		}
	}
	b.SetPos(oldPos)

	grads = make([]*ops.Node, len(xs))
	for i, x := range xs {
		if x.ID < n && ct[x.ID] != nil {
			grads[i] = ct[x.ID]
		} else {
			grads[i] = b.Full(x.Type, 0)
		}
	}
	return grads, nil
}

// label names a node in messages: its "name" attribute, or %id.
func label(n *ops.Node) string {
	if s := n.Name(); s != "" {
		return s
	}
	return n.String()
}
