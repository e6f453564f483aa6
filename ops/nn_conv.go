package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Convolutions, with PyTorch's conventions: conv2d(x [N, C, H, W],
// K [C_out, C/groups, kH, kW]) and conv1d(x [N, C, W], K [C_out, C/groups, k])
// compute cross-correlations. Attributes: "stride" and "dilation" are an int
// (every spatial axis) or []int (one per spatial axis), default 1; "pad" is
// as nn_conv_pads.go says (an int, per-axis ints, before and after each
// axis, "valid", "same" or "same_lower"), default 0; "groups" is an int,
// default 1.
//
// Each convolution has two companion ops for its gradients, so that gradients
// of gradients are again convolutions:
//
//	convNd_input_grad(g, K) {shape: x's shape}   the gradient with respect to x
//	                                             (a transposed convolution)
//	convNd_weight_grad(x, g) {shape: K's shape}  the gradient with respect to K
//
// All three are bilinear, so each one's VJP and JVP are made of the three.

// convParams are a convolution's attributes resolved for its spatial axes.
type convParams struct {
	stride, dil []int
	pads        padSpec
	groups      int
}

// spatialInts reads an int or []int attribute for nsp spatial axes.
func spatialInts(name string, a Attrs, key string, nsp, def, least int) ([]int, error) {
	out := make([]int, nsp)
	v, ok := a[key]
	switch x := v.(type) {
	case nil:
		for i := range out {
			out[i] = def
		}
		if ok && v != nil {
			return nil, &InferError{name, fmt.Sprintf("%s must be an int or a list of %d ints", key, nsp)}
		}
	case int:
		for i := range out {
			out[i] = x
		}
	case []int:
		switch len(x) {
		case 1:
			for i := range out {
				out[i] = x[0]
			}
		case nsp:
			copy(out, x)
		default:
			return nil, &InferError{name, fmt.Sprintf("%s has %d values, want 1 or %d", key, len(x), nsp)}
		}
	default:
		return nil, &InferError{name, fmt.Sprintf("%s must be an int or a list of %d ints", key, nsp)}
	}
	for _, x := range out {
		if x < least {
			return nil, &InferError{name, fmt.Sprintf("%s is %v, must be at least %d", key, v, least)}
		}
		if int64(x) > MaxTensorBytes {
			return nil, &SizeError{name, fmt.Errorf("%s is %v, more than the limit of %d", key, v, MaxTensorBytes)}
		}
	}
	return out, nil
}

func resolveConv(name string, nsp int, a Attrs) (convParams, error) {
	var p convParams
	var err error
	if p.stride, err = spatialInts(name, a, "stride", nsp, 1, 1); err != nil {
		return p, err
	}
	if p.pads, err = readPads(name, a, nsp); err != nil {
		return p, err
	}
	if p.dil, err = spatialInts(name, a, "dilation", nsp, 1, 1); err != nil {
		return p, err
	}
	p.groups = 1
	if v, ok := a["groups"]; ok {
		g, isInt := v.(int)
		if !isInt || g < 1 {
			return p, &InferError{name, fmt.Sprintf("groups is %v, must be a positive int", v)}
		}
		p.groups = g
	}
	return p, nil
}

