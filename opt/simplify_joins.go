package opt

import "github.com/nnclang/nnc/ops"

// joinRules see through a stack and through an unslice (a slice's
// gradient: zeros with the slice's values written in). They serve the
// common head of a recurrent model, hs[:, -1] of the hidden states that
// an unrolled scan stacks along a new first axis and transposes to batch
// first: the forward pass then reads the last step's state itself (no
// stack and no transpose of every step's state), and the backward pass
// gives each step the last step's gradient or a constant zero (no
// [B, T, H] of zeros built and transposed). Each moves or selects
// elements, so the values are bitwise those of the nodes replaced.
var joinRules = []Rule{
	{"transpose(stack(xs)) that moves the new axis only", ops.Transpose, transposeStack},
	{"slice(stack(xs)) of one operand", ops.Slice, sliceStack},
	{"transpose(unslice(g))", ops.Transpose, transposeUnslice},
	{"slice(unslice(g)) of g's part or of zeros", ops.Slice, sliceUnslice},
}

// transposeStack: a transpose that moves a stack's new axis and keeps the
// other axes in order is the stack along the axis it moves to.
func transposeStack(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
	s := in[0]
	if s.Op != ops.Stack {
		return nil
	}
	a, err := ops.NormAxis(s.Attrs.Int("axis", 0), s.Type.Shape.Rank())
	if err != nil {
		return nil
	}
	to, last := -1, -1
	for i, p := range perm(n) {
		if p == a {
			to = i
			continue
		}
		if p < last {
			return nil // the other axes change order
		}
		last = p
	}
	r, err := b.Apply(ops.Stack, ops.Attrs{"axis": to}, s.In...)
	return sameType(n, r, err)
}

// sliceStack: a slice that takes one index of a stack's new axis and the
// whole of every other axis is that operand, reshaped.
func sliceStack(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
	s := in[0]
	if s.Op != ops.Stack {
		return nil
	}
	a, err := ops.NormAxis(s.Attrs.Int("axis", 0), s.Type.Shape.Rank())
	ax, ok := ops.SliceAxes(n)
	if err != nil || !ok || len(ax) != s.Type.Shape.Rank() {
		return nil
	}
	k := -1
	for i, x := range ax {
		start, sok := x.Start.IsConst()
		count, cok := x.Count.IsConst()
		switch {
		case i == a && sok && cok && count == 1 && start >= 0 && start < int64(len(s.In)):
			k = int(start)
		case i != a && whole(x, s.Type.Shape[i]):
		default:
			return nil
		}
	}
	r, err := b.Apply(ops.Reshape, ops.Attrs{"shape": n.Type.Shape}, s.In[k])
	return sameType(n, r, err)
}

// transposeUnslice: the transpose of an unslice is the unslice, with its
// axes' bounds permuted, of the transposed operand.
func transposeUnslice(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
	u := in[0]
	if u.Op != ops.Unslice {
		return nil
	}
	p := perm(n)
	full := u.Attrs.Shape("shape")
	if len(full) != len(p) {
		return nil
	}
	attrs := ops.Attrs{"shape": permShape(full, p)}
	if _, explicit := u.Attrs["begin"]; explicit {
		begin, bok := u.Attrs["begin"].(ops.Shape)
		end, eok := u.Attrs["end"].(ops.Shape)
		if !bok || !eok || len(begin) != len(p) || len(end) != len(p) {
			return nil
		}
		attrs["begin"], attrs["end"] = permShape(begin, p), permShape(end, p)
	} else {
		for key, absent := range map[string]int{"starts": ops.SliceNone, "stops": ops.SliceNone, "steps": 1} {
			v, ok := u.Attrs.Ints(key)
			if _, set := u.Attrs[key]; set && !ok || len(v) > len(p) {
				return nil
			}
			out := make([]int, len(p))
			for i, q := range p {
				out[i] = absent
				if q < len(v) {
					out[i] = v[q]
				}
			}
			attrs[key] = out
		}
	}
	g, err := b.Apply(ops.Transpose, ops.Attrs{"perm": p}, u.In[0])
	if err != nil {
		return nil
	}
	r, err := b.Apply(ops.Unslice, attrs, g)
	return sameType(n, r, err)
}

// sliceUnslice: a slice of an unslice that takes exactly the unslice's
// part is its operand; one that misses that part on some axis takes only
// the zeros (+0, as the unslice writes them).
func sliceUnslice(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
	u := in[0]
	if u.Op != ops.Unslice {
		return nil
	}
	sa, sok := ops.SliceAxes(n)
	ua, uok := ops.SliceAxes(u)
	full := u.Type.Shape
	if !sok || !uok || len(sa) != len(ua) || len(sa) != full.Rank() {
		return nil
	}
	for i, d := range full {
		// Bounds on a symbolic axis are resolved as if in range; the
		// kernels check that when the plan is built. Rewriting would drop
		// the check, so only constant axes, or axes both take whole, are
		// compared.
		if _, ok := d.IsConst(); !ok && !(whole(sa[i], d) && whole(ua[i], d)) {
			return nil
		}
	}
	same := true
	for i := range sa {
		s, v := oneStep(sa[i]), oneStep(ua[i])
		if s == v {
			continue
		}
		same = false
		if apart(s, v) {
			return b.Full(n.Type, 0)
		}
	}
	if same && u.In[0].Type.Equal(n.Type) {
		return u.In[0]
	}
	return nil
}

// whole says whether x takes all of an axis of size d, in order.
func whole(x ops.SliceAxis, d ops.Dim) bool {
	st, ok := x.Start.IsConst()
	return ok && st == 0 && x.Step == 1 && x.Count == d
}

// oneStep is x with step 1 when it takes one element or none (the step
// then selects nothing more).
func oneStep(x ops.SliceAxis) ops.SliceAxis {
	if c, ok := x.Count.IsConst(); ok && c <= 1 {
		x.Step = 1
	}
	return x
}

// apart says whether two runs of step 1 with constant bounds share no
// index.
func apart(x, y ops.SliceAxis) bool {
	x0, ok1 := x.Start.IsConst()
	xn, ok2 := x.Count.IsConst()
	y0, ok3 := y.Start.IsConst()
	yn, ok4 := y.Count.IsConst()
	if !ok1 || !ok2 || !ok3 || !ok4 || x.Step != 1 || y.Step != 1 {
		return false
	}
	return x0+xn <= y0 || y0+yn <= x0
}

// permShape is s with its entries in the order p gives: entry i is s[p[i]].
func permShape(s ops.Shape, p []int) ops.Shape {
	out := make(ops.Shape, len(p))
	for i, q := range p {
		out[i] = s[q]
	}
	return out
}

// sameType is r when it was built without error and has n's type, else
// nil (the rule does not apply).
func sameType(n *ops.Node, r *ops.Node, err error) *ops.Node {
	if err != nil || !r.Type.Equal(n.Type) {
		return nil
	}
	return r
}
