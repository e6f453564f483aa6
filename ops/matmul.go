package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// matmul follows NumPy's matmul: x [..., n, k] @ w [..., k, m] with broadcast
// batch dimensions; a 1-D x is a row and a 1-D w a column, whose added axis is
// dropped from the result. The bool attributes "transpose_x" and
// "transpose_w" say that an operand (of rank 2 or more) holds the transposes
// of its matrices, so that gradient rules multiply by transposes without
// copying them.

// Handles of the ops this file registers.
var (
	// Matmul is the op "matmul": x @ w: matrix product, batched over leading dimensions (NumPy rules); transpose_x, transpose_w
	Matmul *Op
)

func init() {
	Register(&Matmul, &Op{
		Name: "matmul", Arity: 2,
		Flops:     matmulFlops,
		Scratch:   matmulScratch,
		Workspace: matmulWorkspace,
		Rows:      matmulRows,
		Doc:       "x @ w: matrix product, batched over leading dimensions (NumPy rules); transpose_x, transpose_w",
		Infer:     matmulInfer,
		VJP:       matmulVJP,
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			x, w := n.In[0], n.In[1]
			tx, tw := matmulFlags(n.Attrs)
			var a, c *Node
			if t[0] != nil {
				a = mm(b, t[0], w, tx, tw)
			}
			if t[1] != nil {
				c = mm(b, x, t[1], tx, tw)
			}
			return sumTangents(b, n.Type, a, c)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			tx, tw := matmulFlags(n.Attrs)
			p := kernels.NewMatmul(in[0], in[1], tx, tw)
			// The packing buffers are the plan's workspace's (ctx.Work,
			// reserved when the plan is allocated, so that a planned run
			// allocates nothing), lent while the product runs.
			switch n.Type.DType {
			case F32:
				kernels.PrepareShared[float32](p)
			case F64:
				kernels.PrepareShared[float64](p)
			}
			if Invariant(n.In[1]) {
				// A param does not change during a run (nor a loop's
				// capture during the loop): its packed form can be shared
				// by every product by it (ctx.Packs).
				return floatKernel(n,
					func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
						p.F32PackedIn(c.Packs, c.Work, o.F32, in[0].F32, in[1].F32)
					},
					func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
						p.F64PackedIn(c.Packs, c.Work, o.F64, in[0].F64, in[1].F64)
					})
			}
			return floatKernel(n,
				func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { p.F32In(c.Work, o.F32, in[0].F32, in[1].F32) },
				func(c *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { p.F64In(c.Work, o.F64, in[0].F64, in[1].F64) })
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4), T(4, 5)}},
			{In: []Type{T(2, 3, 4), T(4, 5)}},
			{In: []Type{T(2, 3, 4), T(2, 4, 5)}},
			{In: []Type{T(2, 1, 3, 4), T(3, 4, 2)}},
			{In: []Type{T(3, 4), T(2, 4, 5)}},
			{In: []Type{T(4), T(4, 5)}},
			{In: []Type{T(3, 4), T(4)}},
			{In: []Type{T(4), T(4)}},
			{In: []Type{T(2, 3, 4), T(4)}},
			{In: []Type{T(4, 3), T(4, 5)}, Attrs: Attrs{"transpose_x": true}},
			{In: []Type{T(3, 4), T(5, 4)}, Attrs: Attrs{"transpose_w": true}},
			{In: []Type{T(2, 4, 3), T(2, 5, 4)}, Attrs: Attrs{"transpose_x": true, "transpose_w": true}},
			{In: []Type{T(2, 3, 4), T(5, 4)}, Attrs: Attrs{"transpose_w": true}},
			{In: []Type{T(2, 4, 3), T(4, 5)}, Attrs: Attrs{"transpose_x": true}},
			{In: []Type{T(4, 3), T(2, 4, 5)}, Attrs: Attrs{"transpose_x": true}},
		},
	})
}

func matmulFlags(a Attrs) (tx, tw bool) {
	return a.Bool("transpose_x", false), a.Bool("transpose_w", false)
}

// mm is matmul with transpose flags, set as attributes only when true.
func mm(b *Builder, x, w *Node, tx, tw bool) *Node {
	var a Attrs
	if tx || tw {
		a = Attrs{}
		if tx {
			a["transpose_x"] = true
		}
		if tw {
			a["transpose_w"] = true
		}
	}
	return b.Must(Matmul, a, x, w)
}

// matrixShapes promotes 1-D operands to matrices as NumPy does.
func matrixShapes(x, w Shape) (Shape, Shape) {
	if len(x) == 1 {
		x = Shape{DimConst(1), x[0]}
	}
	if len(w) == 1 {
		w = Shape{w[0], DimConst(1)}
	}
	return x, w
}

// swapped is s with its last two dimensions exchanged.
func swapped(s Shape) Shape {
	out := append(Shape(nil), s...)
	r := len(out)
	out[r-1], out[r-2] = out[r-2], out[r-1]
	return out
}