// convOutShape is the result shape of convolving x with a kernel of shape k;
// xl and kl are the operands' labels ("{0}") for messages.
func convOutShape(name string, nsp int, x, k Type, p convParams, xl, kl string) (Shape, error) {
	if x.Shape.Rank() != nsp+2 || k.Shape.Rank() != nsp+2 {
		lay := "[N, C, H, W]"
		klay := "[C_out, C/groups, kH, kW]"
		switch nsp {
		case 1:
			lay, klay = "[N, C, W]", "[C_out, C/groups, k]"
		case 3:
			lay, klay = "[N, C, D, H, W]", "[C_out, C/groups, kD, kH, kW]"
		}
		return nil, &InferError{name, fmt.Sprintf("the input must be %s and the kernel %s: %s is %v, %s is %v", lay, klay, xl, x, kl, k)}
	}
	g := DimConst(int64(p.groups))
	if x.Shape[1] != k.Shape[1].Mul(g) {
		return nil, &InferError{name, fmt.Sprintf("input channels %v are not kernel channels %v times groups %d: %s is %v, %s is %v",
			x.Shape[1], k.Shape[1], p.groups, xl, x, kl, k)}
	}
	if co, ok := k.Shape[0].IsConst(); ok && co%int64(p.groups) != 0 {
		return nil, &InferError{name, fmt.Sprintf("output channels %d are not divisible by groups %d: %s is %v", co, p.groups, kl, k)}
	}
	keff := make(Shape, nsp)
	for i := range keff {
		keff[i] = dilatedExtent(k.Shape[2+i], p.dil[i])
	}
	lo, hi, err := p.pads.widths(name, x.Shape[2:], keff, p.stride)
	if err != nil {
		return nil, err
	}
	out := Shape{x.Shape[0], k.Shape[0]}
	for i := 0; i < nsp; i++ {
		s, d := int64(p.stride[i]), int64(p.dil[i])
		// (H + lo + hi - d·(k-1) - 1) / s + 1
		num := x.Shape[2+i].Add(DimConst(int64(lo[i]) + int64(hi[i]))).Sub(keff[i])
		if c, ok := num.IsConst(); ok && c < 0 {
			return nil, &InferError{name, fmt.Sprintf("the dilated kernel (%v along axis %d, dilation %d) is larger than the padded input (%v + %d + %d): %s is %v, %s is %v",
				k.Shape[2+i], 2+i, d, x.Shape[2+i], lo[i], hi[i], xl, x, kl, k)}
		}
		q, err := num.Div(DimConst(s))
		if err != nil {
			return nil, &InferError{name, err.Error()}
		}
		out = append(out, q.Add(DimConst(1)))
	}
	return out, nil
}

// Handles of the ops this file registers.
var (
	// Conv1D is the op "conv1d".
	Conv1D *Op
	// Conv1DInputGrad is the op "conv1d_input_grad".
	Conv1DInputGrad *Op
	// Conv1DWeightGrad is the op "conv1d_weight_grad".
	Conv1DWeightGrad *Op
	// Conv2D is the op "conv2d".
	Conv2D *Op
	// Conv2DInputGrad is the op "conv2d_input_grad".
	Conv2DInputGrad *Op
	// Conv2DWeightGrad is the op "conv2d_weight_grad".
	Conv2DWeightGrad *Op
	// Conv3D is the op "conv3d".
	Conv3D *Op
	// Conv3DInputGrad is the op "conv3d_input_grad".
	Conv3DInputGrad *Op
	// Conv3DWeightGrad is the op "conv3d_weight_grad".
	Conv3DWeightGrad *Op
)

// convSpec names the three ops of one spatial rank.
type convSpec struct {
	nsp                       int
	fwd, inGrad, wtGrad       string
	fwdOp, inGradOp, wtGradOp **Op // their handles
}

func (s convSpec) attrs(a Attrs) Attrs {
	c := make(Attrs, len(a))
	for k, v := range a {
		if k != "shape" {
			c[k] = v
		}
	}
	return c
}

func (s convSpec) conv(b *Builder, a Attrs, x, k *Node) *Node {
	return b.Must(*s.fwdOp, s.attrs(a), x, k)
}

func (s convSpec) inputGrad(b *Builder, a Attrs, g, k *Node, x Shape) *Node {
	return b.Must(*s.inGradOp, s.attrs(a).With("shape", x), g, k)
}

func (s convSpec) weightGrad(b *Builder, a Attrs, x, g *Node, k Shape) *Node {
	return b.Must(*s.wtGradOp, s.attrs(a).With("shape", k), x, g)
}

// plan prepares the kernel of a convolution of concrete shapes x and k.
func (s convSpec) plan(a Attrs, x, k []int) (*kernels.Conv, error) {
	p, lo, hi, err := convWidths(s.fwd, s.nsp, a, x, k)
	if err != nil {
		return nil, err
	}
	if s.nsp == 1 {
		return kernels.NewConvPadded([]int{x[0], x[1], 1, x[2]}, []int{k[0], k[1], 1, k[2]},
			[2]int{1, p.stride[0]}, [2]int{0, lo[0]}, [2]int{0, hi[0]}, [2]int{1, p.dil[0]}, p.groups), nil
	}
	return kernels.NewConvPadded(x, k, [2]int{p.stride[0], p.stride[1]}, [2]int{lo[0], lo[1]}, [2]int{hi[0], hi[1]},
		[2]int{p.dil[0], p.dil[1]}, p.groups), nil
}

