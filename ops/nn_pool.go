package ops

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// 2-D pooling over NCHW inputs, as PyTorch's max_pool2d and avg_pool2d and
// ONNX's MaxPool and AveragePool. Attributes: "k" (the window: an int or
// [kH, kW]), "stride" (default k), "pad" (default 0; as nn_conv_pads.go
// says, with each width at most the dilated window less one, so that every
// window reaches the input), "ceil_mode" (bool, default false: the output
// size rounds up, and a last window that would start past the input and
// its padding before is dropped, as in PyTorch and ONNX); max_pool2d also
// takes "dilation" (an int or [dH, dW], default 1), avg_pool2d
// "count_include_pad" (bool, default true: the divisor counts the padding
// the window covers, but not the part of a ceil_mode window past it).
//
// Companion ops make the gradients differentiable again:
//
//	max_pool2d_grad(x, g)   x-shaped: g routed to the first maximum of each window
//	max_pool2d_pick(x, h)   pooled-shaped: h read at the first maximum of each window
//	avg_pool2d_grad(g) {shape: x's shape}   the adjoint of avg_pool2d

type poolParams struct {
	k, stride, dil []int
	pads           padSpec
	includePad     bool
	ceil           bool
}

func resolvePool(name string, a Attrs) (poolParams, error) {
	var p poolParams
	var err error
	if _, ok := a["k"]; !ok {
		return p, &InferError{name, "needs the window size k"}
	}
	if p.k, err = spatialInts(name, a, "k", 2, 1, 1); err != nil {
		return p, err
	}
	if _, ok := a["stride"]; ok {
		if p.stride, err = spatialInts(name, a, "stride", 2, 1, 1); err != nil {
			return p, err
		}
	} else {
		p.stride = p.k
	}
	if p.dil, err = spatialInts(name, a, "dilation", 2, 1, 1); err != nil {
		return p, err
	}
	if strings.HasPrefix(name, "avg") && (p.dil[0] != 1 || p.dil[1] != 1) {
		return p, &InferError{name, fmt.Sprintf("average pooling takes no dilation, got %v", formatAttr(a["dilation"]))}
	}
	if p.pads, err = readPads(name, a, 2); err != nil {
		return p, err
	}
	for i := range p.pads.lo {
		if ext := (p.k[i]-1)*p.dil[i] + 1; p.pads.lo[i] >= ext || p.pads.hi[i] >= ext {
			return p, &InferError{name, fmt.Sprintf("pad %v is not less than the window %v (dilated %d): a window would see only padding", formatAttr(a["pad"]), p.k, ext)}
		}
	}
	p.includePad = a.Bool("count_include_pad", true)
	p.ceil = a.Bool("ceil_mode", false)
	return p, nil
}

// poolGeom is the padding before and after each axis and the pooled size
// of spatial sizes hw.
func poolGeom(name string, hw Shape, p poolParams, xl string, x Type) (lo, hi []int, out Shape, err error) {
	keff := Shape{DimConst(int64((p.k[0]-1)*p.dil[0] + 1)), DimConst(int64((p.k[1]-1)*p.dil[1] + 1))}
	if lo, hi, err = p.pads.widths(name, hw, keff, p.stride); err != nil {
		return nil, nil, nil, err
	}
	for i := 0; i < 2; i++ {
		s := int64(p.stride[i])
		num := hw[i].Add(DimConst(int64(lo[i]) + int64(hi[i]))).Sub(keff[i])
		c, isConst := num.IsConst()
		if isConst && c < 0 {
			return nil, nil, nil, &InferError{name, fmt.Sprintf("the window %v is larger than the padded input: %s is %v, pad %v + %v", p.k, xl, x, lo, hi)}
		}
		if p.ceil && s > 1 {
			n, ok := hw[i].IsConst()
			if !isConst || !ok {
				return nil, nil, nil, &InferError{name, fmt.Sprintf("ceil_mode with stride %d needs known sizes: %s is %v", s, xl, x)}
			}
			o := (c+s-1)/s + 1
			if (o-1)*s >= n+int64(lo[i]) { // the last window would start past the input
				o--
			}
			out = append(out, DimConst(o))
			continue
		}
		q, err := num.Div(DimConst(s))
		if err != nil {
			return nil, nil, nil, &InferError{name, err.Error()}
		}
		out = append(out, q.Add(DimConst(1)))
	}
	return lo, hi, out, nil
}

