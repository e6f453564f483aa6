package lang

import (
	"fmt"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
)

// jvp, vjp and hvp: products with the Jacobian and the Hessian, built as
// graph nodes so that they nest (grad of a jvp, hvp of a custom gradient).
//
//	jvp(y, x, t)  the directional derivative of y along t: J·t, y's type
//	vjp(y, x, v)  vᵀJ: x's type (v has y's type)
//	hvp(y, x, v)  the Hessian of the float scalar y times v: x's type
//
// x is a tensor or a tuple of tensors (vjp also takes params, as grad
// does); t and v for x have x's structure and types; the result has x's
// structure for vjp and hvp.

// wrt reads argument k as the tensors to differentiate with respect to:
// the nodes, their labels, and whether it was a tuple (or params).
func (c *builtinCall) wrt(k int, allowParams bool) (xs []*ops.Node, labels []string, tuple, ok bool) {
	switch x := c.args[k].(type) {
	case tensorV:
		xs, labels = []*ops.Node{x.n}, []string{c.label(k)}
	case paramsV:
		if !allowParams {
			c.errorf(c.argPos(k), CodeGrad, "%s: with respect to params, pass a tuple of the parameters with a tuple of vectors", c.name)
			return nil, nil, false, false
		}
		tuple = true
		xs = x.inst.allLeaves(false)
		for _, n := range xs {
			labels = append(labels, n.Name())
		}
	case tupleV:
		tuple = true
		for j, it := range x {
			t, isT := it.(tensorV)
			if !isT {
				c.errorf(c.argPos(k), CodeGrad, "%s: element %d of %s is %s, not a tensor", c.name, j, c.label(k), kindOf(it))
				return nil, nil, false, false
			}
			xs = append(xs, t.n)
			lbl := fmt.Sprintf("element %d of %s", j, c.label(k))
			if tl, isLit := c.e.Args[k].(*tupleLit); isLit && j < len(tl.Elems) {
				lbl = exprLabel(tl.Elems[j])
			}
			labels = append(labels, lbl)
		}
	default:
		c.errorf(c.argPos(k), CodeGrad, "%s: cannot differentiate with respect to %s", c.name, kindOf(c.args[k]))
		return nil, nil, false, false
	}
	for j, x := range xs {
		if !x.Type.DType.IsFloat() {
			c.errorf(c.argPos(k), CodeGrad, "%s: cannot differentiate with respect to %s of type %v", c.name, labels[j], x.Type)
			return nil, nil, false, false
		}
	}
	return xs, labels, tuple, true
}

// vectors reads argument k as one vector per x, each of its x's type.
func (c *builtinCall) vectors(k int, xs []*ops.Node, labels []string, tuple bool) ([]*ops.Node, bool) {
	var vals []value
	if tuple {
		t, isT := c.args[k].(tupleV)
		if !isT || len(t) != len(xs) {
			c.errorf(c.argPos(k), CodeGrad, "%s: %s must be a tuple of %d tensors, one per input, got %s", c.name, c.label(k), len(xs), kindOf(c.args[k]))
			return nil, false
		}
		vals = t
	} else {
		vals = []value{c.args[k]}
	}
	out := make([]*ops.Node, len(xs))
	for j, v := range vals {
		t, isT := v.(tensorV)
		if !isT || !t.n.Type.Equal(xs[j].Type) {
			c.errorf(c.argPos(k), CodeGrad, "%s: the vector for %s is %s; it must have its type %v", c.name, labels[j], describeValue(v), xs[j].Type)
			return nil, false
		}
		out[j] = t.n
	}
	return out, true
}

// diffResult packs results in x's structure.
func diffResult(gs []*ops.Node, tuple bool) value {
	if !tuple {
		return tensorV{gs[0]}
	}
	out := make(tupleV, len(gs))
	for k, g := range gs {
		out[k] = tensorV{g}
	}
	return out
}

