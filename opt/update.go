package opt

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// FuseUpdates makes each optimizer update that train.SGD (with momentum)
// or train.Adam built one fused_sgd or fused_adam node: the new parameter is
// the node's result, and the new state (momentum buffer, moments) is written
// by the node into the state itself, whose update becomes the identity (an
// update whose value is its target, which the runtime does not copy). An
// update is fused only when its states are read by nothing but its own
// subgraph, so that no other node sees a state half-written, and when the
// nodes it absorbs are read by nothing else. L2 weight decay added to the
// gradient (g + wd·p) and AdamW's scaling of the parameter are absorbed when
// the gradient's sum or the scaled parameter serves only the update.
//
// A learning rate that is not a constant (a schedule's, read from a state:
// train's LRState) becomes an operand of the fused node, and so does
// AdamW's factor 1 - lr·wd computed from it. An update whose new value is
// multiplied by a tensor of the parameter's type (train's pruning mask,
// mul(new value, mask)) is fused with the mask as an operand.
func FuseUpdates(g *ops.Graph) (*ops.Graph, error) {
	u := newUpdateMatcher(g)
	fused := map[int]fusedUpdate{} // by the node computing the new parameter
	states := map[string]bool{}    // the states written in place, by name
	for _, up := range g.Updates {
		if up.Target.Op != ops.Param {
			continue
		}
		f, ok := u.match(up.Target, up.Value)
		if !ok {
			continue
		}
		fused[up.Value.ID] = f
		for _, s := range f.states {
			states[s.Name()] = true
		}
	}
	if len(fused) == 0 {
		return rebuild(g, nil)
	}
	mid, err := rebuild(g, func(b *ops.Builder, n *ops.Node, _, m []*ops.Node) *ops.Node {
		f, ok := fused[n.ID]
		if !ok {
			return nil
		}
		return b.Must(f.op, f.attrs, mapAll(f.operands, m)...)
	})
	if err != nil {
		return nil, err
	}
	for i, up := range mid.Updates {
		if up.Target.Op == ops.State && states[up.Target.Name()] {
			mid.Updates[i].Value = up.Target
		}
	}
	return rebuild(mid, nil) // drops the unfused state updates
}

// match matches the update of param p to value v: an Adam or SGD update,
// or one followed by a mask, v = mul(update, mask).
func (u *updateMatcher) match(p, v *ops.Node) (fusedUpdate, bool) {
	if f, ok := u.adam(p, v, nil); ok {
		return f, true
	}
	if f, ok := u.sgd(p, v, nil); ok {
		return f, true
	}
	a, b, ok := binary(v, ops.Mul)
	if !ok {
		return fusedUpdate{}, false
	}
	for _, xm := range [][2]*ops.Node{a, b} {
		x, mask := xm[0], xm[1]
		if x == nil || x.Op != ops.Sub || !mask.Type.Equal(p.Type) || !u.only(x, v) {
			continue
		}
		if f, ok := u.adam(p, x, mask); ok {
			return f, true
		}
		if f, ok := u.sgd(p, x, mask); ok {
			return f, true
		}
	}
	return fusedUpdate{}, false
}

// masked appends mask, when not nil, to f's operands.
func (f *fusedUpdate) masked(mask *ops.Node) {
	if mask != nil {
		f.attrs["masked"] = true
		f.operands = append(f.operands, mask)
	}
}

// fusedUpdate is the node that replaces one parameter's update.
type fusedUpdate struct {
	op       *ops.Op
	attrs    ops.Attrs
	operands []*ops.Node
	states   []*ops.Node // written in place
}

// decay records a weight decay of the given kind with the constant
// factor wd (none when wd is nil); false when wd is not a constant.
func (f *fusedUpdate) decay(kind string, wd *ops.Node) bool {
	if wd == nil {
		return true
	}
	v, ok := constValue(wd)
	if !ok {
		return false
	}
	f.attrs["decay"], f.attrs["weight_decay"] = kind, v
	return true
}

// constAttrs returns the values of the constants nodes under names; false
// when one is not a constant.
func constAttrs(names []string, nodes ...*ops.Node) (ops.Attrs, bool) {
	a := ops.Attrs{}
	for i, n := range nodes {
		v, ok := constValue(n)
		if !ok {
			return nil, false
		}
		a[names[i]] = v
	}
	return a, true
}

