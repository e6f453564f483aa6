package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
)

// Statistics over axes, with sum's attributes ("axes" []int, absent for
// every axis; "keepdims" bool): logsumexp, var and std ("ddof" int), and
// norm ("ord"). Their kernels make more than one pass (a maximum or a mean
// first) and keep one value per result element besides the reduction's.

// Handles of the ops this file registers.
var (
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
	Register(&Logsumexp, &Op{
		Name: "logsumexp", Arity: 1,
		Builtin: reduceBuiltin([]int{-1}),
		Flops:   perIn(4),
		Scratch: reduceRowScratch,
		Doc: "logsumexp(x; axes []int, keepdims bool): log(sum(exp(x))) over axes (every axis when absent), " +
			"computed stably by shifting by the maximum. The language's default axis is -1: lang passes axes [-1].",
		Infer: reduceInfer("logsumexp"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			p := b.Must(Exp, nil, b.Sub(n.In[0], keepOf(b, n, n))) // softmax over the axes
			return []*Node{b.Mul(expand(b, n, g), p)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			p := b.Must(Exp, nil, b.Sub(n.In[0], keepOf(b, n, n)))
			return sumLike(b, n, b.Mul(t[0], p))
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
		Builtin: reduceBuiltin(nil, ddofAttr()),
		Flops:   perIn(3),
		Scratch: reduceRowScratch,
		Doc: "var(x; axes []int, keepdims bool, ddof int = 0): the variance over axes (every axis when absent), " +
			"sum((x - mean)²) / (N - ddof): the population form unless ddof = 1",
		Infer: inferWith("var", ddofCheck("var")),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			f := b.Div(scalar(b, n, 2), varDenominator(b, n))
			return []*Node{b.Mul(expand(b, n, b.Mul(g, f)), centered(b, n))}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			f := b.Div(scalar(b, n, 2), varDenominator(b, n))
			return b.Mul(sumLike(b, n, b.Mul(t[0], centered(b, n))), f)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			d := n.Attrs.Int("ddof", 0)
			return redKernel(n, in, momentRows[float32](d, false), momentRows[float64](d, false))
		},
		Check: varCases,
	})
	Register(&Std, &Op{
		Name: "std", Arity: 1,
		Builtin: reduceBuiltin(nil, ddofAttr()),
		Flops:   perIn(3),
		Scratch: reduceRowScratch,
		Doc: "std(x; axes []int, keepdims bool, ddof int = 0): sqrt(var(x)) over axes (every axis when absent); " +
			"its gradient is not defined where std is 0 (constant slices)",
		Infer: inferWith("std", ddofCheck("std")),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.Mul(expand(b, n, b.Div(g, b.Mul(n, varDenominator(b, n)))), centered(b, n))}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			s := sumLike(b, n, b.Mul(t[0], centered(b, n)))
			return b.Div(s, b.Mul(n, varDenominator(b, n)))
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			d := n.Attrs.Int("ddof", 0)
			return redKernel(n, in, momentRows[float32](d, true), momentRows[float64](d, true))
		},
		Check: varCases,
	})
	Register(&Norm, &Op{
		Name: "norm", Arity: 1,
		Builtin: reduceBuiltin(nil),
		Flops:   perIn(2),
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
			return []*Node{b.Mul(expand(b, n, b.Div(g, safeNorm(b, n))), n.In[0])}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return b.Div(sumLike(b, n, b.Mul(t[0], n.In[0])), safeNorm(b, n))
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
	return b.Sub(count(b, n), scalar(b, n, float64(n.Attrs.Int("ddof", 0))))
}

// centered is x minus its mean over n's axes (kept as size 1).
func centered(b *Builder, n *Node) *Node {
	x := n.In[0]
	return b.Sub(x, b.Must(Mean, reduceAttrs(n, true), x))
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

// safeNorm is norm n with its zeros replaced by ones, for dividing by: where
// the norm is 0 every element of x is 0, so x/safeNorm is 0 there.
func safeNorm(b *Builder, n *Node) *Node {
	return b.Add(n, b.Must(Equal, nil, n, scalar(b, n, 0)))
}
