package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// gru_cell(xw [B, 3H], hw [B, 3H], h [B, H]) is the elementwise tail of one
// GRU step, fused: with xw = x·W_ih + b_ih and hw = h·W_hh + b_hh in
// PyTorch's gate order r, z, n,
//
//	r = σ(xr + hr),  z = σ(xz + hz),  n = tanh(xn + r·hn),
//	h' = (1 - z)·n + z·h,
//
// as five planes [5, B, H]: h', then r, z, n and hn, which the backward
// reads instead of recomputing them. Its VJP is gru_cell_grad, one kernel
// giving the gradients of xw, hw and h together ([B, 7H]) from those
// planes; both ops' other derivatives go through their decompositions
// into slices, sigmoid, tanh, mul, add and sub (decompose.go), so they
// differentiate to any order.

// Handles of the ops this file registers.
var (
	// GRUCell is the op "gru_cell".
	GRUCell *Op
	// GRUCellGrad is the op "gru_cell_grad".
	GRUCellGrad *Op
)

// gruType checks gru_cell's xw and hw [B, 3H] and h [B, H] (one float
// type) and returns its result's type [5, B, H].
func gruType(in []Type) (Type, error) {
	dt, err := sameFloat("gru_cell", in)
	if err != nil {
		return Type{}, err
	}
	xw, hw, h := in[0].Shape, in[1].Shape, in[2].Shape
	if xw.Rank() != 2 || h.Rank() != 2 || !hw.Equal(xw) || xw[0] != h[0] || xw[1] != DimConst(3).Mul(h[1]) {
		return Type{}, &InferError{"gru_cell", fmt.Sprintf("needs xw and hw [B, 3*H] and h [B, H]: got {0} %v, {1} %v and {2} %v", in[0], in[1], in[2])}
	}
	return Type{dt, Shape{DimConst(kernels.GRUPlanes), h[0], h[1]}}, nil
}

// gruDecomp is gru_cell(xw, hw, h) written with other ops.
func gruDecomp(b *Builder, xw, hw, h *Node) *Node {
	hd := h.Type.Shape[1]
	part := func(x *Node, k int64) *Node { return cut(b, x, 1, DimConst(k).Mul(hd), hd) }
	r := un(b, Sigmoid, b.Add(part(xw, 0), part(hw, 0)))
	z := un(b, Sigmoid, b.Add(part(xw, 1), part(hw, 1)))
	hn := part(hw, 2)
	n := un(b, Tanh, b.Add(part(xw, 2), b.Mul(r, hn)))
	h2 := b.Add(b.Mul(b.Sub(scalar(b, h, 1), z), n), b.Mul(z, h))
	return b.Must(Stack, Attrs{"axis": 0}, h2, r, z, n, hn)
}

// gruGradIn is gru_cell_grad's gradient operand for the gradient g of
// gru_cell's planes: g itself, or, when only h' has a gradient (the cell
// read through its plane 0 alone, PlaneGrads), the gradient of h' [B, H],
// so that no planes of zeros are written or read.
func gruGradIn(b *Builder, h, g *Node) *Node {
	gs, ok := PlaneGrads(b, g, h.Type.Shape)
	if !ok || gs[0] == nil {
		return g
	}
	for _, x := range gs[1:] {
		if x != nil {
			return g
		}
	}
	return gs[0]
}

// gruGradDecomp is gru_cell_grad(y, h, g) written with other ops; g is the
// five planes' gradient, or that of h' ([B, H]).
func gruGradDecomp(b *Builder, y, h, g *Node) *Node {
	pl := func(x *Node, k int64) *Node {
		return b.Must(Reshape, Attrs{"shape": h.Type.Shape}, cut(b, x, 0, DimConst(k), DimConst(1)))
	}
	gp := func(k int64) *Node {
		if g.Type.Shape.Rank() == 3 {
			return pl(g, k)
		}
		if k == 0 {
			return g
		}
		return nil
	}
	plus := func(x *Node, k int64) *Node {
		if d := gp(k); d != nil {
			return b.Add(x, d)
		}
		return x
	}
	one := scalar(b, h, 1)
	r, z, n, hn := pl(y, 1), pl(y, 2), pl(y, 3), pl(y, 4)
	g0 := gp(0)
	dxn := b.Mul(plus(b.Mul(g0, b.Sub(one, z)), 3), b.Sub(one, b.Mul(n, n)))
	dr := b.Mul(b.Mul(plus(b.Mul(dxn, hn), 1), r), b.Sub(one, r))
	dz := b.Mul(b.Mul(plus(b.Mul(g0, b.Sub(h, n)), 2), z), b.Sub(one, z))
	rows := DimConst(3).Mul(h.Type.Shape[0])
	join := func(x ...*Node) *Node {
		return b.Must(Reshape, Attrs{"shape": Shape{rows, h.Type.Shape[1]}}, b.Must(Concat, Attrs{"axis": 1}, x...))
	}
	return b.Must(Concat, Attrs{"axis": 0}, join(dr, dz, dxn), join(dr, dz, plus(b.Mul(dxn, r), 4)), b.Mul(g0, z))
}

