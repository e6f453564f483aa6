package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// fused_conv2d is an f32 conv2d followed by a bias per output channel and,
// with "relu", relu: fused_conv2d(x, K, b) with conv2d's attributes, b of
// shape [C_out, 1, 1] (or [1, C_out, 1, 1]), the value of
// relu(conv2d(x, K) + b). The optimizer makes it from a convolution
// (forward, in inference and training graphs) whose only reader adds its bias (std/nn's Conv2D) and maybe
// applies relu; the direct convolution then adds the bias and applies relu
// to each tile before storing it (kernels.ConvForwardEpilogue), instead of
// a pass over the output that broadcasts the bias. The results are bitwise
// those of the three ops.

// Handles of the ops this file registers.
var (
	// FusedConv2D is the op "fused_conv2d": relu(conv2d(x, K) + b) or conv2d(x, K) + b, made by the optimizer
	FusedConv2D *Op
)

func init() {
	conv := convSpec{nsp: 2, fwd: "conv2d"}
	Register(&FusedConv2D, &Op{
		Name: "fused_conv2d", Arity: 3,
		Flops: func(n *Node, in [][]int, out []int) int64 {
			return satAdd(convFlops(n, in[:2], out), satMul(2, elems(out)))
		},
		Scratch: convScratch(0, 1, -1, 2),
		Doc: "fused_conv2d(x, K, b; stride, pad, dilation, groups, relu): conv2d(x, K) + b with b [C_out, 1, 1], " +
			"then relu when relu is true, the bias and relu applied to each tile of the convolution (f32; made by the optimizer)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if len(in) != 3 {
				return Type{}, &InferError{"fused_conv2d", fmt.Sprintf("takes x, K and b, got %d operands", len(in))}
			}
			if in[0].DType != F32 || in[1].DType != F32 || in[2].DType != F32 {
				return Type{}, &InferError{"fused_conv2d", fmt.Sprintf("operands must be f32: %v, %v, %v", in[0], in[1], in[2])}
			}
			p, err := resolveConv("fused_conv2d", 2, a)
			if err != nil {
				return Type{}, err
			}
			out, err := convOutShape("fused_conv2d", 2, in[0], in[1], p, "{0}", "{1}")
			if err != nil {
				return Type{}, err
			}
			if !ChannelBias(in[2].Shape, out) {
				return Type{}, &InferError{"fused_conv2d", fmt.Sprintf("b must be [C_out, 1, 1] or [1, C_out, 1, 1] for the output %v: {2} is %v", out, in[2])}
			}
			return Type{F32, out}, nil
		},
		NoGrad: "fusion runs after differentiation",
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			c, err := conv.plan(n.Attrs, in[0], in[1])
			if err != nil {
				return nil, err
			}
			relu := n.Attrs.Bool("relu", false)
			packed := Invariant(n.In[1])
			return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				var packs *kernels.PackCache
				if ctx != nil && packed {
					packs = ctx.Packs
				}
				kernels.ConvForwardEpilogue(c, packs, o.F32, in[0].F32, in[1].F32, kernels.ConvEpilogue{Bias: in[2].F32, Relu: relu})
			}, nil
		},
	})
}

// ChannelBias reports whether a value of shape b, added to a convolution's
// output of shape out [N, C_out, H, W], adds one value per output channel:
// b is [C_out, 1, 1] or [1, C_out, 1, 1].
func ChannelBias(b, out Shape) bool {
	if out.Rank() != 4 {
		return false
	}
	one := func(d Dim) bool { c, ok := d.IsConst(); return ok && c == 1 }
	switch b.Rank() {
	case 3:
		return b[0] == out[1] && one(b[1]) && one(b[2])
	case 4:
		return one(b[0]) && b[1] == out[1] && one(b[2]) && one(b[3])
	}
	return false
}
