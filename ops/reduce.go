package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Reductions over axes: sum, mean, max, min, prod and size, and what every
// reduction shares (reduce_stats.go and reduce_arg.go hold the others):
// attribute "axes" ([]int, negative counted from the end; absent reduces
// every axis) and "keepdims" (bool: reduced axes stay as size 1).

// reduction is a reduction's axes resolved against an operand's shape.
type reduction struct {
	axes []int  // sorted, in [0, rank)
	keep Shape  // the operand's shape with reduced axes set to 1
	out  Shape  // the result's shape
	mask []bool // per axis: reduced
}

func resolveReduction(name string, t Type, a Attrs) (reduction, error) {
	r := t.Shape.Rank()
	var red reduction
	red.mask = make([]bool, r)
	axes, ok := a.Ints("axes")
	if !ok {
		for i := range red.mask {
			red.mask[i] = true
		}
	}
	for _, ax := range axes {
		i, err := NormAxis(ax, r)
		if err != nil {
			return red, &InferError{name, fmt.Sprintf("axis %d is out of range for {0} of type %v", ax, t)}
		}
		if red.mask[i] {
			return red, &InferError{name, fmt.Sprintf("axis %d is repeated in %v", ax, axes)}
		}
		red.mask[i] = true
	}
	keepdims := a.Bool("keepdims", false)
	for i, d := range t.Shape {
		if red.mask[i] {
			red.axes = append(red.axes, i)
			red.keep = append(red.keep, DimConst(1))
			if keepdims {
				red.out = append(red.out, DimConst(1))
			}
		} else {
			red.keep = append(red.keep, d)
			red.out = append(red.out, d)
		}
	}
	return red, nil
}

func reduceInfer(name string) func([]Type, Attrs) (Type, error) {
	return func(in []Type, a Attrs) (Type, error) {
		if !in[0].DType.IsFloat() {
			return Type{}, &InferError{name, fmt.Sprintf("needs an f32 or f64 operand, {0} is %v", in[0])}
		}
		red, err := resolveReduction(name, in[0], a)
		if err != nil {
			return Type{}, err
		}
		return Type{in[0].DType, red.out}, nil
	}
}

// keepShape is the concrete shape of in with n's reduced axes set to 1.
func keepShape(n *Node, in []int) []int {
	red, err := resolveReduction(n.Op.Name, n.In[0].Type, n.Attrs)
	if err != nil {
		panic("ops: reduction was checked: " + err.Error())
	}
	keep := append([]int(nil), in...)
	for _, i := range red.axes {
		keep[i] = 1
	}
	return keep
}

// expand reshapes the gradient g of reduction n to the keepdims shape and
// broadcasts it back over the operand's shape.
func expand(b *Builder, n *Node, g *Node) *Node {
	red, err := resolveReduction(n.Op.Name, n.In[0].Type, n.Attrs)
	if err != nil {
		panic("ops: reduction was checked: " + err.Error())
	}
	return b.BroadcastTo(reshapeTo(b, g, red.keep), n.In[0].Type.Shape)
}

// reduceAttrs are the attributes of a reduction over the same axes as n.
func reduceAttrs(n *Node, keepdims bool) Attrs {
	a := Attrs{"keepdims": keepdims}
	if axes, ok := n.Attrs.Ints("axes"); ok {
		a["axes"] = axes
	}
	return a
}

// count is the number of elements each output of reduction n reduces, as a
// scalar of n's type (computed from the operand's shape when the plan runs).
func count(b *Builder, n *Node) *Node {
	a := Attrs{"dtype": n.Type.DType}
	if axes, ok := n.Attrs.Ints("axes"); ok {
		a["axes"] = axes
	}
	return b.Must(Size, a, n.In[0])
}

var reduceCases = []CheckCase{
	{In: []Type{T(3, 4)}},
	{In: []Type{T(3, 4)}, Attrs: Attrs{"axes": []int{1}}},
	{In: []Type{T(3, 4)}, Attrs: Attrs{"axes": []int{0}, "keepdims": true}},
	{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"axes": []int{0, -1}}},
	{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"axes": []int{1}, "keepdims": true}},
	{In: []Type{T()}},
}

