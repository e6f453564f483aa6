package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// lstm_cell(gates [B, 4H], c [B, H]) is the elementwise tail of one LSTM
// step, fused: with the gates in PyTorch's order i, f, g, o,
//
//	c' = σ(f)·c + σ(i)·tanh(g),  h' = σ(o)·tanh(c'),
//
// as seven planes [7, B, H]: h', c', and the activations σ(i), σ(f),
// tanh(g), σ(o), tanh(c') that the backward reads instead of recomputing
// them. Its VJP is lstm_cell_grad, one kernel giving the gradients of gates
// and c together from those planes ([5B, H]: the gates' [B, 4H] as [4B, H]
// over c's [B, H], so that each is a view); both ops' other derivatives go
// through their decompositions into slices, sigmoid, tanh, mul and add
// (decompose.go), so they differentiate to any order.

// Handles of the ops this file registers.
var (
	// LSTMCell is the op "lstm_cell".
	LSTMCell *Op
	// LSTMCellGrad is the op "lstm_cell_grad".
	LSTMCellGrad *Op
)

// lstmTypes checks gates [B, 4H] and c [B, H] of one float type and returns
// B and H.
func lstmTypes(name string, gates, c Type) (DType, Dim, Dim, error) {
	dt, err := sameFloat(name, []Type{gates, c})
	if err != nil {
		return dt, Dim{}, Dim{}, err
	}
	if gates.Shape.Rank() != 2 || c.Shape.Rank() != 2 || gates.Shape[0] != c.Shape[0] ||
		gates.Shape[1] != DimConst(4).Mul(c.Shape[1]) {
		return dt, Dim{}, Dim{}, &InferError{name, fmt.Sprintf("needs gates [B, 4*H] and c [B, H]: got {0} %v and {1} %v", gates, c)}
	}
	return dt, c.Shape[0], c.Shape[1], nil
}

// lstmDecomp is lstm_cell(gates, c) written with other ops.
func lstmDecomp(b *Builder, gates, c *Node) *Node {
	h := c.Type.Shape[1]
	part := func(k int64) *Node { return cut(b, gates, 1, DimConst(k).Mul(h), h) }
	i, f := un(b, Sigmoid, part(0)), un(b, Sigmoid, part(1))
	g, o := un(b, Tanh, part(2)), un(b, Sigmoid, part(3))
	c2 := b.Add(b.Mul(f, c), b.Mul(i, g))
	tc := un(b, Tanh, c2)
	return b.Must(Stack, Attrs{"axis": 0}, b.Mul(o, tc), c2, i, f, g, o, tc)
}

// lstmGradIn is lstm_cell_grad's gradient operands for the gradient g of
// lstm_cell's planes: g itself, or, when only h' and c' have gradients
// (the cell read through hc[0] and hc[1] alone, PlaneGrads: the usual
// case), those two as [B, H] (zeros for one that has none), so that no
// plane of zeros is written or read.
func lstmGradIn(b *Builder, c, g *Node) []*Node {
	gs, ok := PlaneGrads(b, g, c.Type.Shape)
	if !ok || gs[0] == nil && gs[1] == nil {
		return []*Node{g}
	}
	for _, x := range gs[2:] {
		if x != nil {
			return []*Node{g}
		}
	}
	for k := range 2 {
		if gs[k] == nil {
			gs[k] = b.Full(c.Type, 0)
		}
	}
	return gs[:2]
}

// lstmGradDecomp is lstm_cell_grad(y, c, g...) written with other ops; g
// is the seven planes' gradient, or h”s and c”s ([B, H]).
func lstmGradDecomp(b *Builder, y, c *Node, g []*Node) *Node {
	pl := func(x *Node, k int) *Node {
		s := cut(b, x, 0, DimConst(int64(k)), DimConst(1))
		return b.Must(Reshape, Attrs{"shape": c.Type.Shape}, s)
	}
	gp := func(k int) *Node {
		if len(g) == 1 {
			return pl(g[0], k)
		}
		if k < 2 {
			return g[k]
		}
		return b.Full(c.Type, 0)
	}
	one := scalar(b, c, 1)
	i, f, gt, o, t := pl(y, 2), pl(y, 3), pl(y, 4), pl(y, 5), pl(y, 6)
	dc2 := b.Add(gp(1), b.Mul(b.Add(b.Mul(gp(0), o), gp(6)), b.Sub(one, b.Mul(t, t))))
	dsig := func(d, s *Node) *Node { return b.Mul(b.Mul(d, s), b.Sub(one, s)) }
	di := dsig(b.Add(b.Mul(dc2, gt), gp(2)), i)
	df := dsig(b.Add(b.Mul(dc2, c), gp(3)), f)
	dg := b.Mul(b.Add(b.Mul(dc2, i), gp(4)), b.Sub(one, b.Mul(gt, gt)))
	do := dsig(b.Add(b.Mul(gp(0), t), gp(5)), o)
	return lstmGradJoin(b, b.Must(Concat, Attrs{"axis": 1}, di, df, dg, do), b.Mul(dc2, f))
}

