package ops

import "fmt"

// attention_grad(q, k, v, g, mask?; scale) is attention's gradient with
// respect to q, k and v for the incoming gradient g, stacked: [3, ..., T, d]
// (dq, dk, dv), for self-attention shapes (q, k and v of one shape, g of
// attention's result). Its kernel (kernels.Attention's Backward) recomputes
// the probabilities in strips of query rows and key tiles, skipping the
// tiles a causal mask hides, and never holds [..., T, T]. attention's VJP
// uses it. Its own VJP and JVP differentiate attentionGrads, the same
// gradients written with matmul and softmax (decompVJP, decompJVP), so it
// differentiates again to any order.

// AttentionGrad is the op "attention_grad".
var AttentionGrad *Op

func attentionGradInfer(in []Type, a Attrs) (Type, error) {
	if len(in) != 4 && len(in) != 5 {
		return Type{}, &InferError{"attention_grad", fmt.Sprintf("takes q, k, v, g and an optional mask, got %d operands", len(in))}
	}
	fwd := append(append([]Type(nil), in[:3]...), in[4:]...)
	out, err := attentionInfer(fwd, a)
	if err != nil {
		return Type{}, err
	}
	q := in[0]
	if !q.Shape.Equal(in[1].Shape) || !q.Shape.Equal(in[2].Shape) {
		return Type{}, &InferError{"attention_grad", fmt.Sprintf("q, k and v must have one shape: {0} is %v, {1} is %v, {2} is %v", q, in[1], in[2])}
	}
	if !in[3].Equal(out) {
		return Type{}, &InferError{"attention_grad", fmt.Sprintf("the gradient {3} must be %v, attention's result: got %v", out, in[3])}
	}
	return Type{q.DType, append(Shape{DimConst(3)}, q.Shape...)}, nil
}

// attentionGradComposite builds attention_grad's value at n with ops: the
// stacked gradients of attentionGrads.
func attentionGradComposite(b *Builder, n *Node) *Node {
	var mask *Node
	if len(n.In) == 5 {
		mask = n.In[4]
	}
	dq, dk, dv := attentionGrads(b, n.In[0], n.In[1], n.In[2], n.In[3], mask, n.Attrs)
	return b.Must(Stack, Attrs{"axis": 0}, dq, dk, dv)
}

func init() {
	Register(&AttentionGrad, &Op{
		Name: "attention_grad", Arity: -1,
		Doc: "attention_grad(q, k, v, g, mask?; scale = 1/sqrt(d)): attention's gradients with respect to q, k and v " +
			"for the incoming gradient g, stacked [3, ..., T, d]; q, k and v of one shape (attention's VJP)",
		Infer: attentionGradInfer,
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			ins := n.In[:4]
			out := decompVJP(b, ins, attentionGradComposite(b, n), h)
			if len(n.In) == 5 {
				out = append(out, nil)
			}
			return out
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return decompJVP(b, n.In[:4], attentionGradComposite(b, n), t[:4])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			p := newAttentionPlan(n, append(append([][]int(nil), in[:3]...), in[4:]...))
			return attentionKernelFor(n, p, true)
		},

		Flops: attentionGradFlops,
		Scratch: func(n *Node, in [][]int, out []int, f32 bool) int64 {
			return attentionScratchOf(in[0], in[1], in[2], len(in) == 5, f32, true)
		},
		Check: []CheckCase{
			{In: []Type{T(2, 3, 4), T(2, 3, 4), T(2, 3, 4), T(2, 3, 4)}},
			{In: []Type{T(4, 2), T(4, 2), T(4, 2), T(4, 2)}, Attrs: Attrs{"scale": 0.7}},
			// A float mask of non-zero values (nothing masked: a random
			// bool mask of resized cases masks whole rows, which are NaN);
			// TestAttentionGradMasks checks masked positions.
			{In: []Type{T(2, 5, 4), T(2, 5, 4), T(2, 5, 4), T(2, 5, 4), T(5, 5)},
				Domain: []Domain{AnyReal, AnyReal, AnyReal, AnyReal, Unit}},
			// A mask per batch (the kernel's general path, per-batch offsets).
			{In: []Type{T(2, 5, 4), T(2, 5, 4), T(2, 5, 4), T(2, 5, 4), T(2, 5, 5)},
				Domain: []Domain{AnyReal, AnyReal, AnyReal, AnyReal, Unit}},
		},
	})
}

// attentionGradFlops counts, per score, the recomputed probabilities
// (2·d + 6), dP = g·vᵀ (2·dv), dS (4), dq and dk (2·d each) and dv (2·dv),
// and one for the mask.
func attentionGradFlops(_ *Node, in [][]int, _ []int) int64 {
	q, v := in[0], in[2]
	r := len(q)
	scores := satMul(elems(q[:r-1]), int64(in[1][r-2]))
	per := satAdd(satAdd(satMul(6, int64(q[r-1])), satMul(4, int64(v[r-1]))), 10)
	if len(in) > 4 {
		per = satAdd(per, 1)
	}
	return satMul(scores, per)
}