// products evaluates jvp, vjp and hvp.
func (c *builtinCall) products() value {
	if !c.check(3, 3) {
		return bad
	}
	y, ok := c.tensor(0)
	if !ok {
		return bad
	}
	if !y.Type.DType.IsFloat() {
		return c.errorf(c.argPos(0), CodeGrad, "%s: %s is %v; only float values are differentiated", c.name, c.label(0), y.Type)
	}
	if c.name == "hvp" && len(y.Type.Shape) != 0 {
		return c.errorf(c.argPos(0), CodeGrad, "hvp: %s is %v; hvp differentiates a float scalar", c.label(0), y.Type)
	}
	xs, labels, tuple, ok := c.wrt(1, c.name == "vjp")
	if !ok {
		return bad
	}
	old := c.i.b.SetPos(c.e.Pos)
	defer c.i.b.SetPos(old)
	if !c.i.spend(c.e.Pos, len(c.i.b.G.Nodes)) {
		return bad
	}
	var gs []*ops.Node
	var err error
	switch c.name {
	case "jvp":
		ts, ok := c.vectors(2, xs, labels, tuple)
		if !ok {
			return bad
		}
		gs, err = autodiff.JVP(c.i.b, []*ops.Node{y}, xs, ts)
		tuple = false
	case "vjp":
		v, isT := c.args[2].(tensorV)
		if !isT || !v.n.Type.Equal(y.Type) {
			return c.errorf(c.argPos(2), CodeGrad, "vjp: the cotangent %s is %s; it must have %s's type %v", c.label(2), describeValue(c.args[2]), c.label(0), y.Type)
		}
		gs, err = autodiff.VJP(c.i.b, []*ops.Node{y}, xs, []*ops.Node{v.n})
	case "hvp":
		vs, ok := c.vectors(2, xs, labels, tuple)
		if !ok {
			return bad
		}
		gs, err = autodiff.HVP(c.i.b, y, xs, vs)
	}
	if err != nil {
		return c.errorf(c.e.Pos, CodeGrad, "%v", err)
	}
	return diffResult(gs, tuple)
}

// grad is grad(y, x): x is a tensor, a tuple of them, or params.
func (c *builtinCall) grad() value {
	if !c.check(2, 2) {
		return bad
	}
	y, ok := c.tensor(0)
	if !ok {
		return bad
	}
	if !y.Type.DType.IsFloat() || len(y.Type.Shape) != 0 {
		return c.errorf(c.argPos(0), CodeGrad, "grad: %s is %v; grad differentiates a float scalar", c.label(0), y.Type)
	}
	var xs []*ops.Node
	var labels []string
	tuple := true
	switch x := c.args[1].(type) {
	case tensorV:
		xs, labels, tuple = []*ops.Node{x.n}, []string{c.label(1)}, false
	case paramsV:
		xs = x.inst.allLeaves(false)
		for _, n := range xs {
			labels = append(labels, n.Name())
		}
	case tupleV:
		for k, it := range x {
			t, isT := it.(tensorV)
			if !isT {
				return c.errorf(c.argPos(1), CodeGrad, "grad: element %d of %s is %s, not a tensor", k, c.label(1), kindOf(it))
			}
			xs = append(xs, t.n)
			lbl := fmt.Sprintf("element %d of %s", k, c.label(1))
			if tl, ok := c.e.Args[1].(*tupleLit); ok && k < len(tl.Elems) {
				lbl = exprLabel(tl.Elems[k])
			}
			labels = append(labels, lbl)
		}
	default:
		return c.errorf(c.argPos(1), CodeGrad, "grad: cannot differentiate with respect to %s", kindOf(c.args[1]))
	}
	for k, x := range xs {
		if !x.Type.DType.IsFloat() {
			return c.errorf(c.argPos(1), CodeGrad, "grad: cannot differentiate with respect to %s of integer type %v", labels[k], x.Type)
		}
	}
	old := c.i.b.SetPos(c.e.Pos)
	defer c.i.b.SetPos(old)
	if !c.i.spend(c.e.Pos, len(c.i.b.G.Nodes)) {
		return bad
	}
	gs, err := autodiff.Grad(c.i.b, y, xs)
	if err != nil {
		return c.errorf(c.e.Pos, CodeGrad, "%v", err)
	}
	if !tuple {
		return tensorV{gs[0]}
	}
	out := make(tupleV, len(gs))
	for k, g := range gs {
		out[k] = tensorV{g}
	}
	return out
}
