package train

import (
	"github.com/nnclang/nnc/ops"
)

// clipNormEps is torch.nn.utils.clip_grad_norm_'s 1e-6 added to the norm.
const clipNormEps = 1e-6

// clipGrads returns the gradients clipped as StepOptions say: each element
// clamped to [-value, value] when value is positive (clip_grad_value_),
// then all scaled by min(1, norm/(‖g‖ + 1e-6)) when norm is positive
// (clip_grad_norm_), ‖g‖ the L2 norm of every gradient element together.
//
// Each gradient's sum of squares is computed in its own element type, as
// PyTorch computes each gradient's norm; the total, the norm and the
// factor are computed in f64 and the factor converted to each gradient's
// type. A NaN or infinite norm gives a NaN factor, so the update is NaN
// (the next step's loss reports it) rather than silently clipped. The
// scaled gradient is an elementwise product with a scalar, which the
// optimizer's fused update absorbs.
func clipGrads(b *ops.Builder, grads []*ops.Node, value, norm float64) []*ops.Node {
	if value <= 0 && norm <= 0 {
		return grads
	}
	out := append([]*ops.Node(nil), grads...)
	if value > 0 {
		for i, g := range out {
			out[i] = b.Must(ops.Clip, ops.Attrs{"lo": -value, "hi": value}, g)
		}
	}
	if norm <= 0 {
		return out
	}
	factor := clipFactor(b, GlobalNorm(b, out), norm)
	for i, g := range out {
		out[i] = b.Mul(g, castTo(b, factor, g.Type.DType))
	}
	return out
}

// GlobalNorm adds to b the L2 norm of all of grads' elements together, an
// f64 scalar: the square root of the sum of each gradient's sum of squares
// (computed in the gradient's element type).
func GlobalNorm(b *ops.Builder, grads []*ops.Node) *ops.Node {
	var total *ops.Node
	for _, g := range grads {
		s := castTo(b, b.Must(ops.Sum, nil, b.Must(ops.Square, nil, g)), ops.F64)
		if total == nil {
			total = s
		} else {
			total = b.Add(total, s)
		}
	}
	return b.Must(ops.Sqrt, nil, total)
}

// clipFactor is min(1, max/(norm + 1e-6)) in f64, NaN when norm is NaN.
func clipFactor(b *ops.Builder, norm *ops.Node, max float64) *ops.Node {
	coef := b.Div(b.Scalar(ops.F64, max), b.Add(norm, b.Scalar(ops.F64, clipNormEps)))
	return b.Must(ops.Clip, ops.Attrs{"hi": 1.0}, coef)
}
