// Package autodiff differentiates nnc graphs symbolically. Both modes are
// graph-to-graph transforms that add nodes to the same builder:
//
//   - reverse mode (Grad, VJP) propagates cotangents from outputs to inputs
//     with each op's VJP rule;
//   - forward mode (JVP) propagates tangents from inputs to outputs with each
//     op's JVP rule;
//   - HVP composes them (forward over reverse).
//
// Since every rule is itself written with ops, the result can be
// differentiated again, in either mode, to any order. Custom gradients
// (Custom, RegisterCustom) replace the VJP of one call site by a
// user-supplied rule.
//
// The transforms build only what is needed: no node for an operand that no
// requested input reaches, nor for integer operands; no addition of a zero
// contribution; and the builder's hash-consing shares equal subexpressions.
// Reverse mode keeps loops unrolled into the graph linear: the gradients of
// disjoint slices of one tensor (a scan's steps, split's parts) are joined
// by one concat instead of summed at full size (slots.go), and the
// contributions of a weight used at every step, Σ_t x_tᵀ g_t, become one
// product over all steps (batch.go).
package autodiff

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// Grad adds to b's graph the gradient of y with respect to each node of xs
// and returns the gradient nodes, one per x, each of x's type.
//
// y must be a float scalar. Each x must have a float type; it may be a leaf
// (input, param, state) or any node of the graph. Only the nodes that lie on
// a path from some x to y are differentiated; an x on no such path gets zeros.
// Contributions to a node used several times are summed with "add", or
// joined by the rewrites of slots.go and batch.go, which give the same sum.
// Positions of the new nodes are those of the forward nodes they come from.
func Grad(b *ops.Builder, y *ops.Node, xs []*ops.Node) ([]*ops.Node, error) {
	if y == nil {
		return nil, fmt.Errorf("grad: no value to differentiate")
	}
	if !y.Type.DType.IsFloat() || len(y.Type.Shape) != 0 {
		return nil, fmt.Errorf("grad: can only differentiate a float scalar, got %v", y.Type)
	}
	if err := checkNodes(b, "grad", []*ops.Node{y}); err != nil {
		return nil, err
	}
	return reverse(b, "grad", []*ops.Node{y}, []*ops.Node{b.Scalar(y.Type.DType, 1)}, xs)
}

// VJP adds to b's graph the vector-Jacobian product of ys with respect to
// xs: for each x, the sum over k of cotangents[k] pulled back through ys[k].
// Each cotangent has its y's type (a nil cotangent is zero). The result has
// one node per x, of x's type; xs must be float.
func VJP(b *ops.Builder, ys, xs, cotangents []*ops.Node) ([]*ops.Node, error) {
	if len(ys) != len(cotangents) {
		return nil, fmt.Errorf("vjp: %d outputs but %d cotangents", len(ys), len(cotangents))
	}
	if err := checkNodes(b, "vjp", ys); err != nil {
		return nil, err
	}
	for k, y := range ys {
		c := cotangents[k]
		if c == nil {
			continue
		}
		if err := checkNodes(b, "vjp", []*ops.Node{c}); err != nil {
			return nil, err
		}
		if !c.Type.Equal(y.Type) {
			return nil, fmt.Errorf("vjp: cotangent %d is %v but its output is %v", k+1, c.Type, y.Type)
		}
		if !y.Type.DType.IsFloat() {
			return nil, fmt.Errorf("vjp: output %d is %v, not a float tensor", k+1, y.Type)
		}
	}
	return reverse(b, "vjp", ys, cotangents, xs)
}

// checkNodes reports nodes that are nil or not in b's graph.
func checkNodes(b *ops.Builder, what string, ns []*ops.Node) error {
	g := b.G
	for _, x := range ns {
		if x == nil || x.ID >= len(g.Nodes) || g.Nodes[x.ID] != x {
			return fmt.Errorf("%s: %v is not a node of this graph", what, x)
		}
	}
	return nil
}

// checkFloat reports an x that cannot be differentiated against.
func checkFloat(xs []*ops.Node) error {
	for _, x := range xs {
		if !x.Type.DType.IsFloat() {
			kind := "integer"
			if x.Type.DType == ops.Bool {
				kind = "bool"
			}
			return fmt.Errorf("cannot differentiate with respect to %s %s: %v", kind, label(x), x.Type)
		}
	}
	return nil
}

