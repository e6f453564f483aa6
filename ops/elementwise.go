package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Elementwise describes an elementwise float op to fusion. Ops that have
// one (Op.Elementwise) are what the optimizer's fusion pass groups into
// fused kernels (fused_elementwise, fused_reduce, the epilogue of
// fused_matmul, the gradient program of fused_sgd and fused_adam), and
// what a fused program may name (ParseFused). The op has one or two
// operands (its Arity), float operands of one element type and a result of
// their broadcast shape, and no attributes.
type Elementwise struct {
	// Rows are the row functions a fused kernel runs for the op, of the
	// op's arity. Their results are bitwise those of the op's own kernel
	// (TestElementwiseRowsMatchKernels): the op's own rows, or the tile
	// rows of kernels.TileOp, which do the same arithmetic without the
	// per-call dispatch that costs as much as a tile's arithmetic.
	Rows kernels.FusedRows

	// Cheap marks ops that cost less to recompute in every fused group
	// that reads them than to store and load again (add, mul, relu ...):
	// the fusion pass recomputes them instead of storing them.
	Cheap bool
}

// unaryRows are the fused rows of an op of one operand.
func unaryRows(r32 func(dst, x []float32), r64 func(dst, x []float64)) kernels.FusedRows {
	return kernels.FusedRows{Unary32: r32, Unary64: r64}
}

// binaryRows are the fused rows of an op of two operands.
func binaryRows(r32 func(dst, x, y []float32), r64 func(dst, x, y []float64)) kernels.FusedRows {
	return kernels.FusedRows{Binary32: r32, Binary64: r64}
}

// unaryInfer is the type rule of elementwise unary float ops.
func unaryInfer(name string) func([]Type, Attrs) (Type, error) {
	return func(in []Type, a Attrs) (Type, error) {
		if !in[0].DType.IsFloat() {
			return Type{}, &InferError{name, fmt.Sprintf("needs an f32 or f64 operand, {0} is %v", in[0])}
		}
		return in[0], nil
	}
}

// unaryKernel prepares an elementwise unary kernel from row functions.
func unaryKernel(r32 func(dst, x []float32), r64 func(dst, x []float64)) func(*Node, [][]int, []int) (KernelFunc, error) {
	return func(n *Node, in [][]int, out []int) (KernelFunc, error) {
		return floatKernel(n,
			func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { r32(o.F32, in[0].F32) },
			func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { r64(o.F64, in[0].F64) })
	}
}

// binaryInfer is the type rule of elementwise binary float ops: equal element
// types, NumPy broadcasting.
func binaryInfer(name string) func([]Type, Attrs) (Type, error) {
	return func(in []Type, a Attrs) (Type, error) {
		dt, err := sameFloat(name, in)
		if err != nil {
			return Type{}, err
		}
		s, err := BroadcastShapes(in[0].Shape, in[1].Shape)
		if err != nil {
			return Type{}, &InferError{name, fmt.Sprintf("shapes do not broadcast: {0} is %v, {1} is %v (%v)", in[0], in[1], err)}
		}
		return Type{dt, s}, nil
	}
}

// binaryKernel prepares a broadcasting elementwise kernel from row functions.
func binaryKernel(r32 func(dst, x, y []float32), r64 func(dst, x, y []float64)) func(*Node, [][]int, []int) (KernelFunc, error) {
	return func(n *Node, in [][]int, out []int) (KernelFunc, error) {
		p := kernels.NewBcast(out, in[0], in[1])
		idx, off := p.Scratch(), make([]int, 2)
		return floatKernel(n,
			func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.Binary(p, o.F32, in[0].F32, in[1].F32, idx, off, r32)
			},
			func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.Binary(p, o.F64, in[0].F64, in[1].F64, idx, off, r64)
			})
	}
}
