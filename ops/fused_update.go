package ops

import (
	"fmt"

	"github.com/nnclang/nnc/runtime/kernels"
	"github.com/nnclang/nnc/runtime/tensor"
)

// fused_sgd and fused_adam are optimizer updates run as one kernel per
// parameter, made by the optimizer's "update" pass from the graphs
// train.SGD (with momentum) and train.Adam build. Their result is the new
// parameter; besides it they write the new optimizer state (the momentum
// buffer, Adam's moments) into their state operands, which the pass makes
// the states themselves, updated in place (an update whose value is its
// target); SGDWrites and AdamWrites list those operands. Only the pass may
// build them: it checks that the node is the only reader of those states.
//
//	fused_sgd(p, g, buf, lr, momentum [, decay])             nesterov: bool
//	fused_adam(p, g, m, v, β1, 1-β1, β2, 1-β2, ε, step size, √(1-β2^t) [, decay])
//	                                                           decay: "l2" or "decoupled"
//
// p, g and the states have one float type; the rest are scalars of its
// element type. decay is the L2 weight decay added to the gradient or, for
// Adam's "decoupled", the factor the parameter is first scaled by.

// SGDWrites and AdamWrites are the state operands fused_sgd and fused_adam
// write besides their result.
var (
	SGDWrites  = []int{2}
	AdamWrites = []int{2, 3}
)

// updateInfer checks the operands of a fused update: nTensor operands of
// one float type, then scalars (nScalar, or one more with a decay).
func updateInfer(name string, nTensor, nScalar int) func([]Type, Attrs) (Type, error) {
	return func(in []Type, a Attrs) (Type, error) {
		if len(in) != nTensor+nScalar && len(in) != nTensor+nScalar+1 {
			return Type{}, &InferError{name, fmt.Sprintf("takes %d or %d operands, got %d", nTensor+nScalar, nTensor+nScalar+1, len(in))}
		}
		p := in[0]
		if !p.DType.IsFloat() {
			return Type{}, &InferError{name, fmt.Sprintf("needs a float parameter, {0} is %v", p)}
		}
		for i, t := range in[:nTensor] {
			if !t.Equal(p) {
				return Type{}, &InferError{name, fmt.Sprintf("operand %d is %v, the parameter is %v", i, t, p)}
			}
		}
		for i, t := range in[nTensor:] {
			if t.DType != p.DType || t.Shape.Rank() != 0 {
				return Type{}, &InferError{name, fmt.Sprintf("operand %d is %v, want a %v scalar", nTensor+i, t, p.DType)}
			}
		}
		return p, nil
	}
}

// scalarAt is element 0 of a scalar operand as T.
func scalarAt[T kernels.Float](x *tensor.Tensor) T {
	if x.DType == tensor.F32 {
		return T(x.F32[0])
	}
	return T(x.F64[0])
}

func init() {
	Register(&Op{
		Name: "fused_sgd", Arity: -1,
		Doc: "SGD with momentum on one parameter in one kernel: the result is the new parameter, " +
			"the new momentum buffer is written into operand 2 (made by the optimizer)",
		Infer:   updateInfer("fused_sgd", 3, 2),
		NoGrad:  "optimizer updates run after differentiation",
		InPlace: []int{1}, // the gradient, read at each index before it is written
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			nest, l2 := n.Attrs.Bool("nesterov", false), len(in) == 6
			coef := func(c *kernels.SGDCoef[float64], in []*tensor.Tensor) {
				c.LR, c.Momentum = scalarAt[float64](in[3]), scalarAt[float64](in[4])
				if l2 {
					c.Decay = scalarAt[float64](in[5])
				}
			}
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					var c64 kernels.SGDCoef[float64]
					coef(&c64, in)
					c := kernels.SGDCoef[float32]{LR: float32(c64.LR), Momentum: float32(c64.Momentum),
						Decay: float32(c64.Decay), L2: l2, Nesterov: nest}
					kernels.SGDUpdate(o.F32, in[0].F32, in[1].F32, in[2].F32, c)
				},
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					var c kernels.SGDCoef[float64]
					coef(&c, in)
					c.L2, c.Nesterov = l2, nest
					kernels.SGDUpdate(o.F64, in[0].F64, in[1].F64, in[2].F64, c)
				})
		},
	})
	Register(&Op{
		Name: "fused_adam", Arity: -1,
		Doc: "Adam on one parameter in one kernel: the result is the new parameter, " +
			"the new moments are written into operands 2 and 3 (made by the optimizer)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			t, err := updateInfer("fused_adam", 4, 7)(in, a)
			if err == nil && len(in) == 12 {
				if d := a.Str("decay", ""); d != "l2" && d != "decoupled" {
					return Type{}, &InferError{"fused_adam", fmt.Sprintf("decay must be l2 or decoupled, got %q", d)}
				}
			}
			return t, err
		},
		NoGrad:  "optimizer updates run after differentiation",
		InPlace: []int{1},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			decay := ""
			if len(in) == 12 {
				decay = n.Attrs.Str("decay", "")
			}
			coef := func(in []*tensor.Tensor) kernels.AdamCoef[float64] {
				c := kernels.AdamCoef[float64]{
					B1: scalarAt[float64](in[4]), C1: scalarAt[float64](in[5]),
					B2: scalarAt[float64](in[6]), C2: scalarAt[float64](in[7]),
					Eps: scalarAt[float64](in[8]), StepSize: scalarAt[float64](in[9]),
					BC2Sqrt: scalarAt[float64](in[10]),
					L2:      decay == "l2", Decoupled: decay == "decoupled",
				}
				if decay != "" {
					c.Decay = scalarAt[float64](in[11])
				}
				return c
			}
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					c := coef(in)
					c32 := kernels.AdamCoef[float32]{B1: float32(c.B1), C1: float32(c.C1), B2: float32(c.B2),
						C2: float32(c.C2), Eps: float32(c.Eps), StepSize: float32(c.StepSize),
						BC2Sqrt: float32(c.BC2Sqrt), Decay: float32(c.Decay), L2: c.L2, Decoupled: c.Decoupled}
					kernels.AdamUpdate(o.F32, in[0].F32, in[1].F32, in[2].F32, in[3].F32, c32)
				},
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.AdamUpdate(o.F64, in[0].F64, in[1].F64, in[2].F64, in[3].F64, coef(in))
				})
		},
	})
	// Per element: SGD 2 (momentum) + 2 (step) + 2 (decay) + 2 (Nesterov);
	// Adam 3 (m) + 4 (v) + 3 (denominator) + 3 (step) + 2 (decay).
	flopTable["fused_sgd"] = func(n *Node, in [][]int, out []int) int64 {
		f := int64(4)
		if len(in) == 6 {
			f += 2
		}
		if n.Attrs.Bool("nesterov", false) {
			f += 2
		}
		return f * elems(out)
	}
	flopTable["fused_adam"] = func(n *Node, in [][]int, out []int) int64 {
		f := int64(13)
		if len(in) == 12 {
			f += 2
		}
		return f * elems(out)
	}
}