// lstmGradJoin is lstm_cell_grad's result from the gates' gradient dg [B,
// 4H] and c's dc [B, H]: dg as [4B, H] over dc, [5B, H].
func lstmGradJoin(b *Builder, dg, dc *Node) *Node {
	rows := DimConst(4).Mul(dc.Type.Shape[0])
	return b.Must(Concat, Attrs{"axis": 0}, b.Must(Reshape, Attrs{"shape": Shape{rows, dc.Type.Shape[1]}}, dg), dc)
}

// lstmKernel runs f32 or f64 with the rows and width of c (in[1]).
func lstmKernel(n *Node, in [][]int, f32 func(o *tensor.Tensor, in []*tensor.Tensor, rows, h int),
	f64 func(o *tensor.Tensor, in []*tensor.Tensor, rows, h int)) (KernelFunc, error) {
	rows, h := in[1][0], in[1][1]
	return floatKernel(n,
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { f32(o, in, rows, h) },
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { f64(o, in, rows, h) })
}

// lstmFlops is k FLOPs per hidden unit (an element of c).
func lstmFlops(k int64) FlopFunc {
	return func(_ *Node, in [][]int, _ []int) int64 { return satMul(k, elems(in[1])) }
}

// lstmExport writes lstm_cell in ONNX (opset 17): Split of the gates,
// Sigmoid, Tanh, Mul, Add, and the seven planes stacked.
func lstmExport(e Exporter, n *Node, in []string) (string, error) {
	h, ok := n.In[1].Type.Shape[1].IsConst()
	if !ok {
		return "", exportErr(n, "the hidden size %v is not a constant", n.In[1].Type.Shape[1])
	}
	p := e.Nodes("Split", []string{in[0], e.Ints(h, h, h, h)}, map[string]any{"axis": int64(1)}, 4)
	i := e.Node("Sigmoid", []string{p[0]}, nil)
	f := e.Node("Sigmoid", []string{p[1]}, nil)
	g := e.Node("Tanh", []string{p[2]}, nil)
	o := e.Node("Sigmoid", []string{p[3]}, nil)
	c2 := e.Node("Add", []string{e.Node("Mul", []string{f, in[1]}, nil), e.Node("Mul", []string{i, g}, nil)}, nil)
	tc := e.Node("Tanh", []string{c2}, nil)
	zero := e.Ints(0)
	planes := []string{e.Node("Mul", []string{o, tc}, nil), c2, i, f, g, o, tc}
	for k, x := range planes {
		planes[k] = e.Node("Unsqueeze", []string{x, zero}, nil)
	}
	return e.Node("Concat", planes, map[string]any{"axis": int64(0)}), nil
}