// updateMatcher recognizes the update subgraphs of one graph.
type updateMatcher struct {
	g       *ops.Graph
	cons    [][]*ops.Node
	root    []bool // outputs
	targets map[int]*ops.Node
}

func newUpdateMatcher(g *ops.Graph) *updateMatcher {
	u := &updateMatcher{g: g, cons: consumers(g), root: make([]bool, len(g.Nodes)), targets: map[int]*ops.Node{}}
	for _, o := range g.Outputs {
		u.root[o.Node.ID] = true
	}
	for _, up := range g.Updates {
		u.targets[up.Target.ID] = up.Value
	}
	return u
}

// only reports whether n is read by the node by alone and is no output.
func (u *updateMatcher) only(n, by *ops.Node) bool {
	c := u.cons[n.ID]
	return !u.root[n.ID] && len(c) == 1 && c[0] == by
}

// onlyBy reports whether every reader of n is in by and n is no output.
func (u *updateMatcher) onlyBy(n *ops.Node, by ...*ops.Node) bool {
	if u.root[n.ID] {
		return false
	}
	for _, c := range u.cons[n.ID] {
		found := false
		for _, x := range by {
			found = found || x == c
		}
		if !found {
			return false
		}
	}
	return true
}

// binary returns n's operands when n is op, in both orders for the
// commutative add and mul (the second pair is nil for sub and div).
func binary(n *ops.Node, op *ops.Op) (a, b [2]*ops.Node, ok bool) {
	if n.Op != op || len(n.In) != 2 {
		return a, b, false
	}
	a = [2]*ops.Node{n.In[0], n.In[1]}
	if op == ops.Add || op == ops.Mul {
		b = [2]*ops.Node{n.In[1], n.In[0]}
	}
	return a, b, true
}

// scaled matches n = mul(s, x) with s a scalar of x's element type and x
// satisfying want; it returns s and x.
func scaled(n *ops.Node, want func(x *ops.Node) bool) (s, x *ops.Node, ok bool) {
	a, b, ok := binary(n, ops.Mul)
	if !ok {
		return nil, nil, false
	}
	for _, p := range [][2]*ops.Node{a, b} {
		if p[0] != nil && isScalarOf(p[0], p[1]) && want(p[1]) {
			return p[0], p[1], true
		}
	}
	return nil, nil, false
}

// sum matches n = add(x, y) with match(x, y) true, in either order.
func sum(n *ops.Node, match func(x, y *ops.Node) bool) bool {
	a, b, ok := binary(n, ops.Add)
	if !ok {
		return false
	}
	return match(a[0], a[1]) || match(b[0], b[1])
}

// isScalarOf reports whether s is a scalar of x's element type.
func isScalarOf(s, x *ops.Node) bool {
	return s.Type.Shape.Rank() == 0 && s.Type.DType == x.Type.DType && x.Type.Shape.Rank() > 0
}

// state reports whether n is a state whose update is value and which only
// reader reads.
func (u *updateMatcher) state(n, value, reader *ops.Node) bool {
	return n.Op == ops.State && u.targets[n.ID] == value && u.only(n, reader)
}

// decay matches the gradient d = add(g, mul(wd, p)) of L2 weight decay
// when d is read only by readers: it returns g, wd and g's readers in the
// update ({d}), or d, nil and readers.
func (u *updateMatcher) decay(d, p *ops.Node, readers ...*ops.Node) (*ops.Node, *ops.Node, []*ops.Node) {
	var g, wd *ops.Node
	if !u.onlyBy(d, readers...) {
		return d, nil, readers
	}
	sum(d, func(x, y *ops.Node) bool {
		s, _, ok := scaled(y, func(q *ops.Node) bool { return q == p })
		if ok && u.only(y, d) && x.Type.Equal(p.Type) {
			g, wd = x, s
			return true
		}
		return false
	})
	if g == nil {
		return d, nil, readers
	}
	return g, wd, []*ops.Node{d}
}

