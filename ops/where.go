package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// where(cond, x, y) selects elementwise, with NumPy broadcasting of all three.

// Handles of the ops this file registers.
var (
	// Where is the op "where": where(cond, x, y): x where cond is nonzero (true), y elsewhere, broadcasting all three (NumPy).
	Where *Op
)

func init() {
	Register(&Where, &Op{
		Name: "where", Arity: 3,
		Builtin: &Builtin{Operands: []Operand{
			{Name: "cond"},
			{Name: "x", Kind: LiteralOperand, Like: []int{1, 2}},
			{Name: "y", Kind: LiteralOperand, Like: []int{1, 2}},
		}},
		Flops: perOut(1),
		Doc: "where(cond, x, y): x where cond is nonzero (true), y elsewhere, broadcasting all three (NumPy). " +
			"cond is bool, i32, i64 or a float 0/1 mask; x and y share a float type. " +
			"The gradient goes to x where cond holds and to y elsewhere; none to cond.",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if in[0].DType.Size() == 0 {
				return Type{}, &InferError{"where", fmt.Sprintf("condition {0} has no element type: %v", in[0])}
			}
			dt, err := sameFloat("where", []Type{in[1], in[2]})
			if err != nil {
				return Type{}, &InferError{"where", fmt.Sprintf("{1} and {2} must share a float type: {1} is %v, {2} is %v", in[1], in[2])}
			}
			s, err := BroadcastShapes(in[1].Shape, in[2].Shape)
			if err == nil {
				s, err = BroadcastShapes(in[0].Shape, s)
			}
			if err != nil {
				return Type{}, &InferError{"where", fmt.Sprintf("shapes do not broadcast: {0} is %v, {1} is %v, {2} is %v (%v)", in[0], in[1], in[2], err)}
			}
			return Type{dt, s}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			c, x, y := n.In[0], n.In[1], n.In[2]
			zero := scalar(b, g, 0)
			gx := b.Must(Where, nil, c, g, zero)
			gy := b.Must(Where, nil, c, zero, g)
			return []*Node{nil, b.SumTo(gx, x.Type.Shape), b.SumTo(gy, y.Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[1] == nil && t[2] == nil {
				return b.Full(n.Type, 0)
			}
			tx, ty := t[1], t[2]
			if tx == nil {
				tx = scalar(b, n, 0)
			}
			if ty == nil {
				ty = scalar(b, n, 0)
			}
			return b.BroadcastTo(b.Must(Where, nil, n.In[0], tx, ty), n.Type.Shape)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			p := kernels.NewBcast(out, in[0], in[1], in[2])
			idx, off := p.Scratch(), make([]int, 3)
			switch n.Type.DType {
			case F32:
				return whereKernel(p, idx, off, func(t *tensor.Tensor) []float32 { return t.F32 }, n.In[0].Type.DType)
			case F64:
				return whereKernel(p, idx, off, func(t *tensor.Tensor) []float64 { return t.F64 }, n.In[0].Type.DType)
			}
			return nil, fmt.Errorf("where: no kernel for %v", n.Type)
		},
		// Labels on the integer condition draws values in [0, C) for C its
		// last dimension: a mix of zeros (false) and nonzeros (true).
		Check: []CheckCase{
			{In: []Type{TI(3, 2), T(3, 2), T(3, 2)}, Domain: []Domain{Labels}},
			{In: []Type{TI(4, 2), T(2), T(4, 1)}, Domain: []Domain{Labels}},
			{In: []Type{TI(2), T(3, 1), T()}, Domain: []Domain{Labels}},
			{In: []Type{{DType: I64, Shape: ShapeOf(2, 1, 2)}, T(3, 2), T(1)}, Domain: []Domain{Labels}},
		},
	})
}

func whereKernel[T kernels.Float](p *kernels.Bcast, idx, off []int, data func(*tensor.Tensor) []T, cond DType) (KernelFunc, error) {
	switch cond {
	case Bool:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			kernels.Where(p, data(o), in[0].Bool, data(in[1]), data(in[2]), idx, off)
		}, nil
	case I32:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			kernels.Where(p, data(o), in[0].I32, data(in[1]), data(in[2]), idx, off)
		}, nil
	case I64:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			kernels.Where(p, data(o), in[0].I64, data(in[1]), data(in[2]), idx, off)
		}, nil
	case F32:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			kernels.Where(p, data(o), in[0].F32, data(in[1]), data(in[2]), idx, off)
		}, nil
	case F64:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			kernels.Where(p, data(o), in[0].F64, data(in[1]), data(in[2]), idx, off)
		}, nil
	}
	return nil, fmt.Errorf("where: no kernel for condition type %v", cond)
}
