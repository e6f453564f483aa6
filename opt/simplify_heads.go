package opt

import (
	"slices"

	"github.com/nnclang/nnc/ops"
)

// headRules move the splitting of a fused projection into its parts, and
// the joining of their gradients, next to the transposes that make them
// head-major: multi-head attention over one product of q, k and v
// ([B, T, 3·H·D]) slices q, k and v out (a copy each), splits each into
// heads and transposes it to [B, H, T, D] (another copy each); its
// gradient transposes dq, dk and dv back and joins them (four copies).
// Rewritten, one transpose makes all parts head-major at once, the parts
// are views of it, and one transpose joins their gradients. The values are
// moved, never computed, so the bits are those of the nodes replaced.
var headRules = []Rule{
	{"transpose(reshape(slice(x))) of a part of the last axis", ops.Transpose, transposePart},
	{"concat(reshape(transpose(reshape(slice(g))))) of every part", ops.Concat, concatParts},
}

// transposePart: x [..., C] sliced to [..., c0, c0+w) on its last axis,
// that part split into axes and transposed, is one part of x viewed as
// [..., C/w, ...split axes] and transposed with the parts' axis first; the
// transpose is the same node for every part (the Builder shares it), and
// each part is a view of its run.
func transposePart(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
	r := in[0]
	if r.Op != ops.Reshape || r.In[0].Op != ops.Slice {
		return nil
	}
	s := r.In[0]
	x := s.In[0]
	xs, rs := x.Type.Shape, r.Type.Shape
	R := xs.Rank()
	ax, ok := ops.SliceAxes(s)
	if !ok || R < 1 || rs.Rank() < R || !rs[:R-1].Equal(xs[:R-1]) {
		return nil
	}
	c, cok := xs[R-1].IsConst()
	c0, w, ok := lastAxisPart(ax, xs)
	if !ok || !cok || w <= 0 || c%w != 0 || c0%w != 0 {
		return nil
	}
	if rs[R-1:].NumElems() != ops.DimConst(w) {
		return nil
	}
	shape5 := append(append(append(ops.Shape{}, xs[:R-1]...), ops.DimConst(c/w)), rs[R-1:]...)
	x5, err := b.Apply(ops.Reshape, ops.Attrs{"shape": shape5}, x)
	if err != nil {
		return nil
	}
	p5 := []int{R - 1}
	for _, a := range perm(n) {
		if a >= R-1 {
			a++
		}
		p5 = append(p5, a)
	}
	t, err := b.Apply(ops.Transpose, ops.Attrs{"perm": p5}, x5)
	if err != nil {
		return nil
	}
	k := int(c0 / w)
	part, err := b.Apply(ops.Slice, ops.Attrs{"starts": []int{k}, "stops": []int{k + 1}}, t)
	if err != nil {
		return nil
	}
	out, err := b.Apply(ops.Reshape, ops.Attrs{"shape": n.Type.Shape}, part)
	return sameType(n, out, err)
}

// lastAxisPart returns the run [c0, c0+w) that slice axes ax take of the
// last axis of shape xs, when they take every other axis whole and that
// run with step 1 and constant bounds.
func lastAxisPart(ax []ops.SliceAxis, xs ops.Shape) (c0, w int64, ok bool) {
	R := len(xs)
	if len(ax) != R || R == 0 {
		return 0, 0, false
	}
	for i, a := range ax[:R-1] {
		if !whole(a, xs[i]) {
			return 0, 0, false
		}
	}
	last := oneStep(ax[R-1])
	c0, sok := last.Start.IsConst()
	w, wok := last.Count.IsConst()
	return c0, w, sok && wok && last.Step == 1
}

// concatParts: the join along the last axis of parts g[0], g[1], ... of a
// stacked gradient g [P, ...] (attention_grad's dq, dk, dv), each
// transposed by one permutation and its trailing axes merged, is g
// transposed with the parts' axis just before the merged axes, then
// reshaped: one transpose instead of one per part and a join.
func concatParts(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
	q := n.Type.Shape.Rank() - 1
	if q < 0 || len(in) < 2 {
		return nil
	}
	if ax, err := ops.NormAxis(n.Attrs.Int("axis", 0), q+1); err != nil || ax != q {
		return nil
	}
	var g *ops.Node
	var p []int
	for i, m := range in {
		gi, pi, ok := partOf(m, q, i)
		if !ok || (g != nil && (gi != g || !slices.Equal(pi, p))) {
			return nil
		}
		g, p = gi, pi
	}
	if parts, ok := g.Type.Shape[0].IsConst(); !ok || parts != int64(len(in)) {
		return nil
	}
	gp := make([]int, 0, len(p)+1)
	for j, a := range p {
		if j == q {
			gp = append(gp, 0)
		}
		gp = append(gp, a+1)
	}
	t, err := b.Apply(ops.Transpose, ops.Attrs{"perm": gp}, g)
	if err != nil {
		return nil
	}
	out, err := b.Apply(ops.Reshape, ops.Attrs{"shape": n.Type.Shape}, t)
	return sameType(n, out, err)
}

// partOf matches m = reshape(transpose(reshape(slice(g)), p)) where the
// slice takes index i of g's first axis and everything else, the inner
// reshape drops that axis, and the outer one merges the transpose's axes
// from q on; it returns g and p.
func partOf(m *ops.Node, q, i int) (*ops.Node, []int, bool) {
	if m.Op != ops.Reshape || m.In[0].Op != ops.Transpose {
		return nil, nil, false
	}
	t := m.In[0]
	e := t.In[0]
	if e.Op != ops.Reshape || e.In[0].Op != ops.Slice {
		return nil, nil, false
	}
	s := e.In[0]
	g := s.In[0]
	ts, ms, gs := t.Type.Shape, m.Type.Shape, g.Type.Shape
	if ts.Rank() <= q || !ms[:q].Equal(ts[:q]) || gs.Rank() != ts.Rank()+1 || !e.Type.Shape.Equal(gs[1:]) {
		return nil, nil, false
	}
	if ms[q] != ts[q:].NumElems() {
		return nil, nil, false
	}
	ax, ok := ops.SliceAxes(s)
	if !ok || len(ax) != gs.Rank() {
		return nil, nil, false
	}
	if st, ok := oneStep(ax[0]).Start.IsConst(); !ok || st != int64(i) || ax[0].Count != ops.DimConst(1) {
		return nil, nil, false
	}
	for j, a := range ax[1:] {
		if !whole(a, gs[j+1]) {
			return nil, nil, false
		}
	}
	return g, perm(t), true
}
