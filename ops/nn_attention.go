package ops

import (
	"fmt"
	"math"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// attention(q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv], mask?) is scaled
// dot-product attention: softmax(q·kᵀ·scale + bias)·v, [..., Tq, dv]. The
// optional mask is bool, or a float 0/1 of q's type, broadcastable to
// [..., Tq, Tk]: where it is false (0) the score is -Inf before the softmax
// (a row with every position masked gives NaNs, as in PyTorch). Attribute
// "scale" defaults to 1/sqrt(d). q, k and v share their batch dimensions.
//
// The kernel is fused (kernels.Attention: strips of 64 query rows over
// tiles of 64 keys, the tiles a causal mask hides skipped, no [Tq, Tk]
// matrix). For self-attention shapes (q, k and v of one shape) the VJP is
// the fused attention_grad (nn_attention_grad.go), which recomputes the
// weights per strip; otherwise the VJP, and always the JVP, recompute them
// with matmul and softmax. Both differentiate again. attention_bias turns
// the mask into the additive 0/-Inf term.

func attentionInfer(in []Type, a Attrs) (Type, error) {
	if len(in) != 3 && len(in) != 4 {
		return Type{}, &InferError{"attention", fmt.Sprintf("takes q, k, v and an optional mask, got %d operands", len(in))}
	}
	dt, err := sameFloat("attention", in[:3])
	if err != nil {
		return Type{}, err
	}
	q, k, v := in[0].Shape, in[1].Shape, in[2].Shape
	if q.Rank() < 2 || k.Rank() < 2 || v.Rank() < 2 {
		return Type{}, &InferError{"attention", fmt.Sprintf("q, k and v must be [..., T, d]: {0} is %v, {1} is %v, {2} is %v", in[0], in[1], in[2])}
	}
	r := q.Rank()
	if k.Rank() != r || v.Rank() != r || !q[:r-2].Equal(k[:r-2]) || !q[:r-2].Equal(v[:r-2]) {
		return Type{}, &InferError{"attention", fmt.Sprintf("q, k and v must share their batch dimensions: {0} is %v, {1} is %v, {2} is %v", in[0], in[1], in[2])}
	}
	if q[r-1] != k[r-1] {
		return Type{}, &InferError{"attention", fmt.Sprintf("q and k must have the same feature size: {0} is %v, {1} is %v", in[0], in[1])}
	}
	if k[r-2] != v[r-2] {
		return Type{}, &InferError{"attention", fmt.Sprintf("k and v must have the same length: {1} is %v, {2} is %v", in[1], in[2])}
	}
	if len(in) == 4 {
		m := in[3]
		if m.DType != Bool && m.DType != dt {
			return Type{}, &InferError{"attention", fmt.Sprintf("the mask must be bool or %v: {3} is %v", dt, m)}
		}
		scores := append(append(Shape(nil), q[:r-1]...), k[r-2])
		if s, err := BroadcastShapes(scores, m.Shape); err != nil || !s.Equal(scores) {
			return Type{}, &InferError{"attention", fmt.Sprintf("the mask {3} (%v) does not broadcast to the scores %v of {0} (%v) and {1} (%v)", m, scores, in[0], in[1])}
		}
	}
	return Type{dt, append(append(Shape(nil), q[:r-1]...), v[r-1])}, nil
}

// attentionWeights builds P = softmax(q·kᵀ·scale + bias) with ops, and the
// scale as a node, for attention's operands q, k and mask (nil: none) and
// attributes a.
func attentionWeights(b *Builder, q, k, mask *Node, a Attrs) (p, scale *Node) {
	scale = attentionScale(b, q, a)
	s := b.Mul(mm(b, q, k, false, true), scale)
	if mask != nil {
		s = b.Add(s, b.Must(AttentionBias, Attrs{"dtype": q.Type.DType}, mask))
	}
	return b.Must(Softmax, Attrs{"axis": -1}, s), scale
}

func attentionScale(b *Builder, q *Node, a Attrs) *Node {
	if _, ok := a["scale"]; ok {
		return scalar(b, q, a.Float("scale", 1))
	}
	d := b.Must(Size, Attrs{"axes": []int{-1}, "dtype": q.Type.DType}, q)
	return b.Div(scalar(b, q, 1), b.Must(Sqrt, nil, d))
}

// attentionMask is n's mask operand, or nil.
func attentionMask(n *Node) *Node {
	if len(n.In) == 4 {
		return n.In[3]
	}
	return nil
}

// softmaxTangent is P·(t - sum(t·P)) along the last axis: the derivative of
// softmax at P along t, and (being symmetric) its VJP.
func softmaxTangent(b *Builder, p, t *Node) *Node {
	return b.Mul(p, b.Sub(t, sumAxis(b, b.Mul(t, p), -1)))
}

// attentionVJP is one fused attention_grad when q, k and v have one shape
// (self-attention: Tq = Tk, d = dv), else attentionGrads' products.
func attentionVJP(b *Builder, n *Node, g *Node) []*Node {
	q, k, v := n.In[0], n.In[1], n.In[2]
	var out []*Node
	if q.Type.Shape.Equal(k.Type.Shape) && q.Type.Shape.Equal(v.Type.Shape) {
		in := append([]*Node{q, k, v, g}, n.In[3:]...)
		gr := b.Must(AttentionGrad, n.Attrs, in...)
		for i := 0; i < 3; i++ {
			part := b.Must(Slice, Attrs{"starts": []int{i}, "stops": []int{i + 1}}, gr)
			out = append(out, reshapeTo(b, part, q.Type.Shape))
		}
	} else {
		dq, dk, dv := attentionGrads(b, q, k, v, g, attentionMask(n), n.Attrs)
		out = []*Node{dq, dk, dv}
	}
	if len(n.In) == 4 {
		out = append(out, nil)
	}
	return out
}

// attentionGrads builds attention's gradients with respect to q, k and v
// for the incoming gradient g with ops (matmul, softmax), recomputing the
// weights.
func attentionGrads(b *Builder, q, k, v, g, mask *Node, a Attrs) (dq, dk, dv *Node) {
	p, scale := attentionWeights(b, q, k, mask, a)
	dv = mm(b, p, g, true, false)
	ds := b.Mul(softmaxTangent(b, p, mm(b, g, v, false, true)), scale)
	return mm(b, ds, k, false, false), mm(b, ds, q, true, false), dv
}

func attentionJVP(b *Builder, n *Node, t []*Node) *Node {
	q, k, v := n.In[0], n.In[1], n.In[2]
	p, scale := attentionWeights(b, q, k, attentionMask(n), n.Attrs)
	var ts *Node
	if t[0] != nil {
		ts = mm(b, t[0], k, false, true)
	}
	if t[1] != nil {
		x := mm(b, q, t[1], false, true)
		if ts == nil {
			ts = x
		} else {
			ts = b.Add(ts, x)
		}
	}
	var terms []*Node
	if ts != nil {
		terms = append(terms, mm(b, softmaxTangent(b, p, b.Mul(ts, scale)), v, false, false))
	}
	if t[2] != nil {
		terms = append(terms, mm(b, p, t[2], false, false))
	}
	return sumTangents(b, n.Type, terms...)
}

// attentionPlan is the attention kernel prepared for concrete shapes.
type attentionPlan struct {
	batch, tq, tk, d, dv int
	scale                float64
	mask                 bool
	moff                 []int // per batch, the mask's offset
	msq, msk             int   // the mask's strides along Tq and Tk (0 when broadcast)
	lens                 []int // per query row, the kept prefix of the keys (prefixLens)
}

func newAttentionPlan(n *Node, in [][]int) *attentionPlan {
	q, k, v := in[0], in[1], in[2]
	r := len(q)
	p := &attentionPlan{batch: tensor.NumElems(q[:r-2]), tq: q[r-2], tk: k[r-2], d: q[r-1], dv: v[r-1]}
	p.scale = 1 / math.Sqrt(float64(p.d))
	if _, ok := n.Attrs["scale"]; ok {
		p.scale = n.Attrs.Float("scale", 1)
	}
	p.lens = make([]int, p.tq)
	if len(in) == 4 {
		p.mask = true
		full := append(append([]int(nil), q[:r-1]...), p.tk)
		ms := in[3]
		st := make([]int, r) // the mask's strides aligned to full, 0 where broadcast
		acc := 1
		for i := len(ms) - 1; i >= 0; i-- {
			if ms[i] != 1 {
				st[i+r-len(ms)] = acc
			}
			acc *= ms[i]
		}
		p.msq, p.msk = st[r-2], st[r-1]
		p.moff = make([]int, p.batch)
		for bi := range p.moff {
			rem, off := bi, 0
			for i := r - 3; i >= 0; i-- {
				off += (rem % full[i]) * st[i]
				rem /= full[i]
			}
			p.moff[bi] = off
		}
	}
	return p
}

// prefixLens sets lens[i] to the number of leading keys that query row i
// keeps, and reports whether the mask is the same for every batch and keeps
// a non-empty prefix of the keys in every row (a causal mask: key j <= i).
// It reads the [Tq, Tk] mask once per call.
func (p *attentionPlan) prefixLens(keep func(i int) bool) bool {
	for _, o := range p.moff {
		if o != 0 {
			return false
		}
	}
	for i := 0; i < p.tq; i++ {
		c := 0
		for c < p.tk && keep(i*p.msq+c*p.msk) {
			c++
		}
		if c == 0 {
			return false
		}
		for j := c; j < p.tk; j++ {
			if keep(i*p.msq + j*p.msk) {
				return false
			}
		}
		p.lens[i] = c
	}
	return true
}

// masks reads the mask of a call (through keep) once: under a prefix mask
// it returns the rows' kept prefixes; under another mask, general is true
// and the kernel masks each row (maskRow); without a mask, neither.
func (p *attentionPlan) masks(keep func(i int) bool) (lens []int, general bool) {
	if !p.mask {
		return nil, false
	}
	if p.prefixLens(keep) {
		return p.lens, false
	}
	return nil, true
}

// maskRow returns the function that sets the masked scores of query row i
// of batch *cur to -Inf (kernels.Attention's mask), for a general mask.
func maskRow[T kernels.Float](p *attentionPlan, keep func(i int) bool, cur *int) func(i int, row []T) {
	ninf := T(math.Inf(-1))
	return func(i int, row []T) {
		base := p.moff[*cur] + i*p.msq
		for j := range row {
			if !keep(base + j*p.msk) {
				row[j] = ninf
			}
		}
	}
}

// maskKeep returns keep, which reads the mask tensor *m of the current call.
func maskKeep(m **tensor.Tensor) func(i int) bool {
	return func(i int) bool {
		switch t := *m; t.DType {
		case Bool:
			return t.Bool[i]
		case F32:
			return t.F32[i] != 0
		default:
			return t.F64[i] != 0
		}
	}
}

// attentionKernelOf prepares attention's forward, or with backward
// attention_grad's kernel (operands q, k, v, g, mask?; the result
// [3, ..., T, d]), for element type T.
func attentionKernelOf[T kernels.Float](p *attentionPlan, backward bool, get func(*tensor.Tensor) []T) KernelFunc {
	var m *tensor.Tensor
	keep := maskKeep(&m)
	mi := 3
	if backward {
		mi = 4
	}
	qs, ks, vs, os := p.tq*p.d, p.tk*p.d, p.tk*p.dv, p.tq*p.dv
	all := p.batch * qs
	// The call's operands, read by the batch's goroutines.
	var out, q, k, v, g []T
	var lens []int
	var general bool
	var cur []int                    // per goroutine: the batch its mask rows read
	var mrows []func(i int, row []T) // per goroutine
	b := kernels.NewAttentionBatch(p.batch, p.tq, p.tk, p.d, p.dv, p.scale, backward, func(a *kernels.Attention[T], w, bi int) {
		var mask func(i int, row []T)
		if general {
			cur[w] = bi
			mask = mrows[w]
		}
		qb, kb, vb := q[bi*qs:(bi+1)*qs], k[bi*ks:(bi+1)*ks], v[bi*vs:(bi+1)*vs]
		if !backward {
			a.Forward(out[bi*os:(bi+1)*os], qb, kb, vb, lens, mask)
			return
		}
		x := bi * qs
		a.Backward(out[x:x+qs], out[all+x:all+x+qs], out[2*all+x:2*all+x+qs], qb, kb, vb, g[bi*os:(bi+1)*os], lens, mask)
	})
	cur = make([]int, b.Participants())
	for w := range cur {
		mrows = append(mrows, maskRow[T](p, keep, &cur[w]))
	}
	return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
		if p.mask {
			m = in[mi]
		}
		lens, general = p.masks(keep)
		out, q, k, v = get(o), get(in[0]), get(in[1]), get(in[2])
		if backward {
			g = get(in[3])
		}
		b.Run()
		out, q, k, v, g = nil, nil, nil, nil, nil
	}
}

