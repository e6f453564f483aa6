package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// More reductions with sum's attributes ("axes" []int, absent for every axis;
// "keepdims" bool): prod, logsumexp, var and std ("ddof" int), norm ("ord");
// and argmax/argmin along one "axis".

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
	p := kernels.NewBcast(in[0], keep)
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

// momentRows is the variance or standard deviation kernel.
func momentRows[T kernels.Float](ddof int, root bool) func(p *kernels.Bcast, idx, off []int, count, outLen int) func(dst, src []T) {
	return func(p *kernels.Bcast, idx, off []int, count, outLen int) func(dst, src []T) {
		mean := make([]T, outLen)
		inv := T(1 / float64(count))
		invDen := T(1 / float64(count-ddof))
		return func(dst, src []T) {
			kernels.SumTo(p, mean, src, idx, off)
			kernels.ScaleRow(mean, mean, inv)
			kernels.SumSquares(p, dst, src, mean, idx, off)
			kernels.ScaleRow(dst, dst, invDen)
			if root {
				kernels.SqrtRow(dst, dst)
			}
		}
	}
}

// varDenominator is N - ddof for var/std node n, as a scalar of n's type.
func varDenominator(b *Builder, n *Node) *Node {
	return sub(b, count(b, n), scalar(b, n, float64(n.Attrs.Int("ddof", 0))))
}

// centered is x minus its mean over n's axes (kept as size 1).
func centered(b *Builder, n *Node) *Node {
	x := n.In[0]
	return sub(b, x, b.Must(Mean, reduceAttrs(n, true), x))
}

func intAttr(name string, a Attrs, key string) error {
	if v, ok := a[key]; ok {
		if _, ok := v.(int); !ok {
			return &InferError{name, fmt.Sprintf("attribute %s must be an integer, got %v", key, v)}
		}
	}
	return nil
}

// inferWith is reduceInfer preceded by an attribute check.
func inferWith(name string, check func(Attrs) error) func([]Type, Attrs) (Type, error) {
	infer := reduceInfer(name)
	return func(in []Type, a Attrs) (Type, error) {
		if err := check(a); err != nil {
			return Type{}, err
		}
		return infer(in, a)
	}
}

// Handles of the ops this file registers.
var (
	// Argmax is the op "argmax".
	Argmax *Op
	// Argmin is the op "argmin".
	Argmin *Op
	// Prod is the op "prod": prod(x; axes []int, keepdims bool): the product over axes (every axis when absent).
	Prod *Op
	// Logsumexp is the op "logsumexp": logsumexp(x; axes []int, keepdims bool): log(sum(exp(x))) over axes (every axis when absent),
	Logsumexp *Op
	// Var is the op "var": var(x; axes []int, keepdims bool, ddof int = 0): the variance over axes (every axis when absent),
	Var *Op
	// Std is the op "std": std(x; axes []int, keepdims bool, ddof int = 0): sqrt(var(x)) over axes (every axis when absent);
	Std *Op
	// Norm is the op "norm": norm(x; axes []int, keepdims bool, ord int = 2): the L2 norm sqrt(sum(x²)) over axes (every axis
	Norm *Op
)

