package ops

import (
	"fmt"

	"github.com/nnclang/nnc/runtime/kernels"
	"github.com/nnclang/nnc/runtime/tensor"
)

// matmul follows NumPy's matmul: x [..., n, k] @ w [..., k, m] with broadcast
// batch dimensions; a 1-D x is a row and a 1-D w a column, whose added axis is
// dropped from the result.

func init() {
	Register(&Op{
		Name: "matmul", Arity: 2,
		Doc:   "x @ w: matrix product, batched over leading dimensions (NumPy rules)",
		Infer: matmulInfer,
		VJP:   matmulVJP,
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			x, w := n.In[0], n.In[1]
			var a, c *Node
			if t[0] != nil {
				a = b.Must("matmul", nil, t[0], w)
			}
			if t[1] != nil {
				c = b.Must("matmul", nil, x, t[1])
			}
			return sumTangents(b, n.Type, a, c)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			p := kernels.NewMatmul(in[0], in[1])
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { p.F32(o.F32, in[0].F32, in[1].F32) },
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { p.F64(o.F64, in[0].F64, in[1].F64) })
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
		},
	})
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

func matmulInfer(in []Type, a Attrs) (Type, error) {
	dt, err := sameFloat("matmul", in)
	if err != nil {
		return Type{}, err
	}
	if len(in[0].Shape) == 0 || len(in[1].Shape) == 0 {
		return Type{}, &InferError{"matmul", fmt.Sprintf("operands must have at least one axis: {0} is %v, {1} is %v", in[0], in[1])}
	}
	x, w := matrixShapes(in[0].Shape, in[1].Shape)
	if x[len(x)-1] != w[len(w)-2] {
		return Type{}, &InferError{"matmul", fmt.Sprintf("inner dimensions differ: {0} is %v, {1} is %v", in[0], in[1])}
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

// swapLast transposes the last two axes of x.
func swapLast(b *Builder, x *Node) *Node {
	r := x.Type.Shape.Rank()
	perm := make([]int, r)
	for i := range perm {
		perm[i] = i
	}
	perm[r-1], perm[r-2] = r-2, r-1
	return b.Must("transpose", Attrs{"perm": perm}, x)
}

// reshapeTo reshapes x to s, or returns x when it already has that shape.
func reshapeTo(b *Builder, x *Node, s Shape) *Node {
	if x.Type.Shape.Equal(s) {
		return x
	}
	return b.Must("reshape", Attrs{"shape": s}, x)
}

func matmulVJP(b *Builder, n *Node, g *Node) []*Node {
	x, w := n.In[0], n.In[1]
	xs, ws := matrixShapes(x.Type.Shape, w.Type.Shape)
	xe, we := reshapeTo(b, x, xs), reshapeTo(b, w, ws)
	// g with the promoted axes put back: batch + [n, m].
	gs := matmulOutShape(xs, ws)
	ge := reshapeTo(b, g, gs)

	dx := SumTo(b, b.Must("matmul", nil, ge, swapLast(b, we)), xs)

	var dw *Node
	if len(ws) == 2 && len(xs) > 2 {
		// Fold x's batch axes into rows: one [k, rows] @ [rows, m] product.
		rows := xs[:len(xs)-1].NumElems()
		k, m := xs[len(xs)-1], ws[1]
		x2 := reshapeTo(b, xe, Shape{rows, k})
		g2 := reshapeTo(b, ge, Shape{rows, m})
		dw = b.Must("matmul", nil, swapLast(b, x2), g2)
	} else {
		dw = SumTo(b, b.Must("matmul", nil, swapLast(b, xe), ge), ws)
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
