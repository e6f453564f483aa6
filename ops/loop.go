package ops

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// loop(carries..., seqs..., captures...) runs a step graph (its "body", a
// *Body) once per position t of its sequences, in a loop of the plan rather
// than unrolled into the graph, so that the graph, the compile time and the
// plan stay the same size whatever the sequence length. The body takes
// (carries, the sequences' slices at t, captures) and returns (the new
// carries, y_t...). The result is one flat vector holding, in order: the
// final carries, each y stacked along a new axis 0 ([T, ...], slot t for
// position t), and, with the "save" attribute, each carry as it entered
// every step (its history, [T, ...]), which the gradient reads. "reverse"
// runs t from T-1 down to 0. LoopOutputs cuts the vector into its parts;
// they are views of it.
//
// Random ops in the body draw with the execution's seed mixed with t, so
// each step draws afresh and a recomputation of step t (the gradient's)
// draws the same values.
//
// The VJP is a loop running the other way: its body recomputes the step
// from the saved carry and pulls the gradients back through it, carrying
// the gradient of the carry and the sums of the captures' gradients; its
// own derivatives are loops again, so a loop differentiates to any order.
// The JVP is a loop over the body's JVP. The body graphs of both are built
// with package autodiff's transforms (SetBodyDerivatives).

// Loop is the op "loop".
var Loop *Op

// Body is a loop's step: a graph whose Input leaves Ins are the step's
// operands (carries, the sequences' slices at t, captures, in that order)
// and whose outputs are the new carries, then the per-step results y_t.
type Body struct {
	G       *Graph
	Ins     []*Node
	Carries int // number of carries: the first Carries of Ins and of G.Outputs
	Seqs    int // number of sequences, the Ins after the carries
	id      int64
}

var bodyIDs atomic.Int64

// NewBody checks a step graph and wraps it. ins are g's Input leaves in
// operand order; g's outputs are the carries (of the types of the first
// carries ins) followed by the per-step results. Every operand and result
// has one float element type, and g has no other leaves.
func NewBody(g *Graph, ins []*Node, carries, seqs int) (*Body, error) {
	if carries < 0 || seqs < 1 || carries+seqs > len(ins) {
		return nil, fmt.Errorf("loop body: %d carries and %d sequences for %d operands (a loop needs a sequence)", carries, seqs, len(ins))
	}
	if len(g.Outputs) < carries {
		return nil, fmt.Errorf("loop body: %d outputs for %d carries", len(g.Outputs), carries)
	}
	own := map[*Node]bool{}
	for _, x := range ins {
		if x.Op != Input || x.ID >= len(g.Nodes) || g.Nodes[x.ID] != x || own[x] {
			return nil, fmt.Errorf("loop body: operand %s is not an input of its own graph", x)
		}
		own[x] = true
	}
	for _, n := range g.Nodes {
		if n.Op.Leaf && !own[n] {
			return nil, fmt.Errorf("loop body: %s %q is not one of its operands", n.Op.Name, n.Name())
		}
	}
	dt := ins[0].Type.DType
	for _, x := range ins {
		if x.Type.DType != dt || !dt.IsFloat() {
			return nil, fmt.Errorf("loop body: operands of types %v and %v; a loop takes float operands of one element type", ins[0].Type, x.Type)
		}
	}
	for k, o := range g.Outputs {
		if o.Node.Type.DType != dt {
			return nil, fmt.Errorf("loop body: result %d is %v; a loop's results have its operands' element type %v", k, o.Node.Type, dt)
		}
		if k < carries && !o.Node.Type.Equal(ins[k].Type) {
			return nil, fmt.Errorf("loop body: carry %d goes in as %v and comes out as %v", k, ins[k].Type, o.Node.Type)
		}
	}
	return &Body{G: g, Ins: ins, Carries: carries, Seqs: seqs, id: bodyIDs.Add(1)}, nil
}

// String names the body uniquely ("body#3"), which keeps two loops over
// different bodies apart when nodes are hash-consed.
func (b *Body) String() string {
	return fmt.Sprintf("body#%d(%d nodes)", b.id, len(b.G.Nodes))
}

// Captures is the number of operands after the sequences: values every
// step reads whole (weights).
func (b *Body) Captures() int { return len(b.Ins) - b.Carries - b.Seqs }

// Ys is the number of per-step results.
func (b *Body) Ys() int { return len(b.G.Outputs) - b.Carries }

// Invariant reports whether n's value cannot change while a plan (or a
// loop) runs, so that kernels may keep derived forms of it in ctx.Packs: a
// param, or a loop body's capture (an input named "capture.N").
func Invariant(n *Node) bool {
	return n.Op == Param || n.Op == Input && strings.HasPrefix(n.Name(), "capture.")
}