// Handles of the ops this file registers.
var (
	// Max is the op "max".
	Max *Op
	// Min is the op "min".
	Min *Op
	// Sum is the op "sum": sum(x, axes, keepdims): the sum over axes (every axis when absent)
	Sum *Op
	// Mean is the op "mean": mean(x, axes, keepdims): the mean over axes (every axis when absent)
	Mean *Op
	// Prod is the op "prod": prod(x; axes []int, keepdims bool): the product over axes (every axis when absent).
	Prod *Op
	// Size is the op "size": size(x, axes, dtype): the number of elements of x along axes (all when absent), as a scalar; its derivative is zero
	Size *Op
)

func init() {
	Register(&Sum, &Op{
		Name: "sum", Arity: 1,
		Builtin: reduceBuiltin(nil),
		Flops:   perIn(1),
		Scratch: reduceScratch,
		Doc:     "sum(x, axes, keepdims): the sum over axes (every axis when absent)",
		Infer:   reduceInfer("sum"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{expand(b, n, g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(Sum, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			p := kernels.NewReduceBcast(in[0], keepShape(n, in[0]))
			idx, off := p.Scratch(), make([]int, 1)
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.SumTo(p, o.F32, in[0].F32, idx, off) },
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { kernels.SumTo(p, o.F64, in[0].F64, idx, off) })
		},
		Check: reduceCases,
	})
	Register(&Mean, &Op{
		Name: "mean", Arity: 1,
		Builtin: reduceBuiltin(nil),
		Flops:   perIn(1),
		Scratch: reduceScratch,
		Doc:     "mean(x, axes, keepdims): the mean over axes (every axis when absent)",
		Infer:   reduceInfer("mean"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{expand(b, n, b.Div(g, count(b, n)))}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return b.Must(Mean, n.Attrs, Tangent(b, t[0], n.In[0]))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			keep := keepShape(n, in[0])
			p := kernels.NewReduceBcast(in[0], keep)
			idx, off := p.Scratch(), make([]int, 1)
			inv := float64(tensor.NumElems(keep)) / float64(tensor.NumElems(in[0]))
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.SumTo(p, o.F32, in[0].F32, idx, off)
					kernels.ScaleRow(o.F32, o.F32, float32(inv))
				},
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					kernels.SumTo(p, o.F64, in[0].F64, idx, off)
					kernels.ScaleRow(o.F64, o.F64, inv)
				})
		},
		Check: reduceCases,
	})
	for _, r := range []struct {
		h    **Op
		name string
	}{{&Max, "max"}, {&Min, "min"}} {
		name := r.name
		r32, r64 := kernels.ReduceMax[float32], kernels.ReduceMax[float64]
		if name == "min" {
			r32, r64 = kernels.ReduceMin[float32], kernels.ReduceMin[float64]
		}
		// share is where x attains the result, divided by the number of
		// ties: the gradient is split evenly between tied elements.
		share := func(b *Builder, n *Node) *Node {
			x := n.In[0]
			red, _ := resolveReduction(n.Op.Name, x.Type, n.Attrs)
			hit := b.Must(Equal, nil, x, reshapeTo(b, n, red.keep))
			ties := b.Must(Sum, reduceAttrs(n, true), hit)
			return b.Div(hit, ties)
		}
		Register(r.h, &Op{
			Name: name, Arity: 1,
			Builtin: reduceBuiltin(nil),
			Flops:   perIn(1),
			Scratch: reduceScratch,
			Doc:     name + "(x, axes, keepdims) over axes (every axis when absent); ties share the gradient",
			Infer:   reduceInfer(name),
			VJP: func(b *Builder, n *Node, g *Node) []*Node {
				return []*Node{b.Mul(expand(b, n, g), share(b, n))}
			},
			JVP: func(b *Builder, n *Node, t []*Node) *Node {
				return b.Must(Sum, n.Attrs, b.Mul(Tangent(b, t[0], n.In[0]), share(b, n)))
			},
			Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
				p := kernels.NewReduceBcast(in[0], keepShape(n, in[0]))
				idx, off := p.Scratch(), make([]int, 1)
				return floatKernel(n,
					func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { r32(p, o.F32, in[0].F32, idx, off) },
					func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { r64(p, o.F64, in[0].F64, idx, off) })
			},
			Check: withDomain(reduceCases, Distinct),
		})
	}
	Register(&Size, &Op{
		Name: "size", Arity: 1,
		Flops: NoFlops,
		Doc:   "size(x, axes, dtype): the number of elements of x along axes (all when absent), as a scalar; its derivative is zero",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if _, err := resolveReduction("size", in[0], a); err != nil {
				return Type{}, err
			}
			return Scalar(a.DType("dtype", F32)), nil
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil} },
		JVP: func(b *Builder, n *Node, t []*Node) *Node { return b.Full(n.Type, 0) },
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			keep := keepShape(n, in[0])
			v := 1.0
			for i, d := range in[0] {
				if keep[i] == 1 {
					v *= float64(d)
				}
			}
			return func(_ *Ctx, o *tensor.Tensor, _ []*tensor.Tensor) { o.Set(0, v) }, nil
		},
		Check: []CheckCase{
			{In: []Type{T(3, 4)}, Attrs: Attrs{"axes": []int{0}, "dtype": F64}},
			{In: []Type{T(3, 4)}, Attrs: Attrs{"dtype": F64}},
		},
	})
	Register(&Prod, &Op{
		Name: "prod", Arity: 1,
		Builtin: reduceBuiltin(nil),
		Flops:   perIn(1),
		Doc: "prod(x; axes []int, keepdims bool): the product over axes (every axis when absent). " +
			"The gradient is prod/x, so it is not defined where an element is exactly 0.",
		Infer: reduceInfer("prod"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.Div(expand(b, n, b.Mul(g, n)), n.In[0])}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return b.Mul(n, sumLike(b, n, b.Div(t[0], n.In[0])))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return redKernel(n, in,
				func(p *kernels.Bcast, idx, off []int, _, _ int) func(dst, src []float32) {
					return func(dst, src []float32) { kernels.ReduceProd(p, dst, src, idx, off) }
				},
				func(p *kernels.Bcast, idx, off []int, _, _ int) func(dst, src []float64) {
					return func(dst, src []float64) { kernels.ReduceProd(p, dst, src, idx, off) }
				})
		},
		Check: withDomain(reduceCases, AwayZero),
	})
}