func matmulInfer(in []Type, a Attrs) (Type, error) {
	dt, err := sameFloat("matmul", in)
	if err != nil {
		return Type{}, err
	}
	if len(in[0].Shape) == 0 || len(in[1].Shape) == 0 {
		return Type{}, &InferError{"matmul", fmt.Sprintf("operands must have at least one axis: {0} is %v, {1} is %v", in[0], in[1])}
	}
	tx, tw := matmulFlags(a)
	if (tx && len(in[0].Shape) < 2) || (tw && len(in[1].Shape) < 2) {
		return Type{}, &InferError{"matmul", fmt.Sprintf("only operands of rank 2 or more can be transposed: {0} is %v, {1} is %v", in[0], in[1])}
	}
	x, w := matrixShapes(in[0].Shape, in[1].Shape)
	if tx {
		x = swapped(x)
	}
	if tw {
		w = swapped(w)
	}
	if x[len(x)-1] != w[len(w)-2] {
		return Type{}, &InferError{"matmul", fmt.Sprintf("inner dimensions differ: {0} is %v, {1} is %v%s", in[0], in[1], flagNote(tx, tw))}
	}
	batch, err := BroadcastShapes(x[:len(x)-2], w[:len(w)-2])
	if err != nil {
		return Type{}, &InferError{"matmul", fmt.Sprintf("batch dimensions do not broadcast: {0} is %v, {1} is %v", in[0], in[1])}
	}
	out := append(Shape(nil), batch...)
	if len(in[0].Shape) >= 2 {
		out = append(out, x[len(x)-2])
	}
	if len(in[1].Shape) >= 2 {
		out = append(out, w[len(w)-1])
	}
	return Type{dt, out}, nil
}

func flagNote(tx, tw bool) string {
	switch {
	case tx && tw:
		return " (both transposed)"
	case tx:
		return " ({0} transposed)"
	case tw:
		return " ({1} transposed)"
	}
	return ""
}

// reshapeTo reshapes x to s, or returns x when it already has that shape.
func reshapeTo(b *Builder, x *Node, s Shape) *Node {
	if x.Type.Shape.Equal(s) {
		return x
	}
	return b.Must(Reshape, Attrs{"shape": s}, x)
}

// matmulVJP: with X = op(x), W = op(w) and out = X @ W, dX = g @ Wᵀ and
// dW = Xᵀ @ g; an operand stored transposed gets the transpose of its
// gradient, which is again one matmul with flags. Broadcast batch axes are
// summed away.
func matmulVJP(b *Builder, n *Node, g *Node) []*Node {
	x, w := n.In[0], n.In[1]
	tx, tw := matmulFlags(n.Attrs)
	xs, ws := matrixShapes(x.Type.Shape, w.Type.Shape)
	xe, we := reshapeTo(b, x, xs), reshapeTo(b, w, ws)
	lx, lw := xs, ws // logical (untransposed) shapes
	if tx {
		lx = swapped(xs)
	}
	if tw {
		lw = swapped(ws)
	}
	// g with the promoted axes put back: batch + [n, m].
	ge := reshapeTo(b, g, matmulOutShape(lx, lw))

	var dx *Node
	if !tx {
		dx = mm(b, ge, we, false, !tw) // g @ Wᵀ
	} else {
		dx = mm(b, we, ge, tw, true) // (g @ Wᵀ)ᵀ = W @ gᵀ
	}
	dx = b.SumTo(dx, xs)

	var dw *Node
	if len(ws) == 2 && len(xs) > 2 && !tx {
		// Fold x's batch axes into rows: one product over all of them.
		rows := xs[:len(xs)-1].NumElems()
		x2 := reshapeTo(b, xe, Shape{rows, xs[len(xs)-1]})
		g2 := reshapeTo(b, ge, Shape{rows, lw[1]})
		if !tw {
			dw = mm(b, x2, g2, true, false) // Xᵀ @ g
		} else {
			dw = mm(b, g2, x2, true, false) // gᵀ @ X
		}
	} else {
		if !tw {
			dw = mm(b, xe, ge, !tx, false) // Xᵀ @ g
		} else {
			dw = mm(b, ge, xe, true, tx) // (Xᵀ @ g)ᵀ = gᵀ @ X
		}
		dw = b.SumTo(dw, ws)
	}
	return []*Node{reshapeTo(b, dx, x.Type.Shape), reshapeTo(b, dw, w.Type.Shape)}
}

// matmulOutShape is the result shape of matrices xs @ ws (both rank >= 2).
func matmulOutShape(xs, ws Shape) Shape {
	batch, err := BroadcastShapes(xs[:len(xs)-2], ws[:len(ws)-2])
	if err != nil {
		panic("ops: matmul operands were checked: " + err.Error())
	}
	return append(append(Shape(nil), batch...), xs[len(xs)-2], ws[len(ws)-1])
}

// matmulFlops is 2·(batch)·n·k·m: a multiply-add per output element and
// step of the contracted dimension.
func matmulFlops(n *Node, in [][]int, out []int) int64 {
	x := in[0]
	var k int
	switch {
	case len(x) == 1:
		k = x[0]
	case n.Attrs.Bool("transpose_x", false):
		k = x[len(x)-2]
	default:
		k = x[len(x)-1]
	}
	return satMul(satMul(2, elems(out)), int64(k))
}

// matmulScratch is the packed panels of the product of operands 0 and 1.
// matmulWorkspace is the elements of the product's packed operands, which
// its kernel borrows from ctx.Work.
func matmulWorkspace(n *Node, in [][]int, _ []int, f32 bool) int64 {
	tx, tw := matmulFlags(n.Attrs)
	if f32 {
		return kernels.MatmulWorkspace[float32](in[0], in[1], tx, tw)
	}
	return kernels.MatmulWorkspace[float64](in[0], in[1], tx, tw)
}

func matmulScratch(n *Node, in [][]int, _ []int, f32 bool) int64 {
	tx, tw := matmulFlags(n.Attrs)
	if f32 {
		return kernels.MatmulScratch[float32](in[0], in[1], tx, tw)
	}
	return kernels.MatmulScratch[float64](in[0], in[1], tx, tw)
}
