package ops

import "fmt"

// floatKernel picks the f32 or f64 variant of a kernel by the node's type.
func floatKernel(n *Node, f32, f64 KernelFunc) (KernelFunc, error) {
	switch n.Type.DType {
	case F32:
		return f32, nil
	case F64:
		return f64, nil
	}
	return nil, fmt.Errorf("%s: no kernel for %v", n.Op.Name, n.Type.DType)
}

// sameFloat checks that every operand has one float element type.
func sameFloat(name string, in []Type) (DType, error) {
	dt := in[0].DType
	for i, t := range in {
		if t.DType != dt {
			return 0, &InferError{name, fmt.Sprintf("element types differ: {0} is %v, {%d} is %v", in[0], i, t)}
		}
	}
	if !dt.IsFloat() {
		return 0, &InferError{name, fmt.Sprintf("needs f32 or f64 operands, {0} is %v", in[0])}
	}
	return dt, nil
}

// SumTo reduces g (broadcast from shape s) back to s: the adjoint of
// broadcasting. It returns g itself when the shapes already agree.
func (b *Builder) SumTo(g *Node, s Shape) *Node {
	if g.Type.Shape.Equal(s) {
		return g
	}
	return b.Must(SumTo, Attrs{"shape": s}, g)
}

// BroadcastTo broadcasts x to shape s, or returns x when it has that shape.
func (b *Builder) BroadcastTo(x *Node, s Shape) *Node {
	if x.Type.Shape.Equal(s) {
		return x
	}
	return b.Must(BroadcastTo, Attrs{"shape": s}, x)
}

// Tangent returns t, or zeros of n's type when t is nil: JVP rules use it for
// operands without a tangent.
func Tangent(b *Builder, t *Node, like *Node) *Node {
	if t != nil {
		return t
	}
	return b.Full(like.Type, 0)
}

// Add, Sub, Mul and Div build x + y, x - y, x * y and x / y with
// broadcasting, for code whose operands are right by construction (gradient
// rules, optimizer updates): like Must, they panic where Apply would return
// an error.
func (b *Builder) Add(x, y *Node) *Node { return b.Must(Add, nil, x, y) }

// Sub builds x - y (see Add).
func (b *Builder) Sub(x, y *Node) *Node { return b.Must(Sub, nil, x, y) }

// Mul builds x * y (see Add).
func (b *Builder) Mul(x, y *Node) *Node { return b.Must(Mul, nil, x, y) }

// Div builds x / y (see Add).
func (b *Builder) Div(x, y *Node) *Node { return b.Must(Div, nil, x, y) }

// neg is -x, for gradient rules, whose operands are right by construction.
func neg(b *Builder, x *Node) *Node { return b.Must(Neg, nil, x) }

// scalar is a constant of like's element type.
func scalar(b *Builder, like *Node, v float64) *Node { return b.Scalar(like.Type.DType, v) }

// sumTangents adds the non-nil tangent terms and broadcasts the sum to t;
// with no terms it is zeros of type t.
func sumTangents(b *Builder, t Type, terms ...*Node) *Node {
	var s *Node
	for _, x := range terms {
		switch {
		case x == nil:
		case s == nil:
			s = x
		default:
			s = b.Add(s, x)
		}
	}
	if s == nil {
		return b.Full(t, 0)
	}
	return b.BroadcastTo(s, t.Shape)
}

// isConst reports whether n is a constant (op const or full): no gradient is
// ever asked of it.
func isConst(n *Node) bool { return n.Op == Const || n.Op == Full }
