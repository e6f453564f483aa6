package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// The loop's kernel prepares its body once, like a small plan: every body
// node the outputs need gets a buffer and a prepared kernel when the plan is
// made, so that running the loop allocates nothing. Each step points the
// sequences' operands at their slices, runs the body's kernels in order and
// copies the new carries and the y's out.

// loopEnv binds the body's shape variables from the loop's concrete operand
// shapes and returns the shape of every body node the outputs need (nil for
// the others) and the number of steps.
func loopEnv(n *Node, in [][]int) (map[string]int64, [][]int, int, error) {
	body := LoopBody(n)
	if body == nil || len(in) != len(body.Ins) || body.Seqs < 1 {
		return nil, nil, 0, fmt.Errorf("loop: malformed node")
	}
	steps := in[body.Carries][0]
	vals := make([]*tensor.Tensor, len(body.Ins))
	for k, x := range body.Ins {
		s := in[k]
		if k >= body.Carries && k < body.Carries+body.Seqs {
			s = s[1:]
		}
		vals[k] = &tensor.Tensor{DType: x.Type.DType, Shape: s}
	}
	env, err := BindShapes(body.Ins, vals)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("loop: %v", err)
	}
	needed := body.G.Needed()
	shapes := make([][]int, len(body.G.Nodes))
	for _, x := range body.G.Nodes {
		if !needed[x.ID] && !x.Op.Leaf {
			continue
		}
		if shapes[x.ID], err = x.Type.Shape.Eval(env); err != nil {
			return nil, nil, 0, fmt.Errorf("loop: %v: %s: %v", x.Pos, x.Op.Name, err)
		}
	}
	return env, shapes, steps, nil
}

// bodyInShapes is the operand shapes of body node x.
func bodyInShapes(x *Node, shapes [][]int) [][]int {
	in := make([][]int, len(x.In))
	for i, y := range x.In {
		in[i] = shapes[y.ID]
	}
	return in
}

// loopFlops is T times the body's FLOPs.
func loopFlops(n *Node, in [][]int, out []int) int64 {
	env, _, steps, err := loopEnv(n, in)
	if err != nil {
		return 0
	}
	f, err := Flops(LoopBody(n).G, env)
	if err != nil {
		return 0
	}
	return kernels.MulBytes(f, int64(steps))
}

// loopScratch is the body's buffers and its kernels' own scratch. The
// sequences' and captures' operands, views of the loop's operands, are
// counted too: an upper bound that also covers the packed forms of
// captures the loop keeps (a product's packed op(B) holds about as many
// elements as the operand).
func loopScratch(n *Node, in [][]int, out []int, f32 bool) int64 {
	_, shapes, _, err := loopEnv(n, in)
	if err != nil {
		return 0
	}
	var total int64
	for _, x := range LoopBody(n).G.Nodes {
		s := shapes[x.ID]
		if s == nil {
			continue
		}
		total = kernels.AddBytes(total, kernels.MulBytes(elems64(s), int64(x.Type.DType.Size())))
		if x.Op.Scratch != nil && !x.Op.Leaf {
			total = kernels.AddBytes(total, x.Op.Scratch(x, bodyInShapes(x, shapes), s, x.Type.DType == tensor.F32))
		}
	}
	return total
}

// loopWorkspace is the largest workspace of the body's kernels, which run
// one at a time.
func loopWorkspace(n *Node, in [][]int, out []int, f32 bool) int64 {
	_, shapes, _, err := loopEnv(n, in)
	if err != nil {
		return 0
	}
	var most int64
	for _, x := range LoopBody(n).G.Nodes {
		if s := shapes[x.ID]; s != nil && x.Op.Workspace != nil && !x.Op.Leaf {
			most = max(most, x.Op.Workspace(x, bodyInShapes(x, shapes), s, f32))
		}
	}
	return most
}

// loopStep is one prepared body kernel.
type loopStep struct {
	run KernelFunc
	out *tensor.Tensor
	in  []*tensor.Tensor
}