func init() {
	Register(&Prod, &Op{
		Name: "prod", Arity: 1,
		Doc: "prod(x; axes []int, keepdims bool): the product over axes (every axis when absent). " +
			"The gradient is prod/x, so it is not defined where an element is exactly 0.",
		Infer: reduceInfer("prod"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{div(b, expand(b, n, mul(b, g, n)), n.In[0])}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return mul(b, n, sumLike(b, n, div(b, t[0], n.In[0])))
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
	Register(&Logsumexp, &Op{
		Name: "logsumexp", Arity: 1,
		Doc: "logsumexp(x; axes []int, keepdims bool): log(sum(exp(x))) over axes (every axis when absent), " +
			"computed stably by shifting by the maximum. The language's default axis is -1: lang passes axes [-1].",
		Infer: reduceInfer("logsumexp"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			p := b.Must(Exp, nil, sub(b, n.In[0], keepOf(b, n, n))) // softmax over the axes
			return []*Node{mul(b, expand(b, n, g), p)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			p := b.Must(Exp, nil, sub(b, n.In[0], keepOf(b, n, n)))
			return sumLike(b, n, mul(b, t[0], p))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return redKernel(n, in,
				func(p *kernels.Bcast, idx, off []int, _, outLen int) func(dst, src []float32) {
					m := make([]float32, outLen)
					return func(dst, src []float32) {
						kernels.ReduceMax(p, m, src, idx, off)
						kernels.LogSumExp(p, dst, src, m, idx, off)
					}
				},
				func(p *kernels.Bcast, idx, off []int, _, outLen int) func(dst, src []float64) {
					m := make([]float64, outLen)
					return func(dst, src []float64) {
						kernels.ReduceMax(p, m, src, idx, off)
						kernels.LogSumExp(p, dst, src, m, idx, off)
					}
				})
		},
		Check: reduceCases,
	})
	ddofCheck := func(name string) func(Attrs) error {
		return func(a Attrs) error { return intAttr(name, a, "ddof") }
	}
	varCases := append(append([]CheckCase(nil), reduceCases[:5]...),
		CheckCase{In: []Type{T(3, 4)}, Attrs: Attrs{"axes": []int{1}, "ddof": 1}},
		CheckCase{In: []Type{T(2, 3, 4)}, Attrs: Attrs{"ddof": 1, "keepdims": true}})
	Register(&Var, &Op{
		Name: "var", Arity: 1,
		Doc: "var(x; axes []int, keepdims bool, ddof int = 0): the variance over axes (every axis when absent), " +
			"sum((x - mean)²) / (N - ddof): the population form unless ddof = 1",
		Infer: inferWith("var", ddofCheck("var")),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			f := div(b, scalar(b, n, 2), varDenominator(b, n))
			return []*Node{mul(b, expand(b, n, mul(b, g, f)), centered(b, n))}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			f := div(b, scalar(b, n, 2), varDenominator(b, n))
			return mul(b, sumLike(b, n, mul(b, t[0], centered(b, n))), f)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			d := n.Attrs.Int("ddof", 0)
			return redKernel(n, in, momentRows[float32](d, false), momentRows[float64](d, false))
		},
		Check: varCases,
	})
	Register(&Std, &Op{
		Name: "std", Arity: 1,
		Doc: "std(x; axes []int, keepdims bool, ddof int = 0): sqrt(var(x)) over axes (every axis when absent); " +
			"its gradient is not defined where std is 0 (constant slices)",
		Infer: inferWith("std", ddofCheck("std")),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{mul(b, expand(b, n, div(b, g, mul(b, n, varDenominator(b, n)))), centered(b, n))}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			s := sumLike(b, n, mul(b, t[0], centered(b, n)))
			return div(b, s, mul(b, n, varDenominator(b, n)))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			d := n.Attrs.Int("ddof", 0)
			return redKernel(n, in, momentRows[float32](d, true), momentRows[float64](d, true))
		},
		Check: varCases,
	})
	Register(&Norm, &Op{
		Name: "norm", Arity: 1,
		Doc: "norm(x; axes []int, keepdims bool, ord int = 2): the L2 norm sqrt(sum(x²)) over axes (every axis " +
			"when absent); only ord 2 exists. Where the norm is 0 the gradient is taken as 0 (a subgradient) " +
			"instead of NaN.",
		Infer: inferWith("norm", func(a Attrs) error {
			if err := intAttr("norm", a, "ord"); err != nil {
				return err
			}
			if o := a.Int("ord", 2); o != 2 {
				return &InferError{"norm", fmt.Sprintf("ord %d is not supported; only the L2 norm (ord 2) is", o)}
			}
			return nil
		}),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{mul(b, expand(b, n, div(b, g, safeNorm(b, n))), n.In[0])}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return div(b, sumLike(b, n, mul(b, t[0], n.In[0])), safeNorm(b, n))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			return redKernel(n, in,
				func(p *kernels.Bcast, idx, off []int, _, _ int) func(dst, src []float32) {
					return func(dst, src []float32) {
						kernels.SumSquares(p, dst, src, nil, idx, off)
						kernels.SqrtRow(dst, dst)
					}
				},
				func(p *kernels.Bcast, idx, off []int, _, _ int) func(dst, src []float64) {
					return func(dst, src []float64) {
						kernels.SumSquares(p, dst, src, nil, idx, off)
						kernels.SqrtRow(dst, dst)
					}
				})
		},
		Check: reduceCases,
	})
	for _, r := range []struct {
		h    **Op
		name string
	}{{&Argmax, "argmax"}, {&Argmin, "argmin"}} {
		name := r.name
		isMax := name == "argmax"
		Register(r.h, &Op{
			Name: name, Arity: 1,
			Doc: name + "(x; axis int, keepdims bool): the i32 index along axis of the " + name[3:] +
				"imum (NumPy: the first one on ties; a NaN wins); without axis, the index into the flattened x",
			Infer: func(in []Type, a Attrs) (Type, error) {
				if !in[0].DType.IsFloat() {
					return Type{}, &InferError{name, fmt.Sprintf("needs an f32 or f64 operand, {0} is %v", in[0])}
				}
				if err := intAttr(name, a, "axis"); err != nil {
					return Type{}, err
				}
				ax, all, err := argAxis(name, in[0], a)
				if err != nil {
					return Type{}, err
				}
				keep := a.Bool("keepdims", false)
				var out Shape
				for i, d := range in[0].Shape {
					switch {
					case !all && i != ax:
						out = append(out, d)
					case keep:
						out = append(out, DimConst(1))
					}
				}
				return Type{I32, out}, nil
			},
			NoGrad: "an integer result",
			VJP:    func(b *Builder, n *Node, g *Node) []*Node { return []*Node{nil} },
			JVP:    func(b *Builder, n *Node, t []*Node) *Node { return b.Full(n.Type, 0) },
			Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
				ax, all, err := argAxis(name, n.In[0].Type, n.Attrs)
				if err != nil {
					return nil, err
				}
				s := in[0]
				outer, m, inner := 1, tensor.NumElems(s), 1
				if !all {
					outer, m, inner = tensor.NumElems(s[:ax]), s[ax], tensor.NumElems(s[ax+1:])
				}
				switch n.In[0].Type.DType {
				case F32:
					return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
						kernels.ArgReduce(o.I32, in[0].F32, outer, m, inner, isMax)
					}, nil
				case F64:
					return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
						kernels.ArgReduce(o.I32, in[0].F64, outer, m, inner, isMax)
					}, nil
				}
				return nil, fmt.Errorf("%s: no kernel for %v", name, n.In[0].Type)
			},
		})
	}
}

// argAxis resolves argmax's "axis"; all is true when it is absent.
func argAxis(name string, t Type, a Attrs) (ax int, all bool, err error) {
	if _, ok := a["axis"]; !ok {
		return 0, true, nil
	}
	ax, err = NormAxis(a.Int("axis", 0), t.Shape.Rank())
	if err != nil {
		return 0, false, &InferError{name, fmt.Sprintf("axis %d is out of range for {0} of type %v", a.Int("axis", 0), t)}
	}
	return ax, false, nil
}

// safeNorm is norm n with its zeros replaced by ones, for dividing by: where
// the norm is 0 every element of x is 0, so x/safeNorm is 0 there.
func safeNorm(b *Builder, n *Node) *Node {
	return add(b, n, b.Must(Equal, nil, n, scalar(b, n, 0)))
}
