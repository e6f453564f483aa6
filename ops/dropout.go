package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// dropout_mask draws a dropout mask; Dropout multiplies by it.

// Handles of the ops this file registers.
var (
	// DropoutMask is the op "dropout_mask": dropout_mask(p, seed, shape, dtype): 0 with probability p and 1/(1-p) otherwise,
	DropoutMask *Op
)

func init() {
	Register(&DropoutMask, &Op{
		Name: "dropout_mask", Arity: 0,
		Flops: perOut(1),
		Doc: "dropout_mask(p, seed, shape, dtype): 0 with probability p and 1/(1-p) otherwise, " +
			"a function of (execution seed, seed attribute, element index) only",
		Infer: func(in []Type, a Attrs) (Type, error) {
			p := a.Float("p", 0)
			if !(p >= 0 && p <= 1) {
				return Type{}, &InferError{"dropout_mask", fmt.Sprintf("p is %g, not in [0, 1]", p)}
			}
			dt := a.DType("dtype", F32)
			if !dt.IsFloat() {
				return Type{}, &InferError{"dropout_mask", fmt.Sprintf("dtype %v is not f32 or f64", dt)}
			}
			return Type{dt, a.Shape("shape")}, nil
		},
		NoGrad: "a random draw",
		JVP:    zeroJVP,
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			p := n.Attrs.Float("p", 0)
			stream := uint64(n.Attrs.Int("seed", 0))
			return floatKernel(n,
				func(ctx *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) {
					kernels.DropoutMask(o.F32, p, ctxSeed(ctx), stream)
				},
				func(ctx *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) {
					kernels.DropoutMask(o.F64, p, ctxSeed(ctx), stream)
				})
		},
	})
}

func ctxSeed(ctx *Ctx) uint64 {
	if ctx == nil {
		return 0
	}
	return ctx.Seed
}

// Dropout returns x times a fresh dropout mask (seeded by b.NextSeed()), or x
// itself when p is 0. It is for training graphs; evaluation skips it.
func Dropout(b *Builder, x *Node, p float64) *Node {
	if p == 0 {
		return x
	}
	m := b.Must(DropoutMask, Attrs{"p": p, "seed": b.NextSeed(), "shape": x.Type.Shape, "dtype": x.Type.DType})
	return b.Mul(x, m)
}
