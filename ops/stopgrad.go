package ops

import "github.com/nnclang/nnc/tensor"

// Handles of the ops this file registers.
var (
	// StopGradient is the op "stop_gradient": stop_gradient(x): x, through which no gradient flows
	StopGradient *Op
)

func init() {
	Register(&StopGradient, &Op{
		Name: "stop_gradient", Arity: 1,
		Builtin: unaryBuiltin(),
		Flops:   NoFlops,
		Doc:     "stop_gradient(x): x, through which no gradient flows",
		Infer:   func(in []Type, a Attrs) (Type, error) { return in[0], nil },
		VJP:     func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil} },
		JVP:     func(b *Builder, n *Node, t []*Node) *Node { return b.Full(n.Type, 0) },
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { o.CopyFrom(in[0]) }, nil
		},
		NoGrad: "it stops gradients by definition",
	})
}
