package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// broadcast_to and sum_to are each other's adjoints: the first repeats an
// operand along broadcast axes, the second sums those axes away.

// Handles of the ops this file registers.
var (
	// BroadcastTo is the op "broadcast_to": broadcast_to(x, shape): repeat x along axes where it has size 1 or is missing
	BroadcastTo *Op
	// SumTo is the op "sum_to": sum_to(x, shape): sum x over the axes that broadcasting from shape added
	SumTo *Op
)

func init() {
	Register(&BroadcastTo, &Op{
		Name: "broadcast_to", Arity: 1,
		Builtin: &Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{
			{Name: "shape", Kind: ShapeAttr, Required: true, PositionalOnly: true},
		}},
		Flops: NoFlops,
		Doc:   "broadcast_to(x, shape): repeat x along axes where it has size 1 or is missing",
		Infer: func(in []Type, a Attrs) (Type, error) {
			s := a.Shape("shape")
			got, err := BroadcastShapes(in[0].Shape, s)
			if err != nil || !got.Equal(s) {
				return Type{}, fmt.Errorf("broadcast_to: %v does not broadcast to %v", in[0], s)
			}
			return Type{in[0].DType, s}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.SumTo(g, n.In[0].Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.BroadcastTo(t[0], n.Type.Shape)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			p := kernels.NewBcast(out, in[0])
			idx, off := p.Scratch(), make([]int, 1)
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { bcastCopy(p, o.F32, in[0].F32, idx, off) },
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { bcastCopy(p, o.F64, in[0].F64, idx, off) })
		},
		Check: []CheckCase{
			{In: []Type{T(3)}, Attrs: Attrs{"shape": ShapeOf(2, 3)}},
			{In: []Type{T(2, 1)}, Attrs: Attrs{"shape": ShapeOf(4, 2, 3)}},
		},
	})
	Register(&SumTo, &Op{
		Name: "sum_to", Arity: 1,
		Flops:   perIn(1),
		Scratch: reduceScratch,
		Doc:     "sum_to(x, shape): sum x over the axes that broadcasting from shape added",
		Infer: func(in []Type, a Attrs) (Type, error) {
			s := a.Shape("shape")
			got, err := BroadcastShapes(in[0].Shape, s)
			if err != nil || !got.Equal(in[0].Shape) {
				return Type{}, fmt.Errorf("sum_to: %v is not a broadcast of %v", in[0], s)
			}
			return Type{in[0].DType, s}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.BroadcastTo(g, n.In[0].Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.SumTo(t[0], n.Type.Shape)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			p := kernels.NewReduceBcast(in[0], out) // walk the big shape; out is the broadcast operand
			idx, off := p.Scratch(), make([]int, 1)
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.SumTo(p, o.F32, in[0].F32, idx, off) },
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.SumTo(p, o.F64, in[0].F64, idx, off) })
		},
		Check: []CheckCase{
			{In: []Type{T(2, 3)}, Attrs: Attrs{"shape": ShapeOf(3)}},
			{In: []Type{T(4, 2, 3)}, Attrs: Attrs{"shape": ShapeOf(2, 1)}},
			{In: []Type{T(4, 3)}, Attrs: Attrs{"shape": ShapeOf()}},
		},
	})
}

func bcastCopy[T kernels.Float](p *kernels.Bcast, dst, src []T, idx, off []int) {
	n := p.Row
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		d := dst[r*n : (r+1)*n]
		if p.Inner[0] == 1 {
			copy(d, src[off[0]:off[0]+n])
		} else {
			c := src[off[0]]
			for i := range d {
				d[i] = c
			}
		}
	}
}
