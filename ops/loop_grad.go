package ops

import (
	"fmt"

	"github.com/nnclang/nnc/tensor"
)

// A loop's derivatives are loops whose bodies are derivatives of its body,
// built by package autodiff's graph transforms, which it installs here as
// it initializes (the transforms use the op registry, so the registry
// cannot call them by import).
var bodyVJP, bodyJVP func(b *Builder, ys, xs, vs []*Node) ([]*Node, error)

// SetBodyDerivatives installs the reverse (vjp: ys, xs, cotangents of ys)
// and forward (jvp: ys, xs, tangents of xs) transforms that loop bodies are
// differentiated with. Package autodiff calls it as it initializes.
func SetBodyDerivatives(vjp, jvp func(b *Builder, ys, xs, vs []*Node) ([]*Node, error)) {
	bodyVJP, bodyJVP = vjp, jvp
}

// Inline adds body's step to b applied to args (one per operand) and
// returns its outputs: the new carries, then the y's.
func Inline(b *Builder, body *Body, args []*Node) []*Node {
	m := make(map[*Node]*Node, len(body.G.Nodes))
	for k, x := range body.Ins {
		m[x] = args[k]
	}
	needed := body.G.Needed()
	old := b.Pos()
	defer b.SetPos(old)
	for _, x := range body.G.Nodes {
		if _, ok := m[x]; ok || !needed[x.ID] {
			continue
		}
		in := make([]*Node, len(x.In))
		for i, y := range x.In {
			in[i] = m[y]
		}
		b.SetPos(x.Pos)
		m[x] = b.Must(x.Op, x.Attrs, in...)
	}
	out := make([]*Node, len(body.G.Outputs))
	for k, o := range body.G.Outputs {
		out[k] = m[o.Node]
	}
	return out
}

// bodyBuilder builds a derivative's body: operands are declared in order.
type bodyBuilder struct {
	b   *Builder
	ins []*Node
}

func newBodyBuilder(pos Pos) *bodyBuilder {
	bb := &bodyBuilder{b: NewBuilder()}
	bb.b.SetPos(pos)
	return bb
}

// args declares one operand per type.
func (bb *bodyBuilder) args(ts ...Type) []*Node { return bb.declare("a", ts) }

// captures declares one capture per type: an operand every step reads
// whole, which does not change during the loop (Invariant).
func (bb *bodyBuilder) captures(ts ...Type) []*Node { return bb.declare("capture.", ts) }

// declare adds an operand per type, named prefix and its position.
func (bb *bodyBuilder) declare(prefix string, ts []Type) []*Node {
	out := make([]*Node, len(ts))
	for k, t := range ts {
		out[k] = bb.b.Input(fmt.Sprintf("%s%d", prefix, len(bb.ins)), t)
		bb.ins = append(bb.ins, out[k])
	}
	return out
}

// finish names outs as the body's outputs and wraps it.
func (bb *bodyBuilder) finish(outs []*Node, carries, seqs int) *Body {
	for k, o := range outs {
		bb.b.Output(fmt.Sprintf("o%d", k), o)
	}
	body, err := NewBody(bb.b.G, bb.ins, carries, seqs)
	if err != nil {
		panic(fmt.Sprintf("ops: loop derivative: %v", err))
	}
	return body
}

func typesOf(ns []*Node) []Type {
	out := make([]Type, len(ns))
	for k, n := range ns {
		out[k] = n.Type
	}
	return out
}

func stepTypes(ns []*Node) []Type {
	out := make([]Type, len(ns))
	for k, n := range ns {
		out[k] = Type{n.Type.DType, n.Type.Shape[1:]}
	}
	return out
}

