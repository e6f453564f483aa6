package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Normalization layers, with PyTorch's definitions (biased variance, eps
// inside the square root; attribute "eps", default 1e-5):
//
//	layer_norm(x [..., D], gamma [D], beta [D])   statistics over the last axis
//	batch_norm(x [N, C, ...], gamma [C], beta [C]) statistics over every axis
//	                                               but C (training mode)
//
// The kernels are fused; the VJPs and JVPs are written with mean, sub, mul,
// sqrt and div, so they differentiate again, except layer_norm's VJP with
// respect to x, the fused op layer_norm_grad (nn_norm_grad.go). Batch normalization's running
// statistics are the caller's: BatchNormStats gives the batch's mean and
// variances and BatchNormEval normalizes with given statistics.

// Handles of the ops this file registers.
var (
	// LayerNorm is the op "layer_norm".
	LayerNorm *Op
	// BatchNorm is the op "batch_norm".
	BatchNorm *Op
)

type normSpec struct {
	h     **Op
	name  string
	batch bool // batch_norm: parameters along axis 1; else along the last axis
}

var (
	layerNorm = normSpec{&LayerNorm, "layer_norm", false}
	batchNorm = normSpec{&BatchNorm, "batch_norm", true}
)

// paramAxis is the axis that gamma and beta run along.
func (s normSpec) paramAxis(r int) int {
	if s.batch {
		return 1
	}
	return r - 1
}

// statAxes are the axes the statistics reduce; otherAxes every axis but the
// parameters' (which gamma's and beta's gradients sum over).
func (s normSpec) statAxes(r int) []int {
	if !s.batch {
		return []int{r - 1}
	}
	return s.otherAxes(r)
}

func (s normSpec) otherAxes(r int) []int {
	var out []int
	for i := 0; i < r; i++ {
		if i != s.paramAxis(r) {
			out = append(out, i)
		}
	}
	return out
}

func (s normSpec) infer(in []Type, a Attrs) (Type, error) {
	dt, err := sameFloat(s.name, in)
	if err != nil {
		return Type{}, err
	}
	x := in[0]
	if s.batch && x.Shape.Rank() < 2 {
		return Type{}, &InferError{s.name, fmt.Sprintf("needs an input [N, C, ...]: {0} is %v", x)}
	}
	if x.Shape.Rank() < 1 {
		return Type{}, &InferError{s.name, fmt.Sprintf("needs an input with at least one axis: {0} is %v", x)}
	}
	d := x.Shape[s.paramAxis(x.Shape.Rank())]
	for i := 1; i < 3; i++ {
		if !in[i].Shape.Equal(Shape{d}) {
			which := "the last axis"
			if s.batch {
				which = "the channel axis (1)"
			}
			return Type{}, &InferError{s.name, fmt.Sprintf("{%d} must be [%v], the size of %s of {0}: {0} is %v, {%d} is %v", i, d, which, x, i, in[i])}
		}
	}
	if e := a.Float("eps", 1e-5); !(e >= 0) {
		return Type{}, &InferError{s.name, fmt.Sprintf("eps is %g, must be non-negative", e)}
	}
	return Type{dt, x.Shape}, nil
}

// bcast reshapes a parameter-shaped p ([C] or [D]) to broadcast against x.
func (s normSpec) bcast(b *Builder, p *Node, x *Node) *Node {
	if !s.batch {
		return p
	}
	r := x.Type.Shape.Rank()
	sh := Shape{p.Type.Shape[0]}
	for i := 2; i < r; i++ {
		sh = append(sh, DimConst(1))
	}
	return reshapeTo(b, p, sh)
}

func (s normSpec) mean(b *Builder, x, v *Node) *Node {
	return b.Must(Mean, Attrs{"axes": s.statAxes(x.Type.Shape.Rank()), "keepdims": true}, v)
}

// sumOthers sums v (shaped as x) to the parameters' shape.
func (s normSpec) sumOthers(b *Builder, x, v *Node) *Node {
	axes := s.otherAxes(x.Type.Shape.Rank())
	if len(axes) == 0 {
		return v
	}
	return b.Must(Sum, Attrs{"axes": axes}, v)
}

// parts returns x̂ = (x - mean)·inv and inv = 1/sqrt(var + eps), built with ops.
func (s normSpec) parts(b *Builder, x *Node, eps float64) (xhat, inv *Node) {
	xc := b.Sub(x, s.mean(b, x, x))
	v := s.mean(b, x, b.Mul(xc, xc))
	inv = b.Div(scalar(b, x, 1), b.Must(Sqrt, nil, b.Add(v, scalar(b, x, eps))))
	return b.Mul(xc, inv), inv
}

// normalizeTangent is the derivative of x̂ along tx: inv·(tx - mean(tx) -
// x̂·mean(x̂·tx)); the map is self-adjoint, so it is the VJP too.
func (s normSpec) normalizeTangent(b *Builder, x, xhat, inv, tx *Node) *Node {
	c := b.Sub(b.Sub(tx, s.mean(b, x, tx)), b.Mul(xhat, s.mean(b, x, b.Mul(xhat, tx))))
	return b.Mul(inv, c)
}