// loopKernel prepares the body for the operands' shapes.
func loopKernel(n *Node, in [][]int, out []int) (KernelFunc, error) {
	body := LoopBody(n)
	_, shapes, steps, err := loopEnv(n, in)
	if err != nil {
		return nil, err
	}
	reverse, save := n.Attrs.Bool("reverse", false), n.Attrs.Bool("save", false)
	bufs := make([]*tensor.Tensor, len(body.G.Nodes))
	carries, seqs := body.Carries, body.Seqs
	for k, x := range body.Ins {
		if k < carries {
			bufs[x.ID] = tensor.New(x.Type.DType, shapes[x.ID]...)
		} else {
			bufs[x.ID] = &tensor.Tensor{DType: x.Type.DType, Shape: shapes[x.ID]}
		}
	}
	var prog []loopStep
	for _, x := range body.G.Nodes {
		if x.Op.Leaf || shapes[x.ID] == nil {
			continue
		}
		if x.Op.Kernel == nil {
			return nil, fmt.Errorf("loop: %v: %s has no kernel", x.Pos, x.Op.Name)
		}
		run, err := x.Op.Kernel(x, bodyInShapes(x, shapes), shapes[x.ID])
		if err != nil {
			return nil, fmt.Errorf("loop: %v: %v", x.Pos, err)
		}
		st := loopStep{run: run, out: tensor.New(x.Type.DType, shapes[x.ID]...)}
		for _, y := range x.In {
			st.in = append(st.in, bufs[y.ID])
		}
		bufs[x.ID] = st.out
		prog = append(prog, st)
	}
	outs := body.G.Outputs
	size := func(x *Node) int { return tensor.NumElems(shapes[x.ID]) }
	carryOff, yOff, histOff, total := loopLayout(body, size, steps, save)
	if total != tensor.NumElems(out) {
		return nil, fmt.Errorf("loop: the parts hold %d elements, the result %d", total, tensor.NumElems(out))
	}
	stage, swap := carryMoves(body, shapes)
	// Products by a capture keep its packed form for the whole loop.
	var packs kernels.PackCache
	var bctx Ctx
	return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
		packs.Invalidate()
		bctx = Ctx{Work: ctx.Work, Packs: &packs}
		for k := 0; k < carries; k++ {
			copyElems(bufs[body.Ins[k].ID], 0, in[k], 0, size(body.Ins[k]))
		}
		for k := carries + seqs; k < len(body.Ins); k++ {
			viewElems(bufs[body.Ins[k].ID], in[k], 0)
		}
		for i := 0; i < steps; i++ {
			t := i
			if reverse {
				t = steps - 1 - i
			}
			bctx.Seed = stepSeed(ctx.Seed, t)
			for k := carries; k < carries+seqs; k++ {
				x := body.Ins[k]
				viewElems(bufs[x.ID], in[k], t*size(x))
			}
			for k := range histOff {
				x := body.Ins[k]
				copyElems(o, histOff[k]+t*size(x), bufs[x.ID], 0, size(x))
			}
			for _, st := range prog {
				st.run(&bctx, st.out, st.in)
				if bctx.Err != nil {
					ctx.Fail(bctx.Err)
					return
				}
			}
			for k, y := range outs[carries:] {
				copyElems(o, yOff[k]+t*size(y.Node), bufs[y.Node.ID], 0, size(y.Node))
			}
			for k, s := range stage {
				if s != nil {
					copyElems(s, 0, bufs[outs[k].Node.ID], 0, s.Len())
				}
			}
			for k := 0; k < carries; k++ {
				c, src := bufs[body.Ins[k].ID], bufs[outs[k].Node.ID]
				switch {
				case swap[k]:
					c.F32, c.F64, src.F32, src.F64 = src.F32, src.F64, c.F32, c.F64
				case stage[k] != nil:
					copyElems(c, 0, stage[k], 0, c.Len())
				default:
					copyElems(c, 0, src, 0, c.Len())
				}
			}
		}
		for k := 0; k < carries; k++ {
			copyElems(o, carryOff[k], bufs[body.Ins[k].ID], 0, size(body.Ins[k]))
		}
	}, nil
}

// loopLayout is the offsets of the parts of a loop's flat result
// (LoopParts) and its length.
func loopLayout(body *Body, size func(*Node) int, steps int, save bool) (carryOff, yOff, histOff []int, off int) {
	for k := 0; k < body.Carries; k++ {
		carryOff = append(carryOff, off)
		off += size(body.Ins[k])
	}
	for _, o := range body.G.Outputs[body.Carries:] {
		yOff = append(yOff, off)
		off += steps * size(o.Node)
	}
	if save {
		for k := 0; k < body.Carries; k++ {
			histOff = append(histOff, off)
			off += steps * size(body.Ins[k])
		}
	}
	return carryOff, yOff, histOff, off
}

// carryMoves says how each carry takes its new value after a step. One
// that is a body node of its own, the new value of no other carry, trades
// buffers with the carry (swap) instead of being copied into it. One that
// is an operand of the body (a carry passed through, or carries swapped)
// is staged, so that the copies into the carries do not read what an
// earlier copy wrote.
func carryMoves(body *Body, shapes [][]int) (stage []*tensor.Tensor, swap []bool) {
	outs := body.G.Outputs[:body.Carries]
	stage = make([]*tensor.Tensor, len(outs))
	swap = make([]bool, len(outs))
	uses := map[*Node]int{}
	for _, o := range outs {
		uses[o.Node]++
	}
	for k, o := range outs {
		if o.Node.Op.Leaf {
			stage[k] = tensor.New(o.Node.Type.DType, shapes[o.Node.ID]...)
		}
		swap[k] = !o.Node.Op.Leaf && uses[o.Node] == 1
	}
	return stage, swap
}

// stepSeed mixes an execution's seed with a loop's step index (splitmix64's
// finalizer), so that the body's random ops draw afresh at every step.
func stepSeed(seed uint64, t int) uint64 {
	z := seed + 0x9e3779b97f4a7c15*uint64(t+1)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// copyElems copies n elements of src from soff to dst from doff (both float
// tensors of one element type).
func copyElems(dst *tensor.Tensor, doff int, src *tensor.Tensor, soff, n int) {
	if dst.DType == tensor.F32 {
		copy(dst.F32[doff:doff+n], src.F32[soff:soff+n])
	} else {
		copy(dst.F64[doff:doff+n], src.F64[soff:soff+n])
	}
}

// viewElems points view (whose shape is set) at src's elements from off.
func viewElems(view, src *tensor.Tensor, off int) {
	n := view.Len()
	if view.DType == tensor.F32 {
		view.F32 = src.F32[off : off+n : off+n]
	} else {
		view.F64 = src.F64[off : off+n : off+n]
	}
}
