package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// argmax and argmin: the i32 index of the extremum along one "axis" (or
// into the flattened operand without one).

// Handles of the ops this file registers.
var (
	// Argmax is the op "argmax".
	Argmax *Op
	// Argmin is the op "argmin".
	Argmin *Op
)

func init() {
	for _, r := range []struct {
		h    **Op
		name string
	}{{&Argmax, "argmax"}, {&Argmin, "argmin"}} {
		name := r.name
		isMax := name == "argmax"
		Register(r.h, &Op{
			Name: name, Arity: 1,
			Builtin: argReduceBuiltin(),
			Flops:   perIn(1),
			Doc: name + "(x; axis int, keepdims bool): the i32 index along axis of the " + name[3:] +
				"imum (NumPy: the first one on ties; a NaN wins); without axis, the index into the flattened x",
			Infer: func(in []Type, a Attrs) (Type, error) {
				if !in[0].DType.IsFloat() {
					return Type{}, &InferError{name, fmt.Sprintf("needs an f32 or f64 operand, {0} is %v", in[0])}
				}
				if err := intAttr(name, a, "axis"); err != nil {
					return Type{}, err
				}
				ax, all, err := argAxis(name, in[0], a)
				if err != nil {
					return Type{}, err
				}
				keep := a.Bool("keepdims", false)
				var out Shape
				for i, d := range in[0].Shape {
					switch {
					case !all && i != ax:
						out = append(out, d)
					case keep:
						out = append(out, DimConst(1))
					}
				}
				return Type{I32, out}, nil
			},
			NoGrad: "an integer result",
			VJP:    func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil} },
			JVP:    func(b *Builder, n *Node, t []*Node) *Node { return b.Full(n.Type, 0) },
			Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
				ax, all, err := argAxis(name, n.In[0].Type, n.Attrs)
				if err != nil {
					return nil, err
				}
				s := in[0]
				outer, m, inner := 1, tensor.NumElems(s), 1
				if !all {
					outer, m, inner = tensor.NumElems(s[:ax]), s[ax], tensor.NumElems(s[ax+1:])
				}
				switch n.In[0].Type.DType {
				case F32:
					return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
						kernels.ArgReduce(o.I32, in[0].F32, outer, m, inner, isMax)
					}, nil
				case F64:
					return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
						kernels.ArgReduce(o.I32, in[0].F64, outer, m, inner, isMax)
					}, nil
				}
				return nil, fmt.Errorf("%s: no kernel for %v", name, n.In[0].Type)
			},
		})
	}
}

// argAxis resolves argmax's "axis"; all is true when it is absent.
func argAxis(name string, t Type, a Attrs) (ax int, all bool, err error) {
	if _, ok := a["axis"]; !ok {
		return 0, true, nil
	}
	ax, err = NormAxis(a.Int("axis", 0), t.Shape.Rank())
	if err != nil {
		return 0, false, &InferError{name, fmt.Sprintf("axis %d is out of range for {0} of type %v", a.Int("axis", 0), t)}
	}
	return ax, false, nil
}
