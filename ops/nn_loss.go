package ops

import (
	"fmt"
	"math"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Elementwise losses, each the mean over every element of two operands of
// one shape (PyTorch's reduction="mean"):
//
//	mse(x, y)                                  (x - y)²
//	huber(x, y; delta = 1)                     ½d² where |d| < delta, else delta·(|d| - ½delta); d = x - y
//	binary_cross_entropy(p, y)                 -(y·log p + (1 - y)·log(1 - p)), logs clamped at -100
//	binary_cross_entropy_with_logits(z, y)     max(z, 0) - z·y + log(1 + e^-|z|)
//
// Their gradients are written with ops (so they differentiate again); a
// scalar loss's JVP is the sum of its gradients times the tangents.

// lossSpec is one elementwise loss: its per-element value (in float64) and
// its gradient with respect to each operand, per element, built with ops.
type lossSpec struct {
	h         **Op
	name, doc string
	elem      func(x, y float64, a Attrs) float64
	grads     func(b *Builder, n *Node) []*Node // d(sum of elements)/d operand
	domain    []Domain
	flops     int64 // per element of the prediction, the mean included
	builtin   *Builtin
}

func lossInfer(name string) func([]Type, Attrs) (Type, error) {
	return func(in []Type, a Attrs) (Type, error) {
		dt, err := sameFloat(name, in)
		if err != nil {
			return Type{}, err
		}
		if !in[0].Shape.Equal(in[1].Shape) {
			return Type{}, &InferError{name, fmt.Sprintf("the operands must have one shape: {0} is %v, {1} is %v", in[0], in[1])}
		}
		if name == "huber" {
			if d := a.Float("delta", 1); !(d > 0) {
				return Type{}, &InferError{name, fmt.Sprintf("delta is %g, must be positive", d)}
			}
		}
		return Scalar(dt), nil
	}
}

// meanGrads scales per-element gradients by g / (number of elements).
func meanGrads(b *Builder, n *Node, g *Node, per []*Node) []*Node {
	s := b.Div(g, b.Must(Size, Attrs{"dtype": n.Type.DType}, n.In[0]))
	out := make([]*Node, len(per))
	for i, p := range per {
		if p != nil {
			out[i] = b.Mul(p, s)
		}
	}
	return out
}

// scalarJVP is Σᵢ sum(gradᵢ · tᵢ) for a scalar op whose VJP with g = 1 gives gradᵢ.
func scalarJVP(b *Builder, n *Node, t []*Node, vjp func(b *Builder, n *Node, g *Node) []*Node) *Node {
	grads := vjp(b, n, scalar(b, n, 1))
	var terms []*Node
	for i, tg := range t {
		if tg != nil && grads[i] != nil {
			terms = append(terms, b.Must(Sum, nil, b.Mul(grads[i], tg)))
		}
	}
	return sumTangents(b, n.Type, terms...)
}

func lossMean[T kernels.Float](x, y []T, a Attrs, f func(x, y float64, a Attrs) float64) T {
	var s float64
	for i := range x {
		s += f(float64(x[i]), float64(y[i]), a)
	}
	return T(s / float64(len(x)))
}

func (l lossSpec) register() {
	vjp := func(b *Builder, n *Node, g *Node) []*Node { return meanGrads(b, n, g, l.grads(b, n)) }
	Register(l.h, &Op{
		Name: l.name, Arity: 2,
		Builtin: l.builtin,
		Doc:     l.doc,
		Flops:   perIn(l.flops),
		Infer:   lossInfer(l.name),
		VJP:     vjp,
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return scalarJVP(b, n, t, vjp)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			a := n.Attrs
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					o.F32[0] = lossMean(in[0].F32, in[1].F32, a, l.elem)
				},
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					o.F64[0] = lossMean(in[0].F64, in[1].F64, a, l.elem)
				})
		},
		Check: l.checks(),
	})
}

func (l lossSpec) checks() []CheckCase {
	cs := []CheckCase{
		{In: []Type{T(3, 4), T(3, 4)}, Domain: l.domain},
		{In: []Type{T(), T()}, Domain: l.domain},
	}
	if l.name == "huber" {
		cs = append(cs, CheckCase{In: []Type{T(2, 5), T(2, 5)}, Attrs: Attrs{"delta": 0.5}})
	}
	return cs
}