// poolOutShape is the pooled shape of x [N, C, H, W]; xl labels x in messages.
func poolOutShape(name string, x Type, p poolParams, xl string) (Shape, error) {
	if !x.DType.IsFloat() || x.Shape.Rank() != 4 {
		return nil, &InferError{name, fmt.Sprintf("needs an f32 or f64 [N, C, H, W] input: %s is %v", xl, x)}
	}
	_, _, hw, err := poolGeom(name, x.Shape[2:], p, xl, x)
	if err != nil {
		return nil, err
	}
	return append(Shape{x.Shape[0], x.Shape[1]}, hw...), nil
}

func (p poolParams) plan(name string, x []int) (*kernels.Pool, error) {
	lo, hi, out, err := poolGeom(name, ShapeOf(x[2:]...), p, "x", Type{F32, ShapeOf(x...)})
	if err != nil {
		return nil, err
	}
	oh, _ := out[0].IsConst()
	ow, _ := out[1].IsConst()
	return kernels.NewPoolGeom(x, [2]int{p.k[0], p.k[1]}, [2]int{p.stride[0], p.stride[1]}, [2]int{lo[0], lo[1]}, [2]int{hi[0], hi[1]},
		[2]int{p.dil[0], p.dil[1]}, [2]int{int(oh), int(ow)}, p.includePad), nil
}

// poolKernel prepares a pooling kernel on input shape x: f32 and f64 run the
// same generic function over the operands' slices.
func poolKernel(n *Node, x []int, f32 func(*kernels.Pool, []float32, [][]float32), f64 func(*kernels.Pool, []float64, [][]float64)) (KernelFunc, error) {
	p, err := resolvePool(n.Op.Name, n.Attrs)
	if err != nil {
		return nil, err
	}
	pl, err := p.plan(n.Op.Name, x)
	if err != nil {
		return nil, err
	}
	a32, a64 := make([][]float32, len(n.In)), make([][]float64, len(n.In))
	return floatKernel(n,
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			for i, t := range in {
				a32[i] = t.F32
			}
			f32(pl, o.F32, a32)
		},
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			for i, t := range in {
				a64[i] = t.F64
			}
			f64(pl, o.F64, a64)
		})
}

func poolAttrs(a Attrs) Attrs {
	c := make(Attrs, len(a))
	for k, v := range a {
		if k != "shape" {
			c[k] = v
		}
	}
	return c
}

func maxPoolGrad(b *Builder, a Attrs, x, g *Node) *Node {
	return b.Must(MaxPool2DGrad, poolAttrs(a), x, g)
}

func maxPoolPick(b *Builder, a Attrs, x, h *Node) *Node {
	return b.Must(MaxPool2DPick, poolAttrs(a), x, h)
}

// poolPairInfer checks that x and y have one float type and that pooling x
// gives pooled (y's shape when pooledY, else x's own shape is y's).
func poolPairInfer(name string, pooledY bool) func([]Type, Attrs) (Type, error) {
	return func(in []Type, a Attrs) (Type, error) {
		if _, err := sameFloat(name, in); err != nil {
			return Type{}, err
		}
		p, err := resolvePool(name, a)
		if err != nil {
			return Type{}, err
		}
		out, err := poolOutShape(name, in[0], p, "{0}")
		if err != nil {
			return Type{}, err
		}
		want, res := out, in[0]
		if !pooledY {
			want, res = in[1].Shape, Type{in[0].DType, out}
			if !in[1].Shape.Equal(in[0].Shape) {
				return Type{}, &InferError{name, fmt.Sprintf("{1} must have the shape of {0}: {0} is %v, {1} is %v", in[0], in[1])}
			}
			return res, nil
		}
		if !in[1].Shape.Equal(want) {
			return Type{}, &InferError{name, fmt.Sprintf("{1} must have the pooled shape %v of {0}: {0} is %v, {1} is %v", want, in[0], in[1])}
		}
		return res, nil
	}
}