// gruFlops is k FLOPs per hidden unit (an element of operand i, h).
func gruFlops(k int64, i int) FlopFunc {
	return func(_ *Node, in [][]int, _ []int) int64 { return satMul(k, elems(in[i])) }
}

// gruExport writes gru_cell in ONNX (opset 17): Splits of xw and hw,
// Sigmoid, Tanh, Mul, Add, Sub, and the five planes stacked.
func gruExport(e Exporter, n *Node, in []string) (string, error) {
	h, ok := n.In[2].Type.Shape[1].IsConst()
	if !ok {
		return "", exportErr(n, "the hidden size %v is not a constant", n.In[2].Type.Shape[1])
	}
	op := func(t string, x ...string) string { return e.Node(t, x, nil) }
	x := e.Nodes("Split", []string{in[0], e.Ints(h, h, h)}, map[string]any{"axis": int64(1)}, 3)
	w := e.Nodes("Split", []string{in[1], e.Ints(h, h, h)}, map[string]any{"axis": int64(1)}, 3)
	r := op("Sigmoid", op("Add", x[0], w[0]))
	z := op("Sigmoid", op("Add", x[1], w[1]))
	nt := op("Tanh", op("Add", x[2], op("Mul", r, w[2])))
	h2 := op("Add", op("Mul", op("Sub", e.Scalar(1, n.Type.DType), z), nt), op("Mul", z, in[2]))
	zero := e.Ints(0)
	planes := []string{h2, r, z, nt, w[2]}
	for k, p := range planes {
		planes[k] = op("Unsqueeze", p, zero)
	}
	return e.Node("Concat", planes, map[string]any{"axis": int64(0)}), nil
}

// gruGradType checks gru_cell_grad's y [5, B, H], h [B, H] and g (y's
// shape or h's) and returns its result's type [7B, H].
func gruGradType(in []Type) (Type, error) {
	dt, err := sameFloat("gru_cell_grad", in)
	if err != nil {
		return Type{}, err
	}
	h := in[1].Shape
	if h.Rank() != 2 || !in[0].Shape.Equal(Shape{DimConst(kernels.GRUPlanes), h[0], h[1]}) ||
		!in[2].Shape.Equal(in[0].Shape) && !in[2].Shape.Equal(h) {
		return Type{}, &InferError{"gru_cell_grad", fmt.Sprintf("needs y [5, B, H], h [B, H] and g [5, B, H] or [B, H]: got {0} %v, {1} %v and {2} %v", in[0], in[1], in[2])}
	}
	return Type{dt, Shape{DimConst(7).Mul(h[0]), h[1]}}, nil
}