// clampLog is log(v) clamped below at -100, as PyTorch's BCE does.
func clampLog(v float64) float64 { return max(math.Log(v), -100) }

// Handles of the ops this file registers.
var (
	// MSE is the op "mse".
	MSE *Op
	// Huber is the op "huber".
	Huber *Op
	// BinaryCrossEntropy is the op "binary_cross_entropy".
	BinaryCrossEntropy *Op
	// BinaryCrossEntropyWithLogits is the op "binary_cross_entropy_with_logits".
	BinaryCrossEntropyWithLogits *Op
)

func init() {
	one := func(b *Builder, x *Node) *Node { return scalar(b, x, 1) }
	specs := []lossSpec{
		{
			h: &MSE, name: "mse", doc: "mse(x, y): the mean of (x - y)²",
			builtin: lossBuiltin(),
			elem:    func(x, y float64, _ Attrs) float64 { return (x - y) * (x - y) },
			grads: func(b *Builder, n *Node) []*Node {
				d := b.Mul(scalar(b, n, 2), b.Sub(n.In[0], n.In[1]))
				return []*Node{d, neg(b, d)}
			},
			flops: 3, // subtract, square, add
		},
		{
			h: &Huber, name: "huber", doc: "huber(x, y; delta = 1): PyTorch's HuberLoss, the mean of ½d² where |d| < delta, else delta·(|d| - ½delta), d = x - y",
			builtin: lossBuiltin(BuiltinAttr{Name: "delta", Kind: FloatAttr, Default: 1.0}),
			elem: func(x, y float64, a Attrs) float64 {
				d, delta := math.Abs(x-y), a.Float("delta", 1)
				if d < delta {
					return 0.5 * d * d
				}
				return delta * (d - 0.5*delta)
			},
			grads: func(b *Builder, n *Node) []*Node {
				delta := n.Attrs.Float("delta", 1)
				d := b.Sub(n.In[0], n.In[1])
				c := b.Must(Minimum, nil, b.Must(Maximum, nil, d, scalar(b, d, -delta)), scalar(b, d, delta))
				return []*Node{c, neg(b, c)}
			},
			flops: 4, // subtract, abs, compare, square or subtract, add
		},
		{
			h: &BinaryCrossEntropy, name: "binary_cross_entropy", doc: "binary_cross_entropy(p, y): the mean of -(y·log p + (1 - y)·log(1 - p)), each log clamped at -100 as in PyTorch",
			builtin: lossBuiltin(),
			elem: func(p, y float64, _ Attrs) float64 {
				return -(y*clampLog(p) + (1-y)*clampLog(1-p))
			},
			grads: func(b *Builder, n *Node) []*Node {
				p, y := n.In[0], n.In[1]
				q := b.Sub(one(b, p), p)
				dp := b.Div(b.Sub(p, y), b.Mul(p, q))
				dy := b.Sub(b.Must(Log, nil, q), b.Must(Log, nil, p))
				return []*Node{dp, dy}
			},
			domain: []Domain{Unit, Unit},
			flops:  4, // two logs, multiply-add
		},
		{
			h: &BinaryCrossEntropyWithLogits, name: "binary_cross_entropy_with_logits", doc: "binary_cross_entropy_with_logits(z, y): binary_cross_entropy(sigmoid(z), y), computed stably as the mean of max(z, 0) - z·y + log(1 + e^-|z|)",
			builtin: lossBuiltin(),
			elem: func(z, y float64, _ Attrs) float64 {
				return max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z)))
			},
			grads: func(b *Builder, n *Node) []*Node {
				z, y := n.In[0], n.In[1]
				return []*Node{b.Sub(b.Must(Sigmoid, nil, z), y), neg(b, z)}
			},
			domain: []Domain{AnyReal, Unit},
			flops:  5, // softplus form, multiply, add
		},
	}
	for _, l := range specs {
		l.register()
	}
}
