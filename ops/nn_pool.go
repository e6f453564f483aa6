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
	nsp            int // spatial axes
	k, stride, dil []int
	pads           padSpec
	includePad     bool
	ceil           bool
}

// poolRank is the number of spatial axes of the pooling op name: 3 for
// the pool3d ops, else 2.
func poolRank(name string) int {
	if strings.Contains(name, "pool3d") {
		return 3
	}
	return 2
}

func resolvePool(name string, a Attrs) (poolParams, error) {
	var p poolParams
	var err error
	nsp := poolRank(name)
	p.nsp = nsp
	if _, ok := a["k"]; !ok {
		return p, &InferError{name, "needs the window size k"}
	}
	if p.k, err = spatialInts(name, a, "k", nsp, 1, 1); err != nil {
		return p, err
	}
	if _, ok := a["stride"]; ok {
		if p.stride, err = spatialInts(name, a, "stride", nsp, 1, 1); err != nil {
			return p, err
		}
	} else {
		p.stride = p.k
	}
	if p.dil, err = spatialInts(name, a, "dilation", nsp, 1, 1); err != nil {
		return p, err
	}
	if p.pads, err = readPads(name, a, nsp); err != nil {
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
	keff := make(Shape, p.nsp)
	for i := range keff {
		keff[i] = DimConst(int64((p.k[i]-1)*p.dil[i] + 1))
	}
	if lo, hi, err = p.pads.widths(name, hw, keff, p.stride); err != nil {
		return nil, nil, nil, err
	}
	for i := 0; i < p.nsp; i++ {
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

// poolOutShape is the pooled shape of x [N, C, H, W] (or [N, C, D, H, W]);
// xl labels x in messages.
func poolOutShape(name string, x Type, p poolParams, xl string) (Shape, error) {
	if !x.DType.IsFloat() || x.Shape.Rank() != p.nsp+2 {
		lay := map[int]string{2: "[N, C, H, W]", 3: "[N, C, D, H, W]"}[p.nsp]
		return nil, &InferError{name, fmt.Sprintf("needs an f32 or f64 %s input: %s is %v", lay, xl, x)}
	}
	_, _, hw, err := poolGeom(name, x.Shape[2:], p, xl, x)
	if err != nil {
		return nil, err
	}
	return append(Shape{x.Shape[0], x.Shape[1]}, hw...), nil
}

// plan prepares the 2-D kernel of pooling shape x, or nil when the
// pooling is 3-D or a 2-D average with dilations, which plan3D prepares.
func (p poolParams) plan(name string, x []int) (*kernels.Pool, *kernels.Pool3D, error) {
	lo, hi, out, err := poolGeom(name, ShapeOf(x[2:]...), p, "x", Type{F32, ShapeOf(x...)})
	if err != nil {
		return nil, nil, err
	}
	o := make([]int, p.nsp)
	for i, d := range out {
		c, _ := d.IsConst()
		o[i] = int(c)
	}
	if p.nsp == 2 && (!strings.HasPrefix(name, "avg") || p.dil[0] == 1 && p.dil[1] == 1) {
		return kernels.NewPoolGeom(x, [2]int{p.k[0], p.k[1]}, [2]int{p.stride[0], p.stride[1]}, [2]int{lo[0], lo[1]}, [2]int{hi[0], hi[1]},
			[2]int{p.dil[0], p.dil[1]}, [2]int{o[0], o[1]}, p.includePad), nil, nil
	}
	// Pool3D's axes are [D, H, W]; a 2-D pooling has depth 1.
	pad3 := func(v []int, one int) [3]int {
		if len(v) == 2 {
			return [3]int{one, v[0], v[1]}
		}
		return [3]int{v[0], v[1], v[2]}
	}
	return nil, &kernels.Pool3D{NC: x[0] * x[1], In: pad3(x[2:], 1), K: pad3(p.k, 1), S: pad3(p.stride, 1),
		Lo: pad3(lo, 0), Hi: pad3(hi, 0), Dil: pad3(p.dil, 1), Out: pad3(o, 1), IncludePad: p.includePad}, nil
}

// The pooling kernels poolKernel prepares.
const (
	poolMax = iota
	poolMaxGrad
	poolMaxPick
	poolAvg
	poolAvgGrad
)

// poolKernel prepares the pooling kernel of the given kind on input shape
// x: f32 and f64 run the same generic function over the operands' slices.
func poolKernel(n *Node, x []int, kind int) (KernelFunc, error) {
	p, err := resolvePool(n.Op.Name, n.Attrs)
	if err != nil {
		return nil, err
	}
	p2, p3, err := p.plan(n.Op.Name, x)
	if err != nil {
		return nil, err
	}
	a32, a64 := make([][]float32, len(n.In)), make([][]float64, len(n.In))
	return floatKernel(n,
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			for i, t := range in {
				a32[i] = t.F32
			}
			runPool(p2, p3, kind, o.F32, a32)
		},
		func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
			for i, t := range in {
				a64[i] = t.F64
			}
			runPool(p2, p3, kind, o.F64, a64)
		})
}

// runPool runs kind on the 2-D kernel p2 or, when it is nil, the 3-D p3.
func runPool[T kernels.Float](p2 *kernels.Pool, p3 *kernels.Pool3D, kind int, o []T, a [][]T) {
	if p2 != nil {
		switch kind {
		case poolMax:
			kernels.MaxPool(p2, o, a[0])
		case poolMaxGrad:
			kernels.MaxPoolGrad(p2, o, a[0], a[1])
		case poolMaxPick:
			kernels.MaxPoolPick(p2, o, a[0], a[1])
		case poolAvg:
			kernels.AvgPool(p2, o, a[0])
		default:
			kernels.AvgPoolGrad(p2, o, a[0])
		}
		return
	}
	switch kind {
	case poolMax:
		kernels.MaxPool3D(p3, o, a[0])
	case poolMaxGrad:
		kernels.MaxPool3DGrad(p3, o, a[0], a[1])
	case poolMaxPick:
		kernels.MaxPool3DPick(p3, o, a[0], a[1])
	case poolAvg:
		kernels.AvgPool3D(p3, o, a[0])
	default:
		kernels.AvgPool3DGrad(p3, o, a[0])
	}
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
	// AvgPool2D is the op "avg_pool2d": avg_pool2d(x [N, C, H, W]; k, stride = k, pad = 0, ceil_mode = false, count_include_pad = true, dilation = 1): the mean of each window;
	AvgPool2D *Op
	// AvgPool2DGrad is the op "avg_pool2d_grad": avg_pool2d_grad(g; shape, k, stride, pad, ceil_mode, count_include_pad, dilation): the gradient of avg_pool2d(x)
	AvgPool2DGrad *Op
	// MaxPool3D is the op "max_pool3d": max_pool2d over [N, C, D, H, W].
	MaxPool3D *Op
	// MaxPool3DGrad is the op "max_pool3d_grad": max_pool2d_grad over [N, C, D, H, W].
	MaxPool3DGrad *Op
	// MaxPool3DPick is the op "max_pool3d_pick": max_pool2d_pick over [N, C, D, H, W].
	MaxPool3DPick *Op
	// AvgPool3D is the op "avg_pool3d": avg_pool2d over [N, C, D, H, W].
	AvgPool3D *Op
	// AvgPool3DGrad is the op "avg_pool3d_grad": avg_pool2d_grad over [N, C, D, H, W].
	AvgPool3DGrad *Op
)

// poolOps are the handles of the pooling ops of one rank.
type poolOps struct {
	nsp                                 int
	max, maxGrad, maxPick, avg, avgGrad **Op
}

// name is the op name of the given stem ("max_pool" or "avg_pool") and
// suffix ("", "_grad", "_pick") at this rank.
func (o poolOps) name(stem, suffix string) string {
	return fmt.Sprintf("%s%dd%s", stem, o.nsp, suffix)
}

func (o poolOps) grad(b *Builder, a Attrs, x, g *Node) *Node {
	return b.Must(*o.maxGrad, poolAttrs(a), x, g)
}

func (o poolOps) pick(b *Builder, a Attrs, x, h *Node) *Node {
	return b.Must(*o.maxPick, poolAttrs(a), x, h)
}

func init() {
	registerPools(poolOps{2, &MaxPool2D, &MaxPool2DGrad, &MaxPool2DPick, &AvgPool2D, &AvgPool2DGrad})
	registerPools(poolOps{3, &MaxPool3D, &MaxPool3DGrad, &MaxPool3DPick, &AvgPool3D, &AvgPool3DGrad})
}

// poolInfer is the type rule of max_poolNd and avg_poolNd.
func poolInfer(name string) func([]Type, Attrs) (Type, error) {
	return func(in []Type, a Attrs) (Type, error) {
		p, err := resolvePool(name, a)
		if err != nil {
			return Type{}, err
		}
		out, err := poolOutShape(name, in[0], p, "{0}")
		return Type{in[0].DType, out}, err
	}
}

func registerPools(o poolOps) {
	lay := map[int]string{2: "[N, C, H, W]", 3: "[N, C, D, H, W]"}[o.nsp]
	mx, avg := o.name("max_pool", ""), o.name("avg_pool", "")
	dilation := BuiltinAttr{Name: "dilation", Kind: IntOrIntsAttr, KeywordOnly: true}
	Register(o.max, &Op{
		Name: mx, Arity: 1,
		Builtin: poolBuiltin(dilation),
		Flops:   poolFlops,
		Doc: mx + "(x " + lay + "; k, stride = k, pad = 0, ceil_mode = false, dilation = 1): the maximum of each window; " +
			"the gradient goes to the first maximum, as in PyTorch; " + padAttrDoc,
		Infer: poolInfer(mx),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{o.grad(b, n.Attrs, n.In[0], g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return o.pick(b, n.Attrs, n.In[0], t[0])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) { return poolKernel(n, in[0], poolMax) },
		Check:  poolChecks[mx],
	})
	Register(o.maxGrad, &Op{
		Name: mx + "_grad", Arity: 2,
		Flops: maxPoolGradFlops,
		Doc:   mx + "_grad(x, g; k, stride, pad, ceil_mode, dilation): the gradient of " + mx + "(x) given its result's gradient g",
		Infer: poolPairInfer(mx+"_grad", true),
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			return []*Node{nil, o.pick(b, n.Attrs, n.In[0], h)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[1] == nil {
				return b.Full(n.Type, 0)
			}
			return o.grad(b, n.Attrs, n.In[0], t[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) { return poolKernel(n, in[0], poolMaxGrad) },
		Check:  poolChecks[mx+"_grad"],
	})
	Register(o.maxPick, &Op{
		Name: mx + "_pick", Arity: 2,
		Flops: NoFlops,
		Doc: mx + "_pick(x, h; k, stride, pad, ceil_mode, dilation): h (shaped as x) read at the first maximum of each window of x; " +
			"the JVP of " + mx + " and the VJP of " + mx + "_grad",
		Infer: poolPairInfer(mx+"_pick", false),
		VJP: func(b *Builder, n *Node, q *Node) []*Node {
			return []*Node{nil, o.grad(b, n.Attrs, n.In[0], q)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[1] == nil {
				return b.Full(n.Type, 0)
			}
			return o.pick(b, n.Attrs, n.In[0], t[1])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) { return poolKernel(n, in[0], poolMaxPick) },
		Check:  poolChecks[mx+"_pick"],
	})
	Register(o.avg, &Op{
		Name: avg, Arity: 1,
		Builtin: poolBuiltin(BuiltinAttr{Name: "count_include_pad", Kind: BoolAttr, Default: true, OmitDefault: true, KeywordOnly: true}, dilation),
		Flops:   avgPoolFlops,
		Doc: avg + "(x " + lay + "; k, stride = k, pad = 0, ceil_mode = false, count_include_pad = true, dilation = 1): the mean of each window; " +
			"the divisor counts the padding a window covers when count_include_pad, as in PyTorch and ONNX " +
			"(with dilations, the taps that fall in the input or, with count_include_pad, in the padded input, as ONNX's AveragePool); " + padAttrDoc,
		Infer: poolInfer(avg),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.Must(*o.avgGrad, n.Attrs.With("shape", n.In[0].Type.Shape), g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(*o.avg, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) { return poolKernel(n, in[0], poolAvg) },
		Check:  poolChecks[avg],
	})
	Register(o.avgGrad, &Op{
		Name: avg + "_grad", Arity: 1,
		Flops: avgPoolGradFlops,
		Doc: avg + "_grad(g; shape, k, stride, pad, ceil_mode, count_include_pad, dilation): the gradient of " + avg + "(x) " +
			"for x of the given shape, given its result's gradient g",
		Infer: func(in []Type, a Attrs) (Type, error) {
			name := avg + "_grad"
			p, err := resolvePool(name, a)
			if err != nil {
				return Type{}, err
			}
			x := Type{in[0].DType, a.Shape("shape")}
			out, err := poolOutShape(name, x, p, "the input "+x.String())
			if err != nil {
				return Type{}, err
			}
			if !out.Equal(in[0].Shape) {
				return Type{}, &InferError{name, fmt.Sprintf("{0} is %v, but pooling %v gives %v", in[0], x, out)}
			}
			return x, nil
		},
		VJP: func(b *Builder, n *Node, h *Node) []*Node {
			return []*Node{b.Must(*o.avg, poolAttrs(n.Attrs), h)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(*o.avgGrad, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) { return poolKernel(n, out, poolAvgGrad) },
		Check:  poolChecks[avg+"_grad"],
	})
}

// Pooling counts one comparison or add per output element and window tap;
// averages add a division per output element.

// poolFlops is one operation per output element (of shape out) and window
// tap.
func poolFlops(n *Node, _ [][]int, out []int) int64 {
	k, err := spatialInts(n.Op.Name, n.Attrs, "k", poolRank(n.Op.Name), 1, 1)
	if err != nil {
		return elems(out)
	}
	taps := int64(1)
	for _, v := range k {
		taps = satMul(taps, int64(v))
	}
	return satMul(elems(out), taps)
}

func avgPoolFlops(n *Node, in [][]int, out []int) int64 {
	return satAdd(poolFlops(n, in, out), elems(out))
}

func maxPoolGradFlops(n *Node, in [][]int, _ []int) int64 { return poolFlops(n, in[1:], in[1]) }

func avgPoolGradFlops(n *Node, in [][]int, _ []int) int64 {
	return satAdd(poolFlops(n, in, in[0]), elems(in[0]))
}