// attentionKernelFor prepares attention's (or with backward,
// attention_grad's) kernel for n's element type.
func attentionKernelFor(n *Node, p *attentionPlan, backward bool) (KernelFunc, error) {
	switch n.Type.DType {
	case F32:
		return attentionKernelOf(p, backward, func(t *tensor.Tensor) []float32 { return t.F32 }), nil
	case F64:
		return attentionKernelOf(p, backward, func(t *tensor.Tensor) []float64 { return t.F64 }), nil
	}
	return nil, fmt.Errorf("%s: no kernel for %v", n.Op.Name, n.Type.DType)
}

func attentionKernel(n *Node, in [][]int, out []int) (KernelFunc, error) {
	return attentionKernelFor(n, newAttentionPlan(n, in), false)
}

// Handles of the ops this file registers.
var (
	// Attention is the op "attention": attention(q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv], mask?; scale = 1/sqrt(d)):
	Attention *Op
	// AttentionBias is the op "attention_bias": attention_bias(mask; dtype): 0 where mask is true (non-zero) and -Inf elsewhere, for attention's scores
	AttentionBias *Op
)

func init() {
	Register(&Attention, &Op{
		Name: "attention", Arity: -1,
		Flops:   attentionFlops,
		Scratch: attentionScratch,
		Doc: "attention(q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv], mask?; scale = 1/sqrt(d)): " +
			"softmax(q·kᵀ·scale, masked to -Inf where mask is false)·v",
		Infer:  attentionInfer,
		VJP:    attentionVJP,
		JVP:    attentionJVP,
		Kernel: attentionKernel,
		Check: []CheckCase{
			{In: []Type{T(2, 3, 4), T(2, 5, 4), T(2, 5, 6)}},
			{In: []Type{T(3, 2), T(4, 2), T(4, 3)}, Attrs: Attrs{"scale": 0.7}},
			// A mask of one row drawn at random (false with probability
			// 1/d): rows with every position masked are NaN, as in PyTorch,
			// and cannot be checked. The PyTorch comparison masks [Tq, Tk].
			{In: []Type{T(2, 3, 4), T(2, 5, 4), T(2, 5, 3), {DType: Bool, Shape: ShapeOf(5)}},
				Domain: []Domain{AnyReal, AnyReal, AnyReal, Labels}},
		},
	})
	Register(&AttentionBias, &Op{
		Name: "attention_bias", Arity: 1,
		Flops: perOut(1),
		Doc:   "attention_bias(mask; dtype): 0 where mask is true (non-zero) and -Inf elsewhere, for attention's scores",
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt := a.DType("dtype", F32)
			if !dt.IsFloat() {
				return Type{}, &InferError{"attention_bias", fmt.Sprintf("dtype %v is not f32 or f64", dt)}
			}
			if in[0].DType != Bool && !in[0].DType.IsFloat() {
				return Type{}, &InferError{"attention_bias", fmt.Sprintf("the mask must be bool or float: {0} is %v", in[0])}
			}
			return Type{dt, in[0].Shape}, nil
		},
		NoGrad: "a mask: its result is 0 or -Inf",
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			ninf := math.Inf(-1)
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				for i := range o.Len() {
					if in[0].At(i) != 0 {
						o.Set(i, 0)
					} else {
						o.Set(i, ninf)
					}
				}
			}, nil
		},
	})
}