// reverse is reverse mode from seeds cts at ys (nil seeds are zero).
func reverse(b *ops.Builder, what string, ys, cts, xs []*ops.Node) (grads []*ops.Node, err error) {
	if err := checkNodes(b, what, xs); err != nil {
		return nil, err
	}
	if err := checkFloat(xs); err != nil {
		return nil, err
	}
	g := b.G

	// A VJP rule that panics is a broken invariant of the op registry (its
	// operands are right by construction): the panic goes to the caller.
	// A custom gradient's rule is the user's, and its errors are returned.
	oldPos := b.Pos()
	defer b.SetPos(oldPos)

	// Nodes past the last y cannot influence the ys: only the first n nodes
	// matter, and the new gradient nodes appended below are never visited.
	n := 0
	for _, y := range ys {
		n = max(n, y.ID+1)
	}
	nodes := g.Nodes[:n:n]
	dep := dependsOn(nodes, xs)
	// live[i]: node i lies on a path from some x to some seeded y.
	live := make([]bool, n)
	ct := make([]*ops.Node, n) // cotangents, summed
	for k, y := range ys {
		if cts[k] == nil || isZero(cts[k]) || !dep[y.ID] {
			continue
		}
		live[y.ID] = true
		ct[y.ID] = accumulate(b, ct[y.ID], cts[k])
	}
	for i := n - 1; i >= 0; i-- {
		if !live[i] {
			continue
		}
		for _, in := range nodes[i].In {
			if dep[in.ID] && nodes[i].Op != ops.StopGradient {
				live[in.ID] = true
			}
		}
	}

	// Slot writes and batchable sums held back per node (slots.go,
	// batch.go), joined into ct[i] before node i's cotangent is read: all
	// its consumers come after it.
	h := newHeld()
	for i := n - 1; i >= 0; i-- {
		ct[i] = h.join(b, nodes[i], ct[i])
		v, gv := nodes[i], ct[i]
		if gv == nil || !live[i] || len(v.In) == 0 || v.Op == ops.StopGradient {
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
			return nil, fmt.Errorf("%s: %s: op %s has no gradient rule", v.Pos, what, v.Op.Name)
		}
		b.SetPos(v.Pos)
		var contrib []*ops.Node
		if v.Op == CustomOp {
			if contrib, err = customVJP(b, v, gv); err != nil {
				return nil, err
			}
		} else {
			contrib = v.Op.VJP(b, v, gv)
		}
		if len(contrib) != len(v.In) {
			return nil, fmt.Errorf("%s: %s: VJP of %s returned %d gradients for %d operands", v.Pos, what, v.Op.Name, len(contrib), len(v.In))
		}
		for k, in := range v.In {
			c := contrib[k]
			if c == nil || !live[in.ID] || !in.Type.DType.IsFloat() || isZero(c) {
				continue
			}
			if !c.Type.Equal(in.Type) {
				return nil, fmt.Errorf("%s: %s: VJP of %s gives %v for operand %d of type %v", v.Pos, what, v.Op.Name, c.Type, k+1, in.Type)
			}
			if !h.hold(in, c) {
				ct[in.ID] = accumulate(b, ct[in.ID], c)
			}
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

// dependsOn marks the nodes that depend on some x (or are one).
func dependsOn(nodes []*ops.Node, xs []*ops.Node) []bool {
	dep := make([]bool, len(nodes))
	for _, x := range xs {
		if x.ID < len(nodes) {
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
	return dep
}

// accumulate adds c to the running sum old (nil when empty).
func accumulate(b *ops.Builder, old, c *ops.Node) *ops.Node {
	if old == nil {
		return c
	}
	return b.Must(ops.Add, nil, old, c)
}

// isZero reports whether n is a constant zero (op const or full of value 0):
// a contribution that adds nothing.
func isZero(n *ops.Node) bool {
	if n.Op == ops.Const || n.Op == ops.Full {
		return n.Attrs.Float("value", 1) == 0
	}
	return false
}

// label names a node in messages: its "name" attribute, or %id.
func label(n *ops.Node) string {
	if s := n.Name(); s != "" {
		return s
	}
	return n.String()
}

// customVJP is reverse mode through a custom_vjp node n: its rule's
// gradients for the primal inputs (none for the primal output), checked
// against their types. The rule is the user's, so its failures are errors,
// given with the call site's position.
func customVJP(b *ops.Builder, n, g *ops.Node) ([]*ops.Node, error) {
	k := len(n.In) - 1
	name := n.Attrs.Str("rule", "")
	rule, ok := lookupCustom(name)
	if !ok {
		return nil, fmt.Errorf("%s: custom gradient %q is not registered", n.Pos, name)
	}
	gs, err := rule.VJP(b, n.In[:k], n.In[k], g)
	if err == nil && len(gs) != k {
		err = fmt.Errorf("gives %d gradients for %d inputs", len(gs), k)
	}
	if err == nil {
		for i, gi := range gs {
			if gi != nil && !gi.Type.Equal(n.In[i].Type) {
				err = fmt.Errorf("gives %v for input %d of type %v", gi.Type, i+1, n.In[i].Type)
				break
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: custom gradient %s: %v", n.Pos, name, err)
	}
	return append(gs[:k:k], nil), nil
}