// gradProgram absorbs the elementwise tree computing the gradient f.operands[1]
// into f when the gradient is read by nothing but readers: f gets the
// tree as its "grad" program, whose x0 is operand 1 and whose other
// inputs are appended to the operands. Nodes of the tree are inlined when
// they have the parameter's type and their only reader is in the tree;
// uniform constants become immediates.
func (u *updateMatcher) gradProgram(f *fusedUpdate, p *ops.Node, readers []*ops.Node) {
	g := f.operands[1]
	inTree := func(n *ops.Node) bool { // an elementwise op of p's type
		return n.Type.Equal(p.Type) && fusible(n.Op) && len(n.In) == n.Op.Arity
	}
	if !inTree(g) || !u.onlyBy(g, readers...) {
		return
	}
	var leaves []*ops.Node
	var prog []string
	var emit func(n *ops.Node) string
	emit = func(n *ops.Node) string {
		args := make([]string, len(n.In))
		for i, x := range n.In {
			if inTree(x) && u.only(x, n) {
				args[i] = emit(x)
				continue
			}
			if v, ok := constValue(x); ok && x.Type.DType == p.Type.DType {
				args[i] = strconv.FormatFloat(v, 'g', -1, 64) // an immediate
				continue
			}
			k := slices.Index(leaves, x)
			if k < 0 {
				leaves = append(leaves, x)
				k = len(leaves) - 1
			}
			args[i] = "x" + strconv.Itoa(k)
		}
		t := "t" + strconv.Itoa(len(prog))
		prog = append(prog, t+"="+n.Op.Name+"("+strings.Join(args, ",")+")")
		return t
	}
	emit(g)
	if len(leaves) == 0 {
		return // a constant gradient: left to fold
	}
	f.attrs["grad"] = strings.Join(prog, "; ")
	f.operands[1] = leaves[0]
	f.operands = append(f.operands, leaves[1:]...)
}

// sgd matches train.SGD's update with momentum of param p to value pv:
//
//	nbuf = add(mul(mom, buf), d)      (buf updated to nbuf)
//	pv = sub(p, mul(lr, e))           e = nbuf, or add(d, mul(mom, nbuf)) (Nesterov)
//
// lr is a constant (an attribute) or any scalar (an operand); mask, when
// not nil, multiplies pv.
func (u *updateMatcher) sgd(p, pv, mask *ops.Node) (fusedUpdate, bool) {
	var f fusedUpdate
	subs, _, ok := binary(pv, ops.Sub)
	if !ok || subs[0] != p {
		return f, false
	}
	step := subs[1]
	lr, e, ok := scaled(step, func(*ops.Node) bool { return true })
	if !ok || !u.only(step, pv) {
		return f, false
	}
	// momentum: nbuf = add(mul(mom, buf), d)
	var mom, buf, d *ops.Node
	momentum := func(nbuf *ops.Node) bool {
		return sum(nbuf, func(x, y *ops.Node) bool {
			s, b, ok := scaled(x, func(q *ops.Node) bool { return q.Op == ops.State })
			if !ok || !y.Type.Equal(p.Type) || !u.state(b, nbuf, x) || !u.only(x, nbuf) {
				return false
			}
			mom, buf, d = s, b, y
			return true
		})
	}
	nesterov := false
	var nbuf *ops.Node
	if momentum(e) && u.only(e, step) {
		nbuf = e
	} else if sum(e, func(x, y *ops.Node) bool {
		s, nb, ok := scaled(y, func(q *ops.Node) bool { return momentum(q) })
		if !ok || x != d || s != mom || !u.only(y, e) || !u.only(nb, y) {
			return false
		}
		nbuf = nb
		return true
	}) && u.only(e, step) {
		nesterov = true
	} else {
		return f, false
	}
	readers := []*ops.Node{nbuf}
	if nesterov {
		readers = append(readers, e)
	}
	g, wd, readers := u.decay(d, p, readers...)
	attrs, ok := constAttrs([]string{"momentum"}, mom)
	if !ok {
		return f, false
	}
	attrs["nesterov"] = nesterov
	f = fusedUpdate{op: ops.FusedSGD, attrs: attrs,
		operands: []*ops.Node{p, g, buf}, states: []*ops.Node{buf}}
	if v, ok := constValue(lr); ok {
		attrs["lr"] = v
	} else {
		attrs["lr_operand"] = true
		f.operands = append(f.operands, lr)
	}
	if !f.decay("l2", wd) {
		return fusedUpdate{}, false
	}
	f.masked(mask)
	u.gradProgram(&f, p, readers)
	return f, true
}