// kernel prepares the kernel of the given kind for a convolution of
// concrete shapes x and k.
func (s convSpec) kernel(n *Node, x, k []int, kind int) (KernelFunc, error) {
	if s.nsp == 3 {
		return conv3DKernelFor(n, x, k, kind)
	}
	c, err := s.plan(n.Attrs, x, k)
	if err != nil {
		return nil, err
	}
	return convKernelFor(n, c, kind)
}

// convWidths resolves the attributes and the padding of a convolution of
// concrete shapes x and k.
func convWidths(name string, nsp int, a Attrs, x, k []int) (p convParams, lo, hi []int, err error) {
	if p, err = resolveConv(name, nsp, a); err != nil {
		return p, nil, nil, err
	}
	keff := make(Shape, nsp)
	for i := range keff {
		keff[i] = DimConst(int64(p.dil[i]*(k[2+i]-1) + 1))
	}
	lo, hi, err = p.pads.widths(name, ShapeOf(x[2:]...), keff, p.stride)
	return p, lo, hi, err
}

const (
	convFwd = iota
	convIn
	convWt
	convFwdPacked // f32 forward by a param kernel
)

func convKernel[T kernels.Float](c *kernels.Conv, kind int, get func(*tensor.Tensor) []T, mm kernels.Gemm[T]) KernelFunc {
	col := make([]T, c.ColLen())
	switch kind {
	case convFwdPacked:
		// The kernel is a param, which does not change during a run: its
		// packed form can be kept in ctx.Packs.
		return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			var packs *kernels.PackCache
			if ctx != nil {
				packs = ctx.Packs
			}
			kernels.ConvForwardPacked(c, packs, o.F32, in[0].F32, in[1].F32)
		}
	case convFwd:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			kernels.ConvForward(c, get(o), get(in[0]), get(in[1]), col, mm)
		}
	case convIn:
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			kernels.ConvInputGrad(c, get(o), get(in[0]), get(in[1]), col, mm)
		}
	}
	tmp := make([]T, c.TmpLen())
	return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
		kernels.ConvWeightGrad(c, get(o), get(in[0]), get(in[1]), col, tmp, mm)
	}
}

func f32s(t *tensor.Tensor) []float32 { return t.F32 }
func f64s(t *tensor.Tensor) []float64 { return t.F64 }

// convKernelFor picks the f32 or f64 kernel of the given kind.
func convKernelFor(n *Node, c *kernels.Conv, kind int) (KernelFunc, error) {
	switch n.Type.DType {
	case F32:
		if kind == convFwd && Invariant(n.In[1]) {
			kind = convFwdPacked
		}
		return convKernel(c, kind, f32s, (*kernels.Matmul).F32), nil
	case F64:
		return convKernel(c, kind, f64s, (*kernels.Matmul).F64), nil
	}
	return nil, fmt.Errorf("%s: no kernel for %v", n.Op.Name, n.Type.DType)
}

// bilinearJVP is f(ta, b) + f(a, tb) for an op bilinear in its two operands.
func bilinearJVP(b *Builder, n *Node, t []*Node, f func(x, y *Node) *Node) *Node {
	var l, r *Node
	if t[0] != nil {
		l = f(t[0], n.In[1])
	}
	if t[1] != nil {
		r = f(n.In[0], t[1])
	}
	return sumTangents(b, n.Type, l, r)
}