func cat(parts ...[]*Node) []*Node {
	var out []*Node
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// cutFlat cuts a flat vector into parts of the given types.
func cutFlat(b *Builder, flat *Node, parts []Type) []*Node {
	out := make([]*Node, len(parts))
	off := DimConst(0)
	for k, t := range parts {
		size := t.Shape.NumElems()
		piece := b.Must(Slice, Attrs{"begin": Shape{off}, "end": Shape{off.Add(size)}}, flat)
		out[k] = b.Must(Reshape, Attrs{"shape": t.Shape}, piece)
		off = off.Add(size)
	}
	return out
}

// loopVJP runs the body's VJP backwards over the steps: its carries are the
// gradient of the carry and the sums of the captures' gradients; its
// sequences the saved carries, the sequences, the y's gradients and the
// histories' gradients.
func loopVJP(b *Builder, n *Node, g *Node) []*Node {
	if bodyVJP == nil {
		panic("ops: loop: no body derivatives installed (import package autodiff)")
	}
	body := LoopBody(n)
	nc, ns, ny := body.Carries, body.Seqs, body.Ys()
	save := n.Attrs.Bool("save", false)
	fwd := n
	if !save {
		fwd = b.Must(Loop, n.Attrs.With("save", true), n.In...)
	}
	hist := LoopOutputs(b, fwd)[nc+ny:]
	steps := LoopSteps(n)
	gs := cutFlat(b, g, LoopParts(body, steps, save))
	gFinal, gYs, gHist := gs[:nc], gs[nc:nc+ny], gs[nc+ny:]
	carries, seqs, caps := n.In[:nc], n.In[nc:nc+ns], n.In[nc+ns:]

	bb := newBodyBuilder(n.Pos)
	dc := bb.args(typesOf(carries)...)
	dw := bb.args(typesOf(caps)...)
	c := bb.args(typesOf(carries)...)
	x := bb.args(stepTypes(seqs)...)
	dy := bb.args(stepTypes(gYs)...)
	dh := bb.args(stepTypes(gHist)...)
	w := bb.captures(typesOf(caps)...)
	ins := cat(c, x, w)
	outs := Inline(bb.b, body, ins)
	grads, err := bodyVJP(bb.b, outs, ins, cat(dc, dy))
	if err != nil {
		panic(fmt.Sprintf("ops: loop: the body's VJP: %v", err))
	}
	var next []*Node
	for k := range dc {
		d := grads[k]
		if save {
			d = bb.b.Add(d, dh[k])
		}
		next = append(next, d)
	}
	for k := range dw {
		next = append(next, bb.b.Add(dw[k], grads[nc+ns+k]))
	}
	back := bb.finish(cat(next, grads[nc:nc+ns]), nc+len(caps), nc+ns+ny+len(dh))

	zeros := make([]*Node, len(caps))
	for k, x := range caps {
		zeros[k] = b.Full(x.Type, 0)
	}
	bwd := b.Must(Loop, Attrs{"body": back, "reverse": !n.Attrs.Bool("reverse", false)},
		cat(gFinal, zeros, hist, seqs, gYs, gHist, caps)...)
	parts := LoopOutputs(b, bwd)
	return cat(parts[:nc], parts[nc+len(caps):], parts[nc:nc+len(caps)])
}

// loopJVP runs the body's JVP over the steps, carrying each carry with its
// tangent; the tangent of the result is cut from that loop's result.
func loopJVP(b *Builder, n *Node, t []*Node) *Node {
	if bodyJVP == nil {
		panic("ops: loop: no body derivatives installed (import package autodiff)")
	}
	body := LoopBody(n)
	nc, ns, ny := body.Carries, body.Seqs, body.Ys()
	tan := make([]*Node, len(n.In))
	for k, x := range n.In {
		if tan[k] = t[k]; tan[k] == nil {
			tan[k] = b.Full(x.Type, 0)
		}
	}
	carries, seqs, caps := n.In[:nc], n.In[nc:nc+ns], n.In[nc+ns:]
	bb := newBodyBuilder(n.Pos)
	c := bb.args(typesOf(carries)...)
	dc := bb.args(typesOf(carries)...)
	x := bb.args(stepTypes(seqs)...)
	dx := bb.args(stepTypes(seqs)...)
	w := bb.captures(typesOf(caps)...)
	dw := bb.captures(typesOf(caps)...)
	ins := cat(c, x, w)
	outs := Inline(bb.b, body, ins)
	tans, err := bodyJVP(bb.b, outs, ins, cat(dc, dx, dw))
	if err != nil {
		panic(fmt.Sprintf("ops: loop: the body's JVP: %v", err))
	}
	fj := bb.finish(cat(outs[:nc], tans[:nc], outs[nc:], tans[nc:]), 2*nc, 2*ns)
	save := n.Attrs.Bool("save", false)
	lj := b.Must(Loop, Attrs{"body": fj, "reverse": n.Attrs.Bool("reverse", false), "save": save},
		cat(carries, tan[:nc], seqs, tan[nc:nc+ns], caps, tan[nc+ns:])...)
	parts := LoopOutputs(b, lj)
	pieces := cat(parts[nc:2*nc], parts[2*nc+ny:2*nc+2*ny])
	if save {
		pieces = append(pieces, parts[3*nc+2*ny:]...)
	}
	for k, p := range pieces {
		pieces[k] = b.Must(Reshape, Attrs{"shape": Shape{p.Type.Shape.NumElems()}}, p)
	}
	if len(pieces) == 1 {
		return pieces[0]
	}
	return b.Must(Concat, Attrs{"axis": 0}, pieces...)
}

// loopChecks are the gradient checker's cases: the step
// z = h·w + x_t, h' = z / (1 + z²), y_t = h'·x_t (elementwise, w a
// captured weight), forwards with the histories saved and backwards
// without. (The cases are built as the package initializes, so they use
// only ops registered by files that sort before this one.)
func loopChecks() []CheckCase {
	bb := newBodyBuilder(Pos{})
	f64 := func(s ...int) Type { return Type{tensor.F64, ShapeOf(s...)} }
	h := bb.args(f64(2, 3))[0]
	x := bb.args(f64(3))[0]
	w := bb.captures(f64(2, 3))[0]
	z := bb.b.Add(bb.b.Mul(h, w), x)
	h2 := bb.b.Div(z, bb.b.Add(bb.b.Scalar(tensor.F64, 1), bb.b.Mul(z, z)))
	body := bb.finish([]*Node{h2, bb.b.Mul(h2, x)}, 1, 1)
	in := []Type{f64(2, 3), f64(4, 3), f64(2, 3)}
	return []CheckCase{
		{In: in, Attrs: Attrs{"body": body, "save": true}},
		{In: in, Attrs: Attrs{"body": body, "reverse": true}},
	}
}
