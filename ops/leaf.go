package ops

import (
	"github.com/nnclang/nnc/tensor"
)

// Leaf ops: values that come from outside the graph, and constants.

func leafInfer(in []Type, a Attrs) (Type, error) {
	panic("ops: leaf nodes are made by the Builder, not applied")
}

// Handles of the ops this file registers.
var (
	// Input is the leaf op "input": a value bound from outside the graph.
	Input *Op
	// Param is the leaf op "param": a trainable parameter.
	Param *Op
	// State is the leaf op "state": a non-trainable tensor carried across steps.
	State *Op
	// Const is the op "const": a scalar constant: attributes value (float64) and dtype
	Const *Op
	// Full is the op "full": a tensor filled with one value: attributes value, dtype and shape
	Full *Op
)

func init() {
	for _, r := range []struct {
		h    **Op
		name string
	}{{&Input, "input"}, {&Param, "param"}, {&State, "state"}} {
		name := r.name
		Register(r.h, &Op{Name: name, Arity: 0, Leaf: true, Infer: leafInfer, Flops: NoFlops,
			Doc:    "a value bound from outside the graph, named by its \"name\" attribute",
			NoGrad: "a leaf: gradients flow to it, not through it"})
	}
	Register(&Const, &Op{
		Name: "const", Arity: 0,
		Flops: NoFlops,
		Doc:   "a scalar constant: attributes value (float64) and dtype",
		Infer: func(in []Type, a Attrs) (Type, error) {
			return Scalar(a.DType("dtype", F32)), nil
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			v := n.Attrs.Float("value", 0)
			return func(ctx *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) { fill(o, v) }, nil
		},
		NoGrad: "a constant",
		JVP:    zeroJVP,
	})
	Register(&Full, &Op{
		Name: "full", Arity: 0,
		Flops: NoFlops,
		Doc:   "a tensor filled with one value: attributes value, dtype and shape",
		Infer: func(in []Type, a Attrs) (Type, error) {
			return Type{a.DType("dtype", F32), a.Shape("shape")}, nil
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			v := n.Attrs.Float("value", 0)
			return func(ctx *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) { fill(o, v) }, nil
		},
		NoGrad: "a constant",
		JVP:    zeroJVP,
	})
}

func fill(t *tensor.Tensor, v float64) {
	switch t.DType {
	case F32:
		x := float32(v)
		for i := range t.F32 {
			t.F32[i] = x
		}
	case F64:
		for i := range t.F64 {
			t.F64[i] = v
		}
	default:
		for i := 0; i < t.Len(); i++ {
			t.Set(i, v)
		}
	}
}
