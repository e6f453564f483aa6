package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// softmax and log_softmax along one axis (attribute "axis", default -1).

func softmaxInfer(name string) func([]Type, Attrs) (Type, error) {
	return func(in []Type, a Attrs) (Type, error) {
		if !in[0].DType.IsFloat() {
			return Type{}, &InferError{name, fmt.Sprintf("needs an f32 or f64 operand, {0} is %v", in[0])}
		}
		ax := a.Int("axis", -1)
		if _, err := NormAxis(ax, in[0].Shape.Rank()); err != nil {
			return Type{}, &InferError{name, fmt.Sprintf("axis %d is out of range for {0} of type %v", ax, in[0])}
		}
		return in[0], nil
	}
}

func softmaxKernel(log bool) func(*Node, [][]int, []int) (KernelFunc, error) {
	return func(n *Node, in [][]int, out []int) (KernelFunc, error) {
		s := in[0]
		ax, err := NormAxis(n.Attrs.Int("axis", -1), len(s))
		if err != nil {
			return nil, err
		}
		outer, inner := tensor.NumElems(s[:ax]), tensor.NumElems(s[ax+1:])
		m := s[ax]
		return floatKernel(n,
			func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.Softmax(o.F32, in[0].F32, outer, m, inner, log)
			},
			func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.Softmax(o.F64, in[0].F64, outer, m, inner, log)
			})
	}
}

// sumAxis sums x over axis, keeping it as size 1.
func sumAxis(b *Builder, x *Node, axis int) *Node {
	return b.Must(Sum, Attrs{"axes": []int{axis}, "keepdims": true}, x)
}

var softmaxCases = []CheckCase{
	{In: []Type{T(3, 4)}},
	{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"axis": 1}},
	{In: []Type{T(5)}, Attrs: Attrs{"axis": 0}},
}

// Handles of the ops this file registers.
var (
	// Softmax is the op "softmax": softmax(x, axis=-1): exp(x) normalized to sum 1 along axis
	Softmax *Op
	// LogSoftmax is the op "log_softmax": log_softmax(x, axis=-1): x - logsumexp(x) along axis
	LogSoftmax *Op
)

func init() {
	Register(&Softmax, &Op{
		Name: "softmax", Arity: 1,
		Builtin: axisBuiltin(),
		Flops:   perIn(5),
		Doc:     "softmax(x, axis=-1): exp(x) normalized to sum 1 along axis",
		Infer:   softmaxInfer("softmax"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			ax := n.Attrs.Int("axis", -1)
			return []*Node{b.Mul(n, b.Sub(g, sumAxis(b, b.Mul(g, n), ax)))}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			ax := n.Attrs.Int("axis", -1)
			return b.Mul(n, b.Sub(t[0], sumAxis(b, b.Mul(t[0], n), ax)))
		},
		Kernel: softmaxKernel(false),
		Check:  softmaxCases,
	})
	Register(&LogSoftmax, &Op{
		Name: "log_softmax", Arity: 1,
		Builtin: axisBuiltin(),
		Flops:   perIn(5),
		Doc:     "log_softmax(x, axis=-1): x - logsumexp(x) along axis",
		Infer:   softmaxInfer("log_softmax"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			ax := n.Attrs.Int("axis", -1)
			p := b.Must(Exp, nil, n)
			return []*Node{b.Sub(g, b.Mul(p, sumAxis(b, g, ax)))}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			ax := n.Attrs.Int("axis", -1)
			p := b.Must(Exp, nil, n)
			return b.Sub(t[0], sumAxis(b, b.Mul(p, t[0]), ax))
		},
		Kernel: softmaxKernel(true),
		Check:  softmaxCases,
	})
}