// LoopBody is a loop node's body.
func LoopBody(n *Node) *Body {
	body, _ := n.Attrs["body"].(*Body)
	return body
}

// LoopParts are the types of the parts of a loop's flat result: the final
// carries, the stacked y's and, when saved, the carries' histories.
func LoopParts(body *Body, steps Dim, save bool) []Type {
	var out []Type
	for k := 0; k < body.Carries; k++ {
		out = append(out, body.Ins[k].Type)
	}
	stacked := func(t Type) Type {
		return Type{t.DType, append(Shape{steps}, t.Shape...)}
	}
	for _, o := range body.G.Outputs[body.Carries:] {
		out = append(out, stacked(o.Node.Type))
	}
	if save {
		for k := 0; k < body.Carries; k++ {
			out = append(out, stacked(body.Ins[k].Type))
		}
	}
	return out
}

// LoopSteps is the length of a loop node's sequences.
func LoopSteps(n *Node) Dim {
	return n.In[LoopBody(n).Carries].Type.Shape[0]
}

// LoopOutputs cuts a loop node's flat result into its parts (LoopParts):
// final carries, stacked y's, histories.
func LoopOutputs(b *Builder, n *Node) []*Node {
	return cutFlat(b, n, LoopParts(LoopBody(n), LoopSteps(n), n.Attrs.Bool("save", false)))
}

// LoopCuttable reports whether the slices LoopOutputs cuts from the flat
// result of a loop over body with these operands, and from the flat
// results of the loops that differentiate it, can find their bounds from
// its length when they run: when the operands' types have at most one
// shape variable, which that length binds (linearly: a symbolic batch with
// a constant sequence length, or the reverse).
func LoopCuttable(body *Body, operands []*Node) bool {
	vars := map[string]bool{}
	for _, x := range operands {
		for _, d := range x.Type.Shape {
			for _, v := range d.Vars() {
				vars[v] = true
			}
		}
	}
	if len(vars) > 1 {
		return false
	}
	parts := LoopParts(body, operands[body.Carries].Type.Shape[0], true)
	total := partsSize(parts)
	off := DimConst(0)
	for _, t := range parts {
		size := t.Shape.NumElems()
		if !boundsResolvable(Shape{off}, Shape{off.Add(size)}, Shape{total}, Shape{size}) {
			return false
		}
		off = off.Add(size)
	}
	return true
}

// loopInfer is the loop's type rule.
func loopInfer(in []Type, a Attrs) (Type, error) {
	body, ok := a["body"].(*Body)
	if !ok {
		return Type{}, &InferError{"loop", "needs a body attribute"}
	}
	if len(in) != len(body.Ins) {
		return Type{}, &InferError{"loop", fmt.Sprintf("its body takes %d operands, got %d", len(body.Ins), len(in))}
	}
	var steps Dim
	for k, t := range in {
		want := body.Ins[k].Type
		if k >= body.Carries && k < body.Carries+body.Seqs {
			if t.Shape.Rank() != want.Shape.Rank()+1 || !t.Shape[1:].Equal(want.Shape) || t.DType != want.DType {
				return Type{}, &InferError{"loop", fmt.Sprintf("sequence {%d} is %v; its steps are %v", k, t, want)}
			}
			if k == body.Carries {
				steps = t.Shape[0]
			} else if t.Shape[0] != steps {
				return Type{}, &InferError{"loop", fmt.Sprintf("sequences of lengths %v and %v", steps, t.Shape[0])}
			}
			continue
		}
		if !t.Equal(want) {
			return Type{}, &InferError{"loop", fmt.Sprintf("operand {%d} is %v; the body takes %v", k, t, want)}
		}
	}
	return Type{body.Ins[0].Type.DType, Shape{partsSize(LoopParts(body, steps, a.Bool("save", false)))}}, nil
}

// partsSize is the elements of a flat result holding parts.
func partsSize(parts []Type) Dim {
	total := DimConst(0)
	for _, p := range parts {
		total = total.Add(p.Shape.NumElems())
	}
	return total
}

func init() {
	Register(&Loop, &Op{
		Name:      "loop",
		Arity:     -1,
		Doc:       "loop(carries..., seqs..., captures...): a step graph run once per position of the sequences, as a loop of the plan (the non-unrolled scan)",
		Infer:     loopInfer,
		VJP:       loopVJP,
		JVP:       loopJVP,
		Kernel:    loopKernel,
		Flops:     loopFlops,
		Scratch:   loopScratch,
		Workspace: loopWorkspace,
		Check:     loopChecks(),
	})
}