func registerConv(s convSpec) {
	Register(s.fwdOp, &Op{
		Name: s.fwd, Arity: 2, Flops: convFlops, Scratch: convScratch(0, 1, -1, s.nsp),
		Builtin: convBuiltin(),
		Doc: s.fwd + "(x, K; stride, pad, dilation, groups): PyTorch's convolution (cross-correlation), " +
			"x NC" + map[int]string{1: "W", 2: "HW", 3: "DHW"}[s.nsp] + ", K [C_out, C/groups, k...]",
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt, err := sameFloat(s.fwd, in)
			if err != nil {
				return Type{}, err
			}
			p, err := resolveConv(s.fwd, s.nsp, a)
			if err != nil {
				return Type{}, err
			}
			out, err := convOutShape(s.fwd, s.nsp, in[0], in[1], p, "{0}", "{1}")
			if err != nil {
				return Type{}, err
			}
			return Type{dt, out}, nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			x, k := n.In[0], n.In[1]
			return []*Node{s.inputGrad(b, n.Attrs, g, k, x.Type.Shape), s.weightGrad(b, n.Attrs, x, g, k.Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return bilinearJVP(b, n, t, func(x, k *Node) *Node { return s.conv(b, n.Attrs, x, k) })
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return s.kernel(n, in[0], in[1], convFwd)
		},
		Check: convChecks[s.fwd],
	})
	Register(s.inGradOp, &Op{
		Name: s.inGrad, Arity: 2, Flops: convInputGradFlops, Scratch: convScratch(-1, 1, 0, s.nsp),
		Doc: s.inGrad + "(g, K; shape, stride, pad, dilation, groups): the gradient of " + s.fwd +
			"(x, K) with respect to x of the given shape, given the result's gradient g (a transposed convolution)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt, err := sameFloat(s.inGrad, in)
			if err != nil {
				return Type{}, err
			}
			p, err := resolveConv(s.inGrad, s.nsp, a)
			if err != nil {
				return Type{}, err
			}
			x := Type{dt, a.Shape("shape")}
			out, err := convOutShape(s.inGrad, s.nsp, x, in[1], p, "the input "+x.String(), "{1}")
			if err != nil {
				return Type{}, err
			}
			if !out.Equal(in[0].Shape) {
				return Type{}, &InferError{s.inGrad, fmt.Sprintf("{0} is %v, but convolving %v with {1} (%v) gives %v", in[0], x, in[1], out)}
			}
			return x, nil
		},
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			g, k := n.In[0], n.In[1]
			return []*Node{s.conv(b, n.Attrs, h, k), s.weightGrad(b, n.Attrs, h, g, k.Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return bilinearJVP(b, n, t, func(g, k *Node) *Node { return s.inputGrad(b, n.Attrs, g, k, n.Type.Shape) })
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return s.kernel(n, out, in[1], convIn)
		},
		Check: convChecks[s.inGrad],
	})
	Register(s.wtGradOp, &Op{
		Name: s.wtGrad, Arity: 2, Flops: convWeightGradFlops, Scratch: convScratch(0, -1, 1, s.nsp),
		Doc: s.wtGrad + "(x, g; shape, stride, pad, dilation, groups): the gradient of " + s.fwd +
			"(x, K) with respect to K of the given shape, given the result's gradient g",
		Infer: func(in []Type, a Attrs) (Type, error) {
			dt, err := sameFloat(s.wtGrad, in)
			if err != nil {
				return Type{}, err
			}
			p, err := resolveConv(s.wtGrad, s.nsp, a)
			if err != nil {
				return Type{}, err
			}
			k := Type{dt, a.Shape("shape")}
			out, err := convOutShape(s.wtGrad, s.nsp, in[0], k, p, "{0}", "the kernel "+k.String())
			if err != nil {
				return Type{}, err
			}
			if !out.Equal(in[1].Shape) {
				return Type{}, &InferError{s.wtGrad, fmt.Sprintf("{1} is %v, but convolving {0} (%v) with %v gives %v", in[1], in[0], k, out)}
			}
			return k, nil
		},
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			x, g := n.In[0], n.In[1]
			return []*Node{s.inputGrad(b, n.Attrs, g, h, x.Type.Shape), s.conv(b, n.Attrs, x, h)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return bilinearJVP(b, n, t, func(x, g *Node) *Node { return s.weightGrad(b, n.Attrs, x, g, n.Type.Shape) })
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return s.kernel(n, in[0], out, convWt)
		},
		Check: convChecks[s.wtGrad],
	})
}

// convChecks are the gradient-check cases. Those of conv1d and conv2d keep
// their shapes valid when the checker resizes them (groups 1, enough
// padding); the gradient ops carry a "shape" attribute, so they are not
// resized and can use groups, strides and dilations. More cases of the
// convolutions themselves run in nn_conv_test.go.
var convChecks = map[string][]CheckCase{
	"conv1d": {
		{In: []Type{T(2, 3, 5), T(4, 3, 2)}, Attrs: Attrs{"pad": 2}},
		{In: []Type{T(2, 3, 6), T(4, 3, 3)}, Attrs: Attrs{"pad": []int{4}, "stride": 2, "dilation": []int{2}}},
		{In: []Type{T(2, 3, 5), T(4, 3, 2)}, Attrs: Attrs{"pad": []int{0, 4}}},
		{In: []Type{T(1, 2, 5), T(3, 2, 3)}, Attrs: Attrs{"pad": "same", "stride": 2}},
	},
	"conv1d_input_grad": {
		{In: []Type{T(2, 4, 4), T(4, 3, 3)}, Attrs: Attrs{"shape": ShapeOf(2, 6, 7), "stride": 2, "pad": 1, "groups": 2}},
	},
	"conv1d_weight_grad": {
		{In: []Type{T(2, 6, 7), T(2, 4, 4)}, Attrs: Attrs{"shape": ShapeOf(4, 3, 3), "stride": 2, "pad": 1, "groups": 2}},
	},
	"conv2d": {
		{In: []Type{T(2, 3, 4, 5), T(4, 3, 2, 2)}, Attrs: Attrs{"pad": []int{2, 2}}},
		{In: []Type{T(1, 2, 5, 4), T(3, 2, 3, 3)}, Attrs: Attrs{"pad": []int{4, 4}, "stride": []int{2, 1}, "dilation": 2}},
		{In: []Type{T(2, 3, 4, 5), T(4, 3, 2, 2)}, Attrs: Attrs{"pad": []int{4, 3, 1, 4}}},
		{In: []Type{T(1, 2, 5, 4), T(3, 2, 3, 2)}, Attrs: Attrs{"pad": "same", "dilation": []int{1, 2}}},
		{In: []Type{T(1, 2, 5, 4), T(3, 2, 3, 3)}, Attrs: Attrs{"pad": "same_lower", "stride": 2}},
	},
	"conv2d_input_grad": {
		{In: []Type{T(2, 4, 3, 3), T(4, 1, 2, 3)}, Attrs: Attrs{"shape": ShapeOf(2, 2, 4, 5), "stride": []int{2, 1}, "pad": []int{1, 0}, "dilation": []int{1, 1}, "groups": 2}},
		{In: []Type{T(1, 2, 3, 3), T(2, 3, 2, 2)}, Attrs: Attrs{"shape": ShapeOf(1, 3, 5, 5), "stride": 2, "dilation": 2, "pad": 1}},
		{In: []Type{T(1, 3, 2, 3), T(3, 2, 3, 3)}, Attrs: Attrs{"shape": ShapeOf(1, 2, 5, 6), "stride": 2, "pad": []int{0, 1, 1, 0}}},
	},
	"conv2d_weight_grad": {
		{In: []Type{T(2, 2, 4, 5), T(2, 4, 3, 3)}, Attrs: Attrs{"shape": ShapeOf(4, 1, 2, 3), "stride": []int{2, 1}, "pad": []int{1, 0}, "groups": 2}},
		{In: []Type{T(1, 3, 5, 5), T(1, 2, 3, 3)}, Attrs: Attrs{"shape": ShapeOf(2, 3, 2, 2), "stride": 2, "dilation": 2, "pad": 1}},
		{In: []Type{T(1, 2, 5, 6), T(1, 3, 2, 3)}, Attrs: Attrs{"shape": ShapeOf(3, 2, 3, 3), "stride": 2, "pad": []int{0, 1, 1, 0}}},
	},
	"conv3d": {
		{In: []Type{T(2, 2, 3, 4, 3), T(3, 2, 2, 2, 2)}, Attrs: Attrs{"pad": 2}},
		{In: []Type{T(1, 2, 4, 3, 5), T(2, 2, 2, 3, 2)}, Attrs: Attrs{"pad": []int{3, 4, 3}, "stride": []int{2, 1, 2}, "dilation": []int{2, 1, 1}}},
		{In: []Type{T(1, 2, 3, 4, 3), T(2, 2, 2, 2, 2)}, Attrs: Attrs{"pad": []int{1, 2, 0, 1, 2, 1}}},
		{In: []Type{T(1, 1, 3, 4, 3), T(2, 1, 3, 2, 2)}, Attrs: Attrs{"pad": "same"}},
	},
	"conv3d_input_grad": {
		{In: []Type{T(1, 4, 3, 1, 3), T(4, 1, 2, 2, 2)}, Attrs: Attrs{"shape": ShapeOf(1, 2, 4, 3, 5), "stride": []int{2, 1, 2}, "pad": []int{1, 0, 1}, "dilation": []int{1, 2, 1}, "groups": 2}},
	},
	"conv3d_weight_grad": {
		{In: []Type{T(1, 2, 4, 3, 5), T(1, 4, 3, 1, 3)}, Attrs: Attrs{"shape": ShapeOf(4, 1, 2, 2, 2), "stride": []int{2, 1, 2}, "pad": []int{1, 0, 1}, "dilation": []int{1, 2, 1}, "groups": 2}},
	},
}

func init() {
	for _, nsp := range []int{1, 2, 3} {
		name := fmt.Sprintf("conv%dd", nsp)
		h := [][3]**Op{1: {&Conv1D, &Conv1DInputGrad, &Conv1DWeightGrad}, 2: {&Conv2D, &Conv2DInputGrad, &Conv2DWeightGrad},
			3: {&Conv3D, &Conv3DInputGrad, &Conv3DWeightGrad}}[nsp]
		registerConv(convSpec{nsp: nsp, fwd: name, inGrad: name + "_input_grad", wtGrad: name + "_weight_grad",
			fwdOp: h[0], inGradOp: h[1], wtGradOp: h[2]})
	}
}

// Convolutions count a multiply-add per output element and kernel tap of
// its group; the gradients do the same products.

// convFlops is the FLOPs of conv1d and conv2d (x, K).
func convFlops(_ *Node, in [][]int, out []int) int64 {
	return satMul(satMul(2, elems(out)), elems(in[1][1:]))
}

// convInputGradFlops is the FLOPs of the input gradients (g, K).
func convInputGradFlops(_ *Node, in [][]int, _ []int) int64 {
	return satMul(satMul(2, elems(in[0])), elems(in[1][1:]))
}

// convWeightGradFlops is the FLOPs of the kernel gradients (x, g) -> K.
func convWeightGradFlops(_ *Node, in [][]int, out []int) int64 {
	return satMul(satMul(2, elems(in[1])), elems(out[1:]))
}

// convScratch is the scratch rule of a convolution op whose input x,
// kernel k and output-sized operand g (the result's gradient, or the
// result) are operand xi, ki, gi, or the result for -1; nsp is the number
// of spatial axes (1 for conv1d, which runs as a conv2d of height 1).
func convScratch(xi, ki, gi, nsp int) ScratchFunc {
	return func(n *Node, in [][]int, out []int, f32 bool) int64 {
		pick := func(i int) []int {
			if i < 0 {
				return out
			}
			return in[i]
		}
		x, k, g := pick(xi), pick(ki), pick(gi)
		if nsp == 3 {
			return conv3DScratch(x, k, g, f32)
		}
		stride := convScratchAttr(n.Attrs, "stride", nsp, 1)
		pad := [2]int{-1, -1}
		if _, lo, _, err := convWidths(n.Op.Name, nsp, n.Attrs, x, k); err == nil {
			copy(pad[:], lo)
		}
		if nsp == 1 {
			x = []int{x[0], x[1], 1, x[2]}
			k = []int{k[0], k[1], 1, k[2]}
			g = []int{g[0], g[1], 1, g[2]}
			stride, pad = [2]int{1, stride[0]}, [2]int{0, pad[0]}
		}
		if f32 && gi < 0 {
			dil := convScratchAttr(n.Attrs, "dilation", nsp, 1)
			if nsp == 1 {
				dil = [2]int{1, dil[0]}
			}
			return kernels.ConvForwardScratch[float32](x, k, stride, pad, dil, g[2], g[3])
		}
		if f32 {
			return kernels.ConvScratch[float32](x, k, stride, pad, g[2], g[3])
		}
		return kernels.ConvScratch[float64](x, k, stride, pad, g[2], g[3])
	}
}

// convScratchAttr reads a convolution's per-axis attribute (an int for
// every axis, or a list of nsp ints), def when absent; -1 where it is
// neither, which counts as a stride or padding that rules out reading the
// input in place (so the column buffer is counted).
func convScratchAttr(a Attrs, key string, nsp, def int) [2]int {
	out := [2]int{def, def}
	switch v := a[key].(type) {
	case nil:
	case int:
		out = [2]int{v, v}
	case []int:
		if len(v) != nsp {
			return [2]int{-1, -1}
		}
		copy(out[:], v)
	default:
		return [2]int{-1, -1}
	}
	return out
}
