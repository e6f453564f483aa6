package ops

import (
	"fmt"

	"github.com/nnclang/nnc/tensor"
)

// cast converts element types. Between float types the gradient is cast back;
// to or from integers nothing flows.

// Handles of the ops this file registers.
var (
	// Cast is the op "cast": cast(x, dtype): x converted to dtype (floats to integers truncate toward zero)
	Cast *Op
)

func init() {
	Register(&Cast, &Op{
		Name: "cast", Arity: 1,
		Builtin: &Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{
			{Name: "dtype", Kind: DTypeAttr, Missing: "missing the element type (cast(x, f64))"},
		}, Identity: func(in []Type, a Attrs) bool { return a.DType("dtype", 0) == in[0].DType }},
		Flops: NoFlops,
		Doc:   "cast(x, dtype): x converted to dtype (floats to integers truncate toward zero)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt := a.DType("dtype", tensor.Invalid)
			if dt == tensor.Invalid || dt.Size() == 0 {
				return Type{}, &InferError{"cast", fmt.Sprintf("needs a target dtype for {0} of type %v", in[0])}
			}
			return Type{dt, in[0].Shape}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			from := n.In[0].Type.DType
			if !from.IsFloat() || !n.Type.DType.IsFloat() {
				return []*Node{nil}
			}
			return []*Node{castTo(b, g, from)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil || !n.Type.DType.IsFloat() || !n.In[0].Type.DType.IsFloat() {
				return b.Full(n.Type, 0)
			}
			return castTo(b, t[0], n.Type.DType)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return castKernel(n.In[0].Type.DType, n.Type.DType), nil
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4)}, Attrs: Attrs{"dtype": F64}},
		},
	})
}

// castTo casts x to dt, or returns x when it already has that type.
func castTo(b *Builder, x *Node, dt DType) *Node {
	if x.Type.DType == dt {
		return x
	}
	return b.Must(Cast, Attrs{"dtype": dt}, x)
}

type number interface {
	~float32 | ~float64 | ~int32 | ~int64
}

func convert[D, S number](dst []D, src []S) {
	for i, v := range src {
		dst[i] = D(v)
	}
}

func castKernel(from, to DType) KernelFunc {
	if from == Bool || to == Bool {
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			for i := range in[0].Len() {
				o.Set(i, in[0].At(i))
			}
		}
	}
	switch from {
	case F32:
		return castFrom(func(t *tensor.Tensor) []float32 { return t.F32 }, to)
	case F64:
		return castFrom(func(t *tensor.Tensor) []float64 { return t.F64 }, to)
	case I32:
		return castFrom(func(t *tensor.Tensor) []int32 { return t.I32 }, to)
	default:
		return castFrom(func(t *tensor.Tensor) []int64 { return t.I64 }, to)
	}
}

func castFrom[S number](src func(*tensor.Tensor) []S, to DType) KernelFunc {
	switch to {
	case F32:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { convert(o.F32, src(in[0])) }
	case F64:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { convert(o.F64, src(in[0])) }
	case I32:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { convert(o.I32, src(in[0])) }
	default:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { convert(o.I64, src(in[0])) }
	}
}
