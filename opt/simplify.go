package opt

import (
	"math"

	"github.com/nnclang/nnc/ops"
)

// Rule is one rewrite of a rule table: on a node of op Op whose operands
// have been rebuilt as in, Rewrite returns the replacement (of the node's
// type) or nil when the rule does not apply.
type Rule struct {
	Name    string
	Op      *ops.Op
	Rewrite func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node
}

// SimplifyRules are the algebraic identities of the simplify pass. Each
// rewrite gives bitwise the value of the node it replaces, NaN and Inf
// included: so x*0 is never rewritten (Inf*0 is NaN), nor x+0 (-0+0 is +0):
// only x + (-0) is. The one exception is sum_to to its operand's own shape,
// whose kernel sums into a zeroed buffer and so turns -0 into +0; dropping it
// keeps the -0.
var SimplifyRules = append(append([]Rule{
	{"x+(-0)", ops.Add, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if isValue(in[1], negZero) {
			return keep(b, n, in[0])
		}
		if isValue(in[0], negZero) {
			return keep(b, n, in[1])
		}
		return nil
	}},
	{"x-0", ops.Sub, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if isValue(in[1], 0) {
			return keep(b, n, in[0])
		}
		return nil
	}},
	{"x*1", ops.Mul, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if isValue(in[1], 1) {
			return keep(b, n, in[0])
		}
		if isValue(in[0], 1) {
			return keep(b, n, in[1])
		}
		return nil
	}},
	{"x*-1", ops.Mul, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if isValue(in[1], -1) && in[0].Type.Equal(n.Type) {
			return b.Must(ops.Neg, nil, in[0])
		}
		if isValue(in[0], -1) && in[1].Type.Equal(n.Type) {
			return b.Must(ops.Neg, nil, in[1])
		}
		return nil
	}},
	{"x/1", ops.Div, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if isValue(in[1], 1) {
			return keep(b, n, in[0])
		}
		return nil
	}},
	{"x**1", ops.Pow, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if isValue(in[1], 1) {
			return keep(b, n, in[0])
		}
		return nil
	}},
	{"neg(neg(x))", ops.Neg, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if in[0].Op == ops.Neg {
			return in[0].In[0]
		}
		return nil
	}},
	{"transpose(transpose(x))", ops.Transpose, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		inner := in[0]
		if inner.Op != ops.Transpose {
			return nil
		}
		p1 := perm(inner)
		p2 := perm(n)
		// result axis i is inner's axis p2[i], which is x's axis p1[p2[i]].
		comp := make([]int, len(p2))
		identity := true
		for i, p := range p2 {
			comp[i] = p1[p]
			identity = identity && comp[i] == i
		}
		if identity {
			return inner.In[0]
		}
		return b.Must(ops.Transpose, ops.Attrs{"perm": comp}, inner.In[0])
	}},
	{"reshape to the same shape", ops.Reshape, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if in[0].Type.Equal(n.Type) {
			return in[0]
		}
		return nil
	}},
	{"reshape(reshape(x))", ops.Reshape, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if in[0].Op != ops.Reshape {
			return nil
		}
		x := in[0].In[0]
		if x.Type.Equal(n.Type) {
			return x
		}
		return b.Must(ops.Reshape, n.Attrs, x)
	}},
	{"concat(reshape(x), ...) along axis 0", ops.Concat, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		// Joining along the first axis lays the operands' elements one
		// after another, and a reshape keeps them in order: the concat of
		// the reshapes' operands, reshaped, is the same elements. An
		// unrolled scan's gradient joins each step's slice of one value
		// twice, reshaped and not; the two concats then become one (cse).
		if ax, err := ops.NormAxis(n.Attrs.Int("axis", 0), n.Type.Shape.Rank()); err != nil || ax != 0 || len(in) < 2 {
			return nil
		}
		xs := make([]*ops.Node, len(in))
		for i, r := range in {
			if r.Op != ops.Reshape || r.In[0].Type.Shape.Rank() == 0 {
				return nil
			}
			xs[i] = r.In[0]
			a, z := xs[i].Type.Shape, xs[0].Type.Shape
			if len(a) != len(z) {
				return nil
			}
			for j := 1; j < len(a); j++ {
				if a[j] != z[j] {
					return nil
				}
			}
		}
		c, err := b.Apply(ops.Concat, ops.Attrs{"axis": 0}, xs...)
		if err != nil {
			return nil
		}
		r, err := b.Apply(ops.Reshape, ops.Attrs{"shape": n.Type.Shape}, c)
		if err != nil || !r.Type.Equal(n.Type) {
			return nil
		}
		return r
	}},
	{"broadcast_to the same shape", ops.BroadcastTo, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if in[0].Type.Equal(n.Type) {
			return in[0]
		}
		return nil
	}},
	{"sum_to the same shape", ops.SumTo, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if in[0].Type.Equal(n.Type) {
			return in[0]
		}
		return nil
	}},
	{"sum_to(reshape(x)) over leading axes", ops.SumTo, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		// Summing away the leading axes of a reshape whose last axes are
		// the result's: the same rows summed in the same order as with
		// those leading axes merged into one (the kernels merge them
		// anyway). The gradients of an LSTM's two biases sum the same
		// gradient of its gates as [T, B, 4H] and as [T·B, 4H]; the two
		// sums then become one (cse).
		r := in[0]
		s, to := r.Type.Shape, n.Type.Shape
		k := len(s) - len(to)
		if r.Op != ops.Reshape || k < 2 || !s[k:].Equal(to) {
			return nil
		}
		lead := s[0]
		for _, d := range s[1:k] {
			lead = lead.Mul(d)
		}
		x, err := b.Apply(ops.Reshape, ops.Attrs{"shape": append(ops.Shape{lead}, to...)}, r.In[0])
		if err != nil {
			return nil
		}
		return b.Must(ops.SumTo, n.Attrs, x)
	}},
	{"cast to the same dtype", ops.Cast, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if in[0].Type.Equal(n.Type) {
			return in[0]
		}
		return nil
	}},
	{"stop_gradient after differentiation", ops.StopGradient, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		return in[0]
	}},
}, joinRules...), headRules...)

