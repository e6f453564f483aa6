package autodiff

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// JVP adds to b's graph the Jacobian-vector product of ys with respect to xs
// along tangents (forward mode): for each y, the sum over k of the
// derivative of y along tangents[k] at xs[k]. Each tangent has its x's type
// (a nil tangent is zero); xs are treated as independent variables, so the
// tangent of an x that is not a leaf replaces whatever it would have
// inherited from its own operands. The result has one node per y, of y's
// type (zeros for a y that no x reaches, or an integer y).
//
// The transform walks the nodes between the xs and the ys once, calling
// each op's JVP rule for the nodes that some tangent reaches; rules are
// written with ops, so the result can be differentiated again (JVP of a
// gradient is a Hessian-vector product, see HVP).
func JVP(b *ops.Builder, ys, xs, tangents []*ops.Node) (out []*ops.Node, err error) {
	if len(xs) != len(tangents) {
		return nil, fmt.Errorf("jvp: %d inputs but %d tangents", len(xs), len(tangents))
	}
	if err := checkNodes(b, "jvp", ys); err != nil {
		return nil, err
	}
	if err := checkNodes(b, "jvp", xs); err != nil {
		return nil, err
	}
	if err := checkFloat(xs); err != nil {
		return nil, err
	}
	for k, t := range tangents {
		if t == nil {
			continue
		}
		if err := checkNodes(b, "jvp", []*ops.Node{t}); err != nil {
			return nil, err
		}
		if !t.Type.Equal(xs[k].Type) {
			return nil, fmt.Errorf("jvp: tangent %d is %v but its input %s is %v", k+1, t.Type, label(xs[k]), xs[k].Type)
		}
	}

	// A JVP rule that panics is a broken invariant of the op registry: the
	// panic goes to the caller. A custom gradient's errors are returned.
	oldPos := b.Pos()
	defer b.SetPos(oldPos)

	n := 0
	for _, y := range ys {
		n = max(n, y.ID+1)
	}
	nodes := b.G.Nodes[:n:n]
	seeded := make([]bool, n)
	tan := make([]*ops.Node, n)
	first := n
	for k, x := range xs {
		if x.ID >= n {
			continue
		}
		seeded[x.ID] = true
		first = min(first, x.ID)
		if t := tangents[k]; t != nil && !isZero(t) {
			tan[x.ID] = accumulate(b, tan[x.ID], t)
		}
	}
	// Only the nodes some y depends on are worth a tangent.
	need := make([]bool, n)
	for _, y := range ys {
		need[y.ID] = true
	}
	for i := n - 1; i >= first; i-- {
		if need[i] && !seeded[i] {
			for _, in := range nodes[i].In {
				need[in.ID] = true
			}
		}
	}

	ts := []*ops.Node{}
	for i := first; i < n; i++ {
		v := nodes[i]
		if seeded[i] || !need[i] || len(v.In) == 0 || !v.Type.DType.IsFloat() || v.Op == ops.StopGradient {
			continue
		}
		ts = ts[:0]
		any := false
		for _, in := range v.In {
			t := tan[in.ID]
			if !in.Type.DType.IsFloat() {
				t = nil
			}
			ts = append(ts, t)
			any = any || t != nil
		}
		if !any {
			continue
		}
		if v.Op.JVP == nil {
			if v.Op.NoGrad != "" {
				continue
			}
			return nil, fmt.Errorf("%s: jvp: op %s has no forward-mode rule", v.Pos, v.Op.Name)
		}
		b.SetPos(v.Pos)
		var t *ops.Node
		if v.Op == CustomOp {
			if t, err = customJVP(b, v, append([]*ops.Node(nil), ts...)); err != nil {
				return nil, err
			}
		} else {
			t = v.Op.JVP(b, v, append([]*ops.Node(nil), ts...))
		}
		if t == nil || isZero(t) {
			continue
		}
		if !t.Type.Equal(v.Type) {
			return nil, fmt.Errorf("%s: jvp: JVP of %s gives %v for a result of type %v", v.Pos, v.Op.Name, t.Type, v.Type)
		}
		tan[i] = t
	}
	b.SetPos(oldPos)

	out = make([]*ops.Node, len(ys))
	for k, y := range ys {
		if t := tan[y.ID]; t != nil && y.Type.DType.IsFloat() {
			out[k] = t
		} else {
			out[k] = b.Full(y.Type, 0)
		}
	}
	return out, nil
}

// customJVP is forward mode through a custom_vjp node n given its
// operands' tangents t: the rule's JVP when it has one, checked against n's
// type (a failure is the user's error, with the call site's position), else
// the primal output's tangent.
func customJVP(b *ops.Builder, n *ops.Node, t []*ops.Node) (*ops.Node, error) {
	k := len(n.In) - 1
	name := n.Attrs.Str("rule", "")
	rule, _ := lookupCustom(name)
	if rule.JVP == nil {
		return ops.Tangent(b, t[k], n), nil
	}
	out, err := rule.JVP(b, n.In[:k], n.In[k], t[:k])
	if err == nil && (out == nil || !out.Type.Equal(n.Type)) {
		err = fmt.Errorf("its JVP does not give a tangent of type %v", n.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: custom gradient %s: %v", n.Pos, name, err)
	}
	return out, nil
}

// HVP adds to b's graph the Hessian-vector product of the float scalar y:
// for each x, the sum over k of ∂²y/∂x∂xs[k] · vs[k]. It is forward mode over
// reverse mode: the JVP, along vs, of the gradient of y. Each v has its x's
// type (nil is zero).
func HVP(b *ops.Builder, y *ops.Node, xs, vs []*ops.Node) ([]*ops.Node, error) {
	if len(xs) != len(vs) {
		return nil, fmt.Errorf("hvp: %d inputs but %d vectors", len(xs), len(vs))
	}
	gs, err := Grad(b, y, xs)
	if err != nil {
		return nil, err
	}
	return JVP(b, gs, xs, vs)
}