func init() {
	Register(&LSTMCell, &Op{
		Name: "lstm_cell", Arity: 2,
		Doc: "lstm_cell(gates [B, 4H], c [B, H]): one LSTM step's elementwise tail, fused: gates in the order i, f, g, o, " +
			"c' = sigmoid(f)*c + sigmoid(i)*tanh(g), h' = sigmoid(o)*tanh(c'); the result stacks seven planes [7, B, H]: " +
			"h', c', then sigmoid(i), sigmoid(f), tanh(g), sigmoid(o), tanh(c') (what the backward reuses)",
		// four activations, c' (3), tanh(c') and h'
		Flops:   lstmFlops(9),
		Builtin: &Builtin{Operands: []Operand{{Name: "gates"}, {Name: "c"}}},
		Infer: func(in []Type, _ Attrs) (Type, error) {
			dt, bd, h, err := lstmTypes("lstm_cell", in[0], in[1])
			if err != nil {
				return Type{}, err
			}
			return Type{dt, Shape{DimConst(kernels.LSTMPlanes), bd, h}}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			gates, c := n.In[0], n.In[1]
			r := b.Must(LSTMCellGrad, nil, append([]*Node{n, c}, lstmGradIn(b, c, g)...)...)
			rows := c.Type.Shape[0]
			four := DimConst(4).Mul(rows)
			dg := b.Must(Reshape, Attrs{"shape": gates.Type.Shape}, cut(b, r, 0, DimConst(0), four))
			return []*Node{dg, cut(b, r, 0, four, rows)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return decompJVP(b, n.In, lstmDecomp(b, n.In[0], n.In[1]), t)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return lstmKernel(n, in,
				func(o *tensor.Tensor, in []*tensor.Tensor, rows, h int) {
					kernels.LSTMCell(o.F32, in[0].F32, in[1].F32, rows, h)
				},
				func(o *tensor.Tensor, in []*tensor.Tensor, rows, h int) {
					kernels.LSTMCell(o.F64, in[0].F64, in[1].F64, rows, h)
				})
		},
		Rows: func(n *Node, in [][]int, _ []int) *RowSplit {
			rows, h := in[1][0], in[1][1]
			return cellRows(n, kernels.CellLSTM, rows, h, planeRows(kernels.LSTMPlanes, rows, h), rowsOf(in[0]), rowsOf(in[1]))
		},
		Check: []CheckCase{
			{In: []Type{T(2, 8), T(2, 2)}},
			{In: []Type{T(3, 12), T(3, 3)}},
			{In: []Type{T(1, 4), T(1, 1)}},
		},
	})
	setExport(LSTMCell, lstmExport)
	Register(&LSTMCellGrad, &Op{
		Name: "lstm_cell_grad", Arity: -1,
		Doc: "lstm_cell_grad(y [7, B, H], c [B, H], g [7, B, H]), or (y, c, dh [B, H], dc [B, H]): lstm_cell's gradients, " +
			"one fused kernel, from its result y (the activation planes 2 to 6), the previous cell c and the incoming " +
			"gradient of the seven planes, or of h' and c' alone: the gates' [B, 4H] reshaped to [4B, H] over c's [B, H] ([5B, H])",
		// the chain rule through c' and h' and the four activations
		Flops: lstmFlops(24),
		Infer: func(in []Type, _ Attrs) (Type, error) {
			dt, err := sameFloat("lstm_cell_grad", in)
			if err != nil {
				return Type{}, err
			}
			if len(in) < 3 || len(in) > 4 || in[1].Shape.Rank() != 2 {
				return Type{}, &InferError{"lstm_cell_grad", fmt.Sprintf("needs y [7, B, H], c [B, H] and g [7, B, H] or dh, dc [B, H]: got %d operands", len(in))}
			}
			c := in[1].Shape
			ok := in[0].Shape.Equal(Shape{DimConst(kernels.LSTMPlanes), c[0], c[1]})
			if len(in) == 3 {
				ok = ok && in[2].Shape.Equal(in[0].Shape)
			} else {
				ok = ok && in[2].Shape.Equal(c) && in[3].Shape.Equal(c)
			}
			if !ok {
				return Type{}, &InferError{"lstm_cell_grad", fmt.Sprintf("needs y [7, B, H], c [B, H] and g [7, B, H] or dh, dc [B, H]: got {0} %v, {1} %v and {2} %v", in[0], in[1], in[2])}
			}
			return Type{dt, Shape{DimConst(5).Mul(c[0]), c[1]}}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return decompVJP(b, n.In, lstmGradDecomp(b, n.In[0], n.In[1], n.In[2:]), g)
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return decompJVP(b, n.In, lstmGradDecomp(b, n.In[0], n.In[1], n.In[2:]), t)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			two := len(in) == 4
			return lstmKernel(n, in,
				func(o *tensor.Tensor, in []*tensor.Tensor, rows, h int) {
					if two {
						kernels.LSTMCellGrad2(o.F32, in[0].F32, in[1].F32, in[2].F32, in[3].F32, rows, h)
						return
					}
					kernels.LSTMCellGrad(o.F32, in[0].F32, in[1].F32, in[2].F32, rows, h)
				},
				func(o *tensor.Tensor, in []*tensor.Tensor, rows, h int) {
					if two {
						kernels.LSTMCellGrad2(o.F64, in[0].F64, in[1].F64, in[2].F64, in[3].F64, rows, h)
						return
					}
					kernels.LSTMCellGrad(o.F64, in[0].F64, in[1].F64, in[2].F64, rows, h)
				})
		},
		Rows: func(n *Node, in [][]int, _ []int) *RowSplit {
			rows, h := in[1][0], in[1][1]
			// the gates' gradient [rows, 4h], then c's [rows, h]
			out := RowMap{{0, 4 * h, 4 * h}, {4 * rows * h, h, h}}
			y := planeRows(kernels.LSTMPlanes, rows, h)
			if len(in) == 4 {
				return cellRows(n, kernels.CellLSTMGrad2, rows, h, out, y, rowsOf(in[1]), rowsOf(in[2]), rowsOf(in[3]))
			}
			return cellRows(n, kernels.CellLSTMGrad, rows, h, out, y, rowsOf(in[1]), y)
		},
		Check: []CheckCase{
			{In: []Type{T(7, 2, 2), T(2, 2), T(7, 2, 2)}},
			{In: []Type{T(7, 3, 3), T(3, 3), T(7, 3, 3)}},
			{In: []Type{T(7, 3, 2), T(3, 2), T(3, 2), T(3, 2)}},
		},
	})
}