// adam matches train.Adam's update of param p to value pv:
//
//	nm = add(mul(b1, m), mul(c1, g))          (m updated to nm)
//	nv = add(mul(b2, v), mul(c2, mul(g, g)))  (v updated to nv)
//	pv = sub(q, mul(step, div(nm, add(div(sqrt(nv), bc2), eps))))
//
// with q = p, or mul(p, scale) for AdamW (scale a constant, or any scalar:
// an operand); mask, when not nil, multiplies pv.
func (u *updateMatcher) adam(p, pv, mask *ops.Node) (fusedUpdate, bool) {
	var f fusedUpdate
	subs, _, ok := binary(pv, ops.Sub)
	if !ok {
		return f, false
	}
	q, stepMul := subs[0], subs[1]
	step, ratio, ok := scaled(stepMul, func(*ops.Node) bool { return true })
	if !ok || !u.only(stepMul, pv) {
		return f, false
	}
	rd, _, ok := binary(ratio, ops.Div)
	if !ok || !u.only(ratio, stepMul) {
		return f, false
	}
	nm, denom := rd[0], rd[1]
	var bc2, eps, nv, sq, dv *ops.Node
	if !u.only(denom, ratio) || !sum(denom, func(x, y *ops.Node) bool {
		dd, _, ok := binary(x, ops.Div)
		if !ok || !isScalarOf(y, x) || !isScalarOf(dd[1], x) || dd[0].Op != ops.Sqrt {
			return false
		}
		dv, sq, bc2, eps, nv = x, dd[0], dd[1], y, dd[0].In[0]
		return true
	}) || !u.only(dv, denom) || !u.only(sq, dv) || !u.only(nm, ratio) || !u.only(nv, sq) {
		return f, false
	}
	// nm = add(mul(b1, m), mul(c1, g))
	var b1, m, c1, g, mg *ops.Node
	if !sum(nm, func(x, y *ops.Node) bool {
		s, st, ok := scaled(x, func(n *ops.Node) bool { return n.Op == ops.State })
		if !ok || !u.state(st, nm, x) || !u.only(x, nm) {
			return false
		}
		s2, gg, ok := scaled(y, func(n *ops.Node) bool { return n.Type.Equal(p.Type) })
		if !ok || !u.only(y, nm) {
			return false
		}
		b1, m, c1, g, mg = s, st, s2, gg, y
		return true
	}) {
		return f, false
	}
	// nv = add(mul(b2, v), mul(c2, mul(g, g)))
	var b2, v, c2, gsq *ops.Node
	if !sum(nv, func(x, y *ops.Node) bool {
		s, st, ok := scaled(x, func(n *ops.Node) bool { return n.Op == ops.State })
		if !ok || !u.state(st, nv, x) || !u.only(x, nv) {
			return false
		}
		s2, sqr, ok := scaled(y, func(n *ops.Node) bool {
			if n.Op == ops.Square {
				return n.In[0] == g // simplify may write mul(g, g) so
			}
			a, _, ok := binary(n, ops.Mul)
			return ok && a[0] == g && a[1] == g
		})
		if !ok || !u.only(y, nv) || !u.only(sqr, y) {
			return false
		}
		b2, v, c2, gsq = s, st, s2, sqr
		return true
	}) || v == m {
		return f, false
	}
	attrs, ok := constAttrs([]string{"beta1", "one_minus_beta1", "beta2", "one_minus_beta2", "eps"}, b1, c1, b2, c2, eps)
	if !ok {
		return f, false
	}
	f = fusedUpdate{op: ops.FusedAdam, attrs: attrs,
		operands: []*ops.Node{p, g, m, v, step, bc2},
		states:   []*ops.Node{m, v}}
	if q != p {
		scale, x, ok := scaled(q, func(n *ops.Node) bool { return n == p })
		if !ok || x != p || !u.only(q, pv) {
			return fusedUpdate{}, false
		}
		if !f.decay("decoupled", scale) { // a scalar computed each step
			f.attrs["decay"], f.attrs["decay_operand"] = "decoupled", true
			f.operands = append(f.operands, scale)
		}
		f.masked(mask)
		u.gradProgram(&f, p, []*ops.Node{mg, gsq})
		return f, true
	}
	gd, wd, readers := u.decay(g, p, mg, gsq)
	f.operands[1] = gd
	if !f.decay("l2", wd) {
		return fusedUpdate{}, false
	}
	f.masked(mask)
	u.gradProgram(&f, p, readers)
	return f, true
}