// Handles of the ops this file registers.
var (
	// MaxPool2D is the op "max_pool2d": max_pool2d(x [N, C, H, W]; k, stride = k, pad = 0, ceil_mode = false, dilation = 1): the maximum of each window;
	MaxPool2D *Op
	// MaxPool2DGrad is the op "max_pool2d_grad": max_pool2d_grad(x, g; k, stride, pad, ceil_mode, dilation): the gradient of max_pool2d(x) given its result's gradient g
	MaxPool2DGrad *Op
	// MaxPool2DPick is the op "max_pool2d_pick": max_pool2d_pick(x, h; k, stride, pad, ceil_mode, dilation): h (shaped as x) read at the first maximum of each window of x;
	MaxPool2DPick *Op
	// AvgPool2D is the op "avg_pool2d": avg_pool2d(x [N, C, H, W]; k, stride = k, pad = 0, ceil_mode = false, count_include_pad = true): the mean of each window;
	AvgPool2D *Op
	// AvgPool2DGrad is the op "avg_pool2d_grad": avg_pool2d_grad(g; shape, k, stride, pad, ceil_mode, count_include_pad): the gradient of avg_pool2d(x)
	AvgPool2DGrad *Op
)

func init() {
	Register(&MaxPool2D, &Op{
		Name: "max_pool2d", Arity: 1,
		Builtin: poolBuiltin(BuiltinAttr{Name: "dilation", Kind: IntOrIntsAttr, KeywordOnly: true}),
		Flops:   poolFlops,
		Doc: "max_pool2d(x [N, C, H, W]; k, stride = k, pad = 0, ceil_mode = false, dilation = 1): the maximum of each window; " +
			"the gradient goes to the first maximum, as in PyTorch; " + padAttrDoc,
		Infer: func(in []Type, a Attrs) (Type, error) {
			p, err := resolvePool("max_pool2d", a)
			if err != nil {
				return Type{}, err
			}
			out, err := poolOutShape("max_pool2d", in[0], p, "{0}")
			return Type{in[0].DType, out}, err
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{maxPoolGrad(b, n.Attrs, n.In[0], g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return maxPoolPick(b, n.Attrs, n.In[0], t[0])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return poolKernel(n, in[0],
				func(p *kernels.Pool, o []float32, a [][]float32) { kernels.MaxPool(p, o, a[0]) },
				func(p *kernels.Pool, o []float64, a [][]float64) { kernels.MaxPool(p, o, a[0]) })
		},
		Check: []CheckCase{
			{In: []Type{T(2, 3, 4, 4)}, Attrs: Attrs{"k": 2}, Domain: []Domain{Distinct}},
			{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}}, Domain: []Domain{Distinct}},
			{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": []int{1, 0, 0, 1}, "ceil_mode": true}, Domain: []Domain{Distinct}},
			{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 2, "stride": 1, "pad": 1, "dilation": 2}, Domain: []Domain{Distinct}},
			{In: []Type{T(2, 1, 5, 4)}, Attrs: Attrs{"k": []int{2, 3}, "stride": 2, "pad": "same"}, Domain: []Domain{Distinct}},
		},
	})
	Register(&MaxPool2DGrad, &Op{
		Name: "max_pool2d_grad", Arity: 2,
		Flops: maxPoolGradFlops,
		Doc:   "max_pool2d_grad(x, g; k, stride, pad, ceil_mode, dilation): the gradient of max_pool2d(x) given its result's gradient g",
		Infer: poolPairInfer("max_pool2d_grad", true),
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			return []*Node{nil, maxPoolPick(b, n.Attrs, n.In[0], h)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[1] == nil {
				return b.Full(n.Type, 0)
			}
			return maxPoolGrad(b, n.Attrs, n.In[0], t[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return poolKernel(n, in[0],
				func(p *kernels.Pool, o []float32, a [][]float32) { kernels.MaxPoolGrad(p, o, a[0], a[1]) },
				func(p *kernels.Pool, o []float64, a [][]float64) { kernels.MaxPoolGrad(p, o, a[0], a[1]) })
		},
		// Windows of 3 with stride 1 and pad 1 keep the shape, so the
		// checker may resize x and g together; nn_pool_test.go checks more.
		Check: []CheckCase{
			{In: []Type{T(2, 2, 4, 5), T(2, 2, 4, 5)}, Attrs: Attrs{"k": 3, "stride": 1, "pad": 1}, Domain: []Domain{Distinct}},
		},
	})
	Register(&MaxPool2DPick, &Op{
		Name: "max_pool2d_pick", Arity: 2,
		Flops: NoFlops,
		Doc: "max_pool2d_pick(x, h; k, stride, pad, ceil_mode, dilation): h (shaped as x) read at the first maximum of each window of x; " +
			"the JVP of max_pool2d and the VJP of max_pool2d_grad",
		Infer: poolPairInfer("max_pool2d_pick", false),
		VJP: func(b *Builder, n *Node, q *Node) []*Node {
			return []*Node{nil, maxPoolGrad(b, n.Attrs, n.In[0], q)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[1] == nil {
				return b.Full(n.Type, 0)
			}
			return maxPoolPick(b, n.Attrs, n.In[0], t[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return poolKernel(n, in[0],
				func(p *kernels.Pool, o []float32, a [][]float32) { kernels.MaxPoolPick(p, o, a[0], a[1]) },
				func(p *kernels.Pool, o []float64, a [][]float64) { kernels.MaxPoolPick(p, o, a[0], a[1]) })
		},
		Check: []CheckCase{
			{In: []Type{T(2, 2, 4, 5), T(2, 2, 4, 5)}, Attrs: Attrs{"k": 3, "stride": 1, "pad": 1}, Domain: []Domain{Distinct}},
			{In: []Type{T(1, 2, 5, 4), T(1, 2, 5, 4)}, Attrs: Attrs{"k": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}}, Domain: []Domain{Distinct}},
			{In: []Type{T(1, 2, 5, 4), T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": []int{1, 0, 0, 1}, "ceil_mode": true, "dilation": []int{1, 2}}, Domain: []Domain{Distinct}},
		},
	})
	Register(&AvgPool2D, &Op{
		Name: "avg_pool2d", Arity: 1,
		Builtin: poolBuiltin(BuiltinAttr{Name: "count_include_pad", Kind: BoolAttr, Default: true, OmitDefault: true, KeywordOnly: true}),
		Flops:   avgPoolFlops,
		Doc: "avg_pool2d(x [N, C, H, W]; k, stride = k, pad = 0, ceil_mode = false, count_include_pad = true): the mean of each window; " +
			"the divisor counts the padding a window covers when count_include_pad, as in PyTorch and ONNX; " + padAttrDoc,
		Infer: func(in []Type, a Attrs) (Type, error) {
			p, err := resolvePool("avg_pool2d", a)
			if err != nil {
				return Type{}, err
			}
			out, err := poolOutShape("avg_pool2d", in[0], p, "{0}")
			return Type{in[0].DType, out}, err
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.Must(AvgPool2DGrad, n.Attrs.With("shape", n.In[0].Type.Shape), g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(AvgPool2D, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return poolKernel(n, in[0],
				func(p *kernels.Pool, o []float32, a [][]float32) { kernels.AvgPool(p, o, a[0]) },
				func(p *kernels.Pool, o []float64, a [][]float64) { kernels.AvgPool(p, o, a[0]) })
		},
		Check: []CheckCase{
			{In: []Type{T(2, 3, 4, 4)}, Attrs: Attrs{"k": 2}},
			{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}}},
			{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": 1, "count_include_pad": false}},
			{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": []int{1, 0, 0, 1}, "ceil_mode": true}},
			{In: []Type{T(1, 2, 5, 4)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": 1, "ceil_mode": true, "count_include_pad": false}},
			{In: []Type{T(2, 1, 5, 4)}, Attrs: Attrs{"k": []int{2, 3}, "stride": 2, "pad": "same"}},
		},
	})
	Register(&AvgPool2DGrad, &Op{
		Name: "avg_pool2d_grad", Arity: 1,
		Flops: avgPoolGradFlops,
		Doc: "avg_pool2d_grad(g; shape, k, stride, pad, ceil_mode, count_include_pad): the gradient of avg_pool2d(x) " +
			"for x of the given shape, given its result's gradient g",
		Infer: func(in []Type, a Attrs) (Type, error) {
			p, err := resolvePool("avg_pool2d_grad", a)
			if err != nil {
				return Type{}, err
			}
			x := Type{in[0].DType, a.Shape("shape")}
			out, err := poolOutShape("avg_pool2d_grad", x, p, "the input "+x.String())
			if err != nil {
				return Type{}, err
			}
			if !out.Equal(in[0].Shape) {
				return Type{}, &InferError{"avg_pool2d_grad", fmt.Sprintf("{0} is %v, but pooling %v gives %v", in[0], x, out)}
			}
			return x, nil
		},
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			return []*Node{b.Must(AvgPool2D, poolAttrs(n.Attrs), h)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(AvgPool2DGrad, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return poolKernel(n, out,
				func(p *kernels.Pool, o []float32, a [][]float32) { kernels.AvgPoolGrad(p, o, a[0]) },
				func(p *kernels.Pool, o []float64, a [][]float64) { kernels.AvgPoolGrad(p, o, a[0]) })
		},
		Check: []CheckCase{
			{In: []Type{T(2, 3, 2, 2)}, Attrs: Attrs{"k": 2, "shape": ShapeOf(2, 3, 4, 5)}},
			{In: []Type{T(1, 2, 3, 5)}, Attrs: Attrs{"k": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}, "shape": ShapeOf(1, 2, 5, 4)}},
			{In: []Type{T(1, 2, 3, 2)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": 1, "count_include_pad": false, "shape": ShapeOf(1, 2, 5, 4)}},
			{In: []Type{T(1, 2, 4, 3)}, Attrs: Attrs{"k": 3, "stride": 2, "pad": 1, "ceil_mode": true, "shape": ShapeOf(1, 2, 6, 5)}},
		},
	})
}

// Pooling counts one comparison or add per output element and window tap;
// averages add a division per output element.

// poolFlops is one operation per output element (of shape out) and window
// tap.
func poolFlops(n *Node, _ [][]int, out []int) int64 {
	k, err := spatialInts(n.Op.Name, n.Attrs, "k", 2, 1, 1)
	if err != nil {
		return elems(out)
	}
	return satMul(elems(out), satMul(int64(k[0]), int64(k[1])))
}

func avgPoolFlops(n *Node, in [][]int, out []int) int64 {
	return satAdd(poolFlops(n, in, out), elems(out))
}

func maxPoolGradFlops(n *Node, in [][]int, _ []int) int64 { return poolFlops(n, in[1:], in[1]) }

func avgPoolGradFlops(n *Node, in [][]int, _ []int) int64 {
	return satAdd(poolFlops(n, in, in[0]), elems(in[0]))
}
