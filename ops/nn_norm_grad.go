package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// layer_norm_grad(x [..., D], gamma [D], g [..., D]; eps) is layer_norm's
// gradient with respect to x for the incoming gradient g, one fused row
// kernel (kernels.LayerNormGrad): with x̂ = (x - mean)·inv, inv = 1/sqrt(var
// + eps) over the last axis and v = g·gamma,
//
//	N(v) = inv·(v - mean(v) - x̂·mean(x̂·v)).
//
// layer_norm's VJP uses it; its own VJP and JVP are written with ops.
// Perturbing x by δ changes N(v) by
//
//	dN = -inv·(mean(x̂·δ)·N(v) + mean(x̂·v)·N(δ) + x̂·mean(δ·N(v))),
//
// and N is self-adjoint, so the VJP for h is, with respect to x,
// -inv·(mean(h·N(v))·x̂ + mean(x̂·v)·N(h) + mean(h·x̂)·N(v)); gamma,
// sum(N(h)·g); g, N(h)·gamma.

// LayerNormGrad is the op "layer_norm_grad".
var LayerNormGrad *Op

// lnGradParts are the pieces of the derivatives of layer_norm_grad at n.
type lnGradParts struct {
	x, gamma, g, xhat, inv, bm *Node
}

func newLNGradParts(b *Builder, n *Node) lnGradParts {
	p := lnGradParts{x: n.In[0], gamma: n.In[1], g: n.In[2]}
	p.xhat, p.inv = layerNorm.parts(b, p.x, n.Attrs.Float("eps", 1e-5))
	p.bm = layerNorm.mean(b, p.x, b.Mul(p.xhat, b.Mul(p.g, p.gamma)))
	return p
}

// normal is N(t) at x (gamma 1).
func (p lnGradParts) normal(b *Builder, t *Node) *Node {
	return layerNorm.normalizeTangent(b, p.x, p.xhat, p.inv, t)
}

// dx is the derivative of N(v) along δ = t (nv is N(v), the node's value).
func (p lnGradParts) dx(b *Builder, nv, t *Node) *Node {
	m := func(v *Node) *Node { return layerNorm.mean(b, p.x, v) }
	s := b.Add(b.Add(b.Mul(m(b.Mul(p.xhat, t)), nv), b.Mul(p.bm, p.normal(b, t))), b.Mul(p.xhat, m(b.Mul(t, nv))))
	return b.Mul(b.Mul(scalar(b, p.x, -1), p.inv), s)
}

func init() {
	Register(&LayerNormGrad, &Op{
		Name: "layer_norm_grad", Arity: 3,
		Doc: "layer_norm_grad(x [..., D], gamma [D], g [..., D]; eps = 1e-5): the gradient of layer_norm(x, gamma, beta) " +
			"with respect to x for the incoming gradient g, one fused row kernel (layer_norm's VJP)",
		// statistics (4), the two sums (5) and dx (5) per element
		Flops:   perIn(14),
		InPlace: []int{2},
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt, err := sameFloat("layer_norm_grad", in)
			if err != nil {
				return Type{}, err
			}
			x := in[0]
			if x.Shape.Rank() < 1 || !in[1].Shape.Equal(Shape{x.Shape[x.Shape.Rank()-1]}) || !in[2].Shape.Equal(x.Shape) {
				return Type{}, &InferError{"layer_norm_grad", fmt.Sprintf("needs x [..., D], gamma [D] and g shaped as x: got %v, %v, %v", x, in[1], in[2])}
			}
			if e := a.Float("eps", 1e-5); !(e >= 0) {
				return Type{}, &InferError{"layer_norm_grad", fmt.Sprintf("eps is %g, must be non-negative", e)}
			}
			return Type{dt, x.Shape}, nil
		},
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			p := newLNGradParts(b, n)
			nh := p.normal(b, h)
			return []*Node{p.dx(b, n, h), layerNorm.sumOthers(b, p.x, b.Mul(nh, p.g)), b.Mul(nh, p.gamma)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			p := newLNGradParts(b, n)
			var terms []*Node
			if t[0] != nil {
				terms = append(terms, p.dx(b, n, t[0]))
			}
			if t[1] != nil {
				terms = append(terms, p.normal(b, b.Mul(p.g, t[1])))
			}
			if t[2] != nil {
				terms = append(terms, p.normal(b, b.Mul(t[2], p.gamma)))
			}
			return sumTangents(b, n.Type, terms...)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			rows, d := lnRows(in[0])
			eps := n.Attrs.Float("eps", 1e-5)
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.LayerNormGrad(o.F32, in[0].F32, in[1].F32, in[2].F32, rows, d, eps)
				},
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.LayerNormGrad(o.F64, in[0].F64, in[1].F64, in[2].F64, rows, d, eps)
				})
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4), T(4), T(3, 4)}},
			{In: []Type{T(2, 3, 5), T(5), T(2, 3, 5)}, Attrs: Attrs{"eps": 0.1}},
			{In: []Type{T(4), T(4), T(4)}},
		},
	})
}