func init() {
	Register(&GRUCell, &Op{
		Name: "gru_cell", Arity: 3,
		Doc: "gru_cell(xw [B, 3H], hw [B, 3H], h [B, H]): one GRU step's elementwise tail, fused: xw = x@W_ih + b_ih and " +
			"hw = h@W_hh + b_hh with the gates in the order r, z, n; r = sigmoid(xr + hr), z = sigmoid(xz + hz), " +
			"n = tanh(xn + r*hn), h' = (1 - z)*n + z*h; the result stacks five planes [5, B, H]: h', then r, z, n, hn " +
			"(what the backward reuses)",
		// two sums and sigmoids, n (3), h' (4)
		Flops:   gruFlops(11, 2),
		Builtin: &Builtin{Operands: []Operand{{Name: "xw"}, {Name: "hw"}, {Name: "h"}}},
		Infer:   func(in []Type, _ Attrs) (Type, error) { return gruType(in) },
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			h := n.In[2]
			r := b.Must(GRUCellGrad, nil, n, h, gruGradIn(b, h, g))
			rows := h.Type.Shape[0]
			three := DimConst(3).Mul(rows)
			part := func(k int64, shape Shape) *Node {
				return b.Must(Reshape, Attrs{"shape": shape}, cut(b, r, 0, DimConst(k).Mul(rows), three))
			}
			return []*Node{part(0, n.In[0].Type.Shape), part(3, n.In[1].Type.Shape), cut(b, r, 0, DimConst(6).Mul(rows), rows)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return decompJVP(b, n.In, gruDecomp(b, n.In[0], n.In[1], n.In[2]), t)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			// lstmKernel's width is that of hw (in[1]): 3h
			return lstmKernel(n, in,
				func(o *tensor.Tensor, in []*tensor.Tensor, rows, h3 int) {
					kernels.GRUCell(o.F32, in[0].F32, in[1].F32, in[2].F32, rows, h3/3)
				},
				func(o *tensor.Tensor, in []*tensor.Tensor, rows, h3 int) {
					kernels.GRUCell(o.F64, in[0].F64, in[1].F64, in[2].F64, rows, h3/3)
				})
		},
		Rows: func(n *Node, in [][]int, _ []int) *RowSplit {
			rows, h := in[2][0], in[2][1]
			return cellRows(n, kernels.CellGRU, rows, h, planeRows(kernels.GRUPlanes, rows, h), rowsOf(in[0]), rowsOf(in[1]), rowsOf(in[2]))
		},
		Check: []CheckCase{
			{In: []Type{T(2, 6), T(2, 6), T(2, 2)}},
			{In: []Type{T(3, 9), T(3, 9), T(3, 3)}},
			{In: []Type{T(1, 3), T(1, 3), T(1, 1)}},
		},
	})
	setExport(GRUCell, gruExport)
	Register(&GRUCellGrad, &Op{
		Name: "gru_cell_grad", Arity: 3,
		Doc: "gru_cell_grad(y [5, B, H], h [B, H], g [5, B, H] or [B, H]): gru_cell's gradients, one fused kernel, from its " +
			"result y (planes 1 to 4), the previous state h and the incoming gradient of the five planes, or of h' alone: " +
			"xw's [B, 3H] as [3B, H], over hw's alike, over h's [B, H] ([7B, H])",
		// the chain rule through h', n and the two sigmoids
		Flops: gruFlops(20, 1),
		Infer: func(in []Type, _ Attrs) (Type, error) { return gruGradType(in) },
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return decompVJP(b, n.In, gruGradDecomp(b, n.In[0], n.In[1], n.In[2]), g)
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return decompJVP(b, n.In, gruGradDecomp(b, n.In[0], n.In[1], n.In[2]), t)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			planes := len(in[2]) == 3 // else the gradient of h' alone
			return lstmKernel(n, in,
				func(o *tensor.Tensor, in []*tensor.Tensor, rows, h int) {
					if planes {
						kernels.GRUCellGrad(o.F32, in[0].F32, in[1].F32, in[2].F32, rows, h)
					} else {
						kernels.GRUCellGradH(o.F32, in[0].F32, in[1].F32, in[2].F32, rows, h)
					}
				},
				func(o *tensor.Tensor, in []*tensor.Tensor, rows, h int) {
					if planes {
						kernels.GRUCellGrad(o.F64, in[0].F64, in[1].F64, in[2].F64, rows, h)
					} else {
						kernels.GRUCellGradH(o.F64, in[0].F64, in[1].F64, in[2].F64, rows, h)
					}
				})
		},
		Rows: func(n *Node, in [][]int, _ []int) *RowSplit {
			rows, h := in[1][0], in[1][1]
			// xw's gradient [rows, 3h], then hw's, then h's [rows, h]
			out := RowMap{{0, 3 * h, 3 * h}, {3 * rows * h, 3 * h, 3 * h}, {6 * rows * h, h, h}}
			y := planeRows(kernels.GRUPlanes, rows, h)
			if len(in[2]) == 3 {
				return cellRows(n, kernels.CellGRUGrad, rows, h, out, y, rowsOf(in[1]), y)
			}
			return cellRows(n, kernels.CellGRUGradH, rows, h, out, y, rowsOf(in[1]), rowsOf(in[2]))
		},
		Check: []CheckCase{
			{In: []Type{T(5, 2, 2), T(2, 2), T(5, 2, 2)}},
			{In: []Type{T(5, 3, 3), T(3, 3), T(5, 3, 3)}},
			{In: []Type{T(5, 3, 2), T(3, 2), T(3, 2)}},
		},
	})
}