// keepOf reshapes y, a result of reduction n, to the operand's rank with the
// reduced axes as size 1, so that it broadcasts against the operand.
func keepOf(b *Builder, n *Node, y *Node) *Node {
	red, err := resolveReduction(n.Op.Name, n.In[0].Type, n.Attrs)
	if err != nil {
		panic("ops: reduction was checked: " + err.Error())
	}
	return reshapeTo(b, y, red.keep)
}

// sumLike sums x over n's axes with n's keepdims.
func sumLike(b *Builder, n *Node, x *Node) *Node {
	return b.Must(Sum, reduceAttrs(n, n.Attrs.Bool("keepdims", false)), x)
}

// redKernel prepares a reduction kernel: run gets the prepared walk, the
// number of elements each output reduces and the output's element count.
func redKernel(n *Node, in [][]int,
	f32 func(p *kernels.Bcast, idx, off []int, count, outLen int) func(dst, src []float32),
	f64 func(p *kernels.Bcast, idx, off []int, count, outLen int) func(dst, src []float64)) (KernelFunc, error) {
	keep := keepShape(n, in[0])
	p := kernels.NewReduceBcast(in[0], keep)
	idx, off := p.Scratch(), make([]int, 1)
	outLen := tensor.NumElems(keep)
	cnt := 0
	if outLen > 0 {
		cnt = tensor.NumElems(in[0]) / outLen
	}
	switch n.Type.DType {
	case F32:
		r := f32(p, idx, off, cnt, outLen)
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { r(o.F32, in[0].F32) }, nil
	case F64:
		r := f64(p, idx, off, cnt, outLen)
		return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { r(o.F64, in[0].F64) }, nil
	}
	return nil, fmt.Errorf("%s: no kernel for %v", n.Op.Name, n.Type.DType)
}

// reduceScratch is the buffer of a reduction of operand 0 into the result.
func reduceScratch(_ *Node, in [][]int, out []int, f32 bool) int64 {
	if f32 {
		return kernels.ReduceScratch[float32](in[0], elems64(out))
	}
	return kernels.ReduceScratch[float64](in[0], elems64(out))
}

// reduceRowScratch is reduceScratch and one value per result element (var
// and std keep the means, logsumexp the maxima).
func reduceRowScratch(n *Node, in [][]int, out []int, f32 bool) int64 {
	return kernels.AddBytes(reduceScratch(n, in, out, f32), kernels.HeapBytes(kernels.MulBytes(elems64(out), elemSize(f32))))
}