// attentionFlops counts q·kᵀ (2·d per score), the scale and the mask (one
// each per score), the softmax (5 per score) and the weighted sum of v
// (2·dv per score).
func attentionFlops(_ *Node, in [][]int, _ []int) int64 {
	q, v := in[0], in[2]
	r := len(q)
	scores := satMul(elems(q[:r-1]), int64(in[1][r-2])) // [..., Tq] × Tk
	per := satAdd(satAdd(satMul(2, int64(q[r-1])), satMul(2, int64(v[r-1]))), 6)
	if len(in) > 3 {
		per = satAdd(per, 1)
	}
	return satMul(scores, per)
}

// attentionScratch is kernels.Attention's buffers (a strip of scores and
// the tiles' products), the rows' kept prefixes and the mask's per-batch
// offsets.
func attentionScratch(n *Node, in [][]int, out []int, f32 bool) int64 {
	return attentionScratchOf(in[0], in[1], in[2], len(in) == 4, f32, false)
}

func attentionScratchOf(q, k, v []int, mask, f32, backward bool) int64 {
	r := len(q)
	tq, tk, d, dv := q[r-2], k[r-2], q[r-1], v[r-1]
	b := kernels.AttentionScratch[float64](tq, tk, d, dv, backward)
	if f32 {
		b = kernels.AttentionScratch[float32](tq, tk, d, dv, backward)
	}
	// one Attention per goroutine of the batch (kernels.AttentionBatch)
	b = kernels.MulBytes(int64(kernels.AttentionBatchWorkers(int(elems64(q[:r-2])), tq, tk, d, dv, backward)), b)
	b = kernels.AddBytes(b, kernels.HeapBytes(kernels.MulBytes(int64(tq), 8)))
	if mask {
		b = kernels.AddBytes(b, kernels.HeapBytes(kernels.MulBytes(elems64(q[:r-2]), 8)))
	}
	return b
}