var negZero = math.Copysign(0, -1)

// isValue reports whether n is a constant whose every element is v (bitwise:
// 0 and -0 differ).
func isValue(n *ops.Node, v float64) bool {
	c, ok := constValue(n)
	return ok && math.Float64bits(c) == math.Float64bits(v)
}

// keep returns x as the replacement of n: x itself when it has n's type,
// else x broadcast to n's shape (the constant operand widened it).
func keep(b *ops.Builder, n, x *ops.Node) *ops.Node {
	if x.Type.Equal(n.Type) {
		return x
	}
	if x.Type.DType != n.Type.DType {
		return nil
	}
	return b.BroadcastTo(x, n.Type.Shape)
}

// perm is the permutation of transpose node n.
func perm(n *ops.Node) []int {
	if p, ok := n.Attrs.Ints("perm"); ok {
		return p
	}
	r := n.Type.Shape.Rank()
	p := make([]int, r)
	for i := range p {
		p[i] = r - 1 - i
	}
	return p
}

// applyRules returns a rule that tries, on each node, the rules of its op in
// table order, applying them again to each replacement until none applies.
func applyRules(rules []Rule) rule {
	byOp := map[*ops.Op][]Rule{}
	for _, r := range rules {
		byOp[r.Op] = append(byOp[r.Op], r)
	}
	return func(b *ops.Builder, n *ops.Node, in, _ []*ops.Node) *ops.Node {
		var out *ops.Node
		for range 8 { // each rewrite removes a node, so chains end fast
			var next *ops.Node
			for _, r := range byOp[n.Op] {
				if next = r.Rewrite(b, n, in); next != nil {
					break
				}
			}
			if next == nil || next == n {
				return out
			}
			out = next
			if len(byOp[next.Op]) == 0 || next.Op.Leaf {
				return out
			}
			// The replacement is a node of b: try the rules on it too.
			n, in = next, next.In
		}
		return out
	}
}

// Simplify applies SimplifyRules.
func Simplify(g *ops.Graph) (*ops.Graph, error) {
	return rebuild(g, applyRules(SimplifyRules))
}