func (s normSpec) register(doc string, check []CheckCase, builtin *Builtin) {
	Register(s.h, &Op{
		Name: s.name, Arity: 3,
		Builtin: builtin,
		Doc:     doc,
		// mean, subtract, square, add (variance), multiply (normalize),
		// multiply and add (gamma, beta) per element
		Flops: perIn(7),
		Infer: s.infer,
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			x, gamma := n.In[0], n.In[1]
			if !s.batch {
				// dx and the parameters' gradients by fused row kernels.
				eps := Attrs{"eps": n.Attrs.Float("eps", 1e-5)}
				dx := b.Must(LayerNormGrad, eps, x, gamma, g)
				pg := b.Must(LayerNormParamGrad, eps, x, g)
				return []*Node{dx, row(b, pg, 0), row(b, pg, 1)}
			}
			xhat, inv := s.parts(b, x, n.Attrs.Float("eps", 1e-5))
			dx := s.normalizeTangent(b, x, xhat, inv, b.Mul(g, s.bcast(b, gamma, x)))
			return []*Node{dx, s.sumOthers(b, x, b.Mul(g, xhat)), s.sumOthers(b, x, g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			x, gamma := n.In[0], n.In[1]
			xhat, inv := s.parts(b, x, n.Attrs.Float("eps", 1e-5))
			var terms []*Node
			if t[0] != nil {
				terms = append(terms, b.Mul(s.bcast(b, gamma, x), s.normalizeTangent(b, x, xhat, inv, t[0])))
			}
			if t[1] != nil {
				terms = append(terms, b.Mul(xhat, s.bcast(b, t[1], x)))
			}
			if t[2] != nil {
				terms = append(terms, s.bcast(b, t[2], x))
			}
			return sumTangents(b, n.Type, terms...)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			x, eps := in[0], n.Attrs.Float("eps", 1e-5)
			if !s.batch {
				d := x[len(x)-1]
				rows := tensor.NumElems(x) / max(d, 1)
				if d == 0 {
					rows = 0
				}
				return floatKernel(n,
					func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
						kernels.LayerNorm(o.F32, in[0].F32, in[1].F32, in[2].F32, rows, d, eps)
					},
					func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
						kernels.LayerNorm(o.F64, in[0].F64, in[1].F64, in[2].F64, rows, d, eps)
					})
			}
			nb, c, sp := x[0], x[1], tensor.NumElems(x[2:])
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.BatchNorm(o.F32, in[0].F32, in[1].F32, in[2].F32, nb, c, sp, eps)
				},
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.BatchNorm(o.F64, in[0].F64, in[1].F64, in[2].F64, nb, c, sp, eps)
				})
		},
		Check: check,
	})
}

func init() {
	layerNorm.register("layer_norm(x [..., D], gamma [D], beta [D]; eps = 1e-5): "+
		"(x - mean) / sqrt(var + eps) * gamma + beta over the last axis (biased variance)",
		[]CheckCase{
			{In: []Type{T(3, 4), T(4), T(4)}},
			{In: []Type{T(2, 3, 5), T(5), T(5)}, Attrs: Attrs{"eps": 0.1}},
			{In: []Type{T(4), T(4), T(4)}},
		},
		&Builtin{Operands: []Operand{
			{Name: "x"},
			{Name: "gamma", Kind: LiteralOperand, Like: []int{0}},
			{Name: "beta", Kind: LiteralOperand, Like: []int{0}},
		}, Attrs: []BuiltinAttr{{Name: "eps", Kind: FloatAttr, Default: 1e-5}}})
	// batch_norm's built-in is written by hand in lang (given statistics).
	batchNorm.register("batch_norm(x [N, C, ...], gamma [C], beta [C]; eps = 1e-5): training-mode batch "+
		"normalization, statistics per channel over N and the spatial axes (biased variance)",
		[]CheckCase{
			{In: []Type{T(4, 3), T(3), T(3)}},
			{In: []Type{T(2, 3, 2, 4), T(3), T(3)}},
			{In: []Type{T(3, 2, 4), T(2), T(2)}, Attrs: Attrs{"eps": 0.1}},
		}, nil)
}

// BatchNormStats returns the per-channel mean [C] of x [N, C, ...] and its
// biased and unbiased variances (PyTorch normalizes with the biased one and
// tracks running_var with the unbiased one: running = (1 - m)·running +
// m·stat).
func BatchNormStats(b *Builder, x *Node) (mean, biasedVar, unbiasedVar *Node) {
	axes := batchNorm.otherAxes(x.Type.Shape.Rank())
	mk := b.Must(Mean, Attrs{"axes": axes, "keepdims": true}, x)
	xc := b.Sub(x, mk)
	biasedVar = b.Must(Mean, Attrs{"axes": axes}, b.Mul(xc, xc))
	cnt := b.Must(Size, Attrs{"axes": axes, "dtype": x.Type.DType}, x)
	unbiasedVar = b.Mul(biasedVar, b.Div(cnt, b.Sub(cnt, scalar(b, x, 1))))
	return reshapeTo(b, mk, Shape{x.Type.Shape[1]}), biasedVar, unbiasedVar
}

// BatchNormEval is batch normalization in evaluation mode: x [N, C, ...]
// normalized with the given per-channel mean and variance [C]:
// (x - mean) / sqrt(variance + eps) · gamma + beta.
func BatchNormEval(b *Builder, x, gamma, beta, mean, variance *Node, eps float64) *Node {
	bc := func(p *Node) *Node { return batchNorm.bcast(b, p, x) }
	inv := b.Div(scalar(b, x, 1), b.Must(Sqrt, nil, b.Add(bc(variance), scalar(b, x, eps))))
	return b.Add(b.Mul(b.Mul(b.Sub(x, bc(mean)), inv), bc(gamma)), bc(beta))
}