// layer_norm_param_grad(x [..., D], g [..., D]; eps) is layer_norm's
// gradients with respect to gamma and beta for the incoming gradient g,
// stacked [2, D]: Σ g·x̂ and Σ g over every axis but the last, one fused
// pass per row (kernels.LayerNormParamGrad) instead of recomputing x̂ as a
// tensor. Its derivatives are written with ops: with respect to x, N(g·h₀)
// summed per row (N, x̂'s derivative, is self-adjoint); with respect to g,
// h₀·x̂ + h₁.

// LayerNormParamGrad is the op "layer_norm_param_grad".
var LayerNormParamGrad *Op

// lnParamParts are x̂ and inv of layer_norm_param_grad's x.
func lnParamParts(b *Builder, n *Node) (xhat, inv *Node) {
	return layerNorm.parts(b, n.In[0], n.Attrs.Float("eps", 1e-5))
}

// lnRows is the rows and the row length d of x [..., d].
func lnRows(x []int) (rows, d int) {
	d = x[len(x)-1]
	if d > 0 {
		rows = tensor.NumElems(x) / d
	}
	return rows, d
}

// row is row i of a [2, D] node, as [D].
func row(b *Builder, x *Node, i int) *Node {
	s := b.Must(Slice, Attrs{"starts": []int{i}, "stops": []int{i + 1}}, x)
	return reshapeTo(b, s, x.Type.Shape[1:])
}

func init() {
	Register(&LayerNormParamGrad, &Op{
		Name: "layer_norm_param_grad", Arity: 2,
		Doc: "layer_norm_param_grad(x [..., D], g [..., D]; eps = 1e-5): the gradients of layer_norm(x, gamma, beta) " +
			"with respect to gamma and beta for the incoming gradient g, stacked [2, D] (layer_norm's VJP)",
		// statistics (4), x̂ (2) and the two sums (3) per element
		Flops: perIn(5),
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt, err := sameFloat("layer_norm_param_grad", in)
			if err != nil {
				return Type{}, err
			}
			x := in[0]
			if x.Shape.Rank() < 1 || !in[1].Shape.Equal(x.Shape) {
				return Type{}, &InferError{"layer_norm_param_grad", fmt.Sprintf("needs x [..., D] and g shaped as x: got %v, %v", x, in[1])}
			}
			if e := a.Float("eps", 1e-5); !(e >= 0) {
				return Type{}, &InferError{"layer_norm_param_grad", fmt.Sprintf("eps is %g, must be non-negative", e)}
			}
			return Type{dt, Shape{DimConst(2), x.Shape[x.Shape.Rank()-1]}}, nil
		},
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			x, g := n.In[0], n.In[1]
			xhat, inv := lnParamParts(b, n)
			h0, h1 := row(b, h, 0), row(b, h, 1)
			dx := layerNorm.normalizeTangent(b, x, xhat, inv, b.Mul(g, h0))
			return []*Node{dx, b.BroadcastTo(b.Add(b.Mul(xhat, h0), h1), x.Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			x, g := n.In[0], n.In[1]
			xhat, inv := lnParamParts(b, n)
			var dg, db []*Node
			if t[0] != nil {
				dg = append(dg, layerNorm.sumOthers(b, x, b.Mul(g, layerNorm.normalizeTangent(b, x, xhat, inv, t[0]))))
			}
			if t[1] != nil {
				dg = append(dg, layerNorm.sumOthers(b, x, b.Mul(t[1], xhat)))
				db = append(db, layerNorm.sumOthers(b, x, t[1]))
			}
			d := Type{n.Type.DType, n.Type.Shape[1:]}
			return b.Must(Stack, Attrs{"axis": 0}, sumTangents(b, d, dg...), sumTangents(b, d, db...))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			rows, d := lnRows(in[0])
			eps := n.Attrs.Float("eps", 1e-5)
			acc := make([]float64, kernels.LayerNormParamGradAcc(rows, d))
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.LayerNormParamGrad(o.F32, in[0].F32, in[1].F32, acc, rows, d, eps)
				},
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.LayerNormParamGrad(o.F64, in[0].F64, in[1].F64, acc, rows, d, eps)
				})
		},
		Scratch: func(n *Node, in [][]int, out []int, f32 bool) int64 {
			rows, d := lnRows(in[0])
			return kernels.HeapBytes(kernels.MulBytes(int64(kernels.LayerNormParamGradAcc(rows, d)), 8))
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4), T(3, 4)}},
			{In: []Type{T(2, 3, 5), T(2, 3, 5)}, Attrs: Attrs{"eps": 0.1}},
			{In: []Type{T(4), T(4)}},
		},
	})
}
