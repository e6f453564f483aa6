package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Layout ops: reshape and transpose. They work on every element type.

// Handles of the ops this file registers.
var (
	// Reshape is the op "reshape": reshape(x, shape): the same elements, row-major, in a new shape (fully specified)
	Reshape *Op
	// Transpose is the op "transpose": transpose(x, perm): result axis i is x's axis perm[i]; without perm the axes are reversed
	Transpose *Op
)

func init() {
	Register(&Reshape, &Op{
		Name: "reshape", Arity: 1,
		Flops: NoFlops,
		Doc:   "reshape(x, shape): the same elements, row-major, in a new shape (fully specified)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			s := a.Shape("shape")
			if in[0].Shape.NumElems() != s.NumElems() {
				return Type{}, &InferError{"reshape", fmt.Sprintf("cannot reshape {0} of type %v to %v: %v elements against %v",
					in[0], s, in[0].Shape.NumElems(), s.NumElems())}
			}
			return Type{in[0].DType, s}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{reshapeTo(b, g, n.In[0].Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return reshapeTo(b, Tangent(b, t[0], n.In[0]), n.Type.Shape)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { o.CopyFrom(in[0]) }, nil
		},
		Check: []CheckCase{
			{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"shape": ShapeOf(6, 4)}},
			{In: []Type{T(6)}, Attrs: Attrs{"shape": ShapeOf(1, 2, 3)}},
			{In: []Type{T(1)}, Attrs: Attrs{"shape": ShapeOf()}},
		},
	})
	Register(&Transpose, &Op{
		Name: "transpose", Arity: 1,
		Flops: NoFlops,
		Doc:   "transpose(x, perm): result axis i is x's axis perm[i]; without perm the axes are reversed",
		Infer: func(in []Type, a Attrs) (Type, error) {
			perm, err := resolvePerm(in[0], a)
			if err != nil {
				return Type{}, err
			}
			out := make(Shape, len(perm))
			for i, p := range perm {
				out[i] = in[0].Shape[p]
			}
			return Type{in[0].DType, out}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			perm, _ := resolvePerm(n.In[0].Type, n.Attrs)
			inv := make([]int, len(perm))
			for i, p := range perm {
				inv[p] = i
			}
			return []*Node{b.Must(Transpose, Attrs{"perm": inv}, g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(Transpose, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			perm, err := resolvePerm(n.In[0].Type, n.Attrs)
			if err != nil {
				return nil, err
			}
			p := kernels.NewTranspose(in[0], perm)
			switch n.Type.DType {
			case F32:
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.TransposeRun(p, o.F32, in[0].F32) }, nil
			case F64:
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.TransposeRun(p, o.F64, in[0].F64) }, nil
			case I32:
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.TransposeRun(p, o.I32, in[0].I32) }, nil
			case I64:
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.TransposeRun(p, o.I64, in[0].I64) }, nil
			case Bool:
				return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.TransposeRun(p, o.Bool, in[0].Bool) }, nil
			}
			return nil, fmt.Errorf("transpose: no kernel for %v", n.Type.DType)
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4)}},
			{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"perm": []int{1, 2, 0}}},
			{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"perm": []int{0, 2, 1}}},
		},
	})
}

// resolvePerm returns the permutation of transpose's attributes for t,
// checking that it is one.
func resolvePerm(t Type, a Attrs) ([]int, error) {
	r := t.Shape.Rank()
	perm, ok := a.Ints("perm")
	if !ok {
		perm = make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
		return perm, nil
	}
	if len(perm) != r {
		return nil, &InferError{"transpose", fmt.Sprintf("perm %v has %d axes, {0} is %v", perm, len(perm), t)}
	}
	seen := make([]bool, r)
	for _, p := range perm {
		if p < 0 || p >= r || seen[p] {
			return nil, &InferError{"transpose", fmt.Sprintf("%v is not a permutation of the axes of {0}, which is %v", perm, t)}
		}
		seen[p] = true
	}
	return perm, nil
}
