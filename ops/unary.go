package ops

import "github.com/nnclang/nnc/kernels"

// Elementwise unary float ops. Each derivative is written as d(x, y), the
// factor that multiplies the incoming gradient (y is the op's own result), so
// that the VJP is g*d and the JVP t*d.

func init() {
	unary := []struct {
		name, doc string
		r32       func(dst, x []float32)
		r64       func(dst, x []float64)
		d         func(b *Builder, x, y *Node) *Node
		dom       Domain
	}{
		{"neg", "-x", kernels.NegRow[float32], kernels.NegRow[float64],
			nil, AnyReal},
		{"exp", "e**x", kernels.ExpRow[float32], kernels.ExpRow[float64],
			func(b *Builder, x, y *Node) *Node { return y }, AnyReal},
		{"log", "the natural logarithm", kernels.LogRow[float32], kernels.LogRow[float64],
			func(b *Builder, x, y *Node) *Node { return div(b, scalar(b, x, 1), x) }, Positive},
		{"log1p", "log(1 + x), accurate near 0", kernels.Log1pRow[float32], kernels.Log1pRow[float64],
			func(b *Builder, x, y *Node) *Node { return div(b, scalar(b, x, 1), add(b, scalar(b, x, 1), x)) }, Positive},
		{"tanh", "the hyperbolic tangent", kernels.TanhRow[float32], kernels.TanhRow[float64],
			func(b *Builder, x, y *Node) *Node { return sub(b, scalar(b, x, 1), mul(b, y, y)) }, AnyReal},
		{"sigmoid", "1 / (1 + e**-x)", kernels.SigmoidRow[float32], kernels.SigmoidRow[float64],
			func(b *Builder, x, y *Node) *Node { return mul(b, y, sub(b, scalar(b, x, 1), y)) }, AnyReal},
		{"relu", "max(x, 0)", kernels.ReluRow[float32], kernels.ReluRow[float64],
			func(b *Builder, x, y *Node) *Node { return b.Must("greater", nil, x, scalar(b, x, 0)) }, AwayZero},
		{"sqrt", "the square root", kernels.SqrtRow[float32], kernels.SqrtRow[float64],
			func(b *Builder, x, y *Node) *Node { return div(b, scalar(b, x, 0.5), y) }, Positive},
		{"abs", "|x|", kernels.AbsRow[float32], kernels.AbsRow[float64],
			func(b *Builder, x, y *Node) *Node { return b.Must("sign", nil, x) }, AwayZero},
		{"square", "x * x", kernels.SquareRow[float32], kernels.SquareRow[float64],
			func(b *Builder, x, y *Node) *Node { return mul(b, scalar(b, x, 2), x) }, AnyReal},
	}
	for _, u := range unary {
		d := u.d
		factor := func(b *Builder, n *Node, g *Node) *Node {
			if d == nil { // neg
				return neg(b, g)
			}
			return mul(b, g, d(b, n.In[0], n))
		}
		Register(&Op{
			Name: u.name, Arity: 1,
			Doc:   u.doc + ", elementwise",
			Infer: unaryInfer(u.name),
			VJP: func(b *Builder, n *Node, g *Node) []*Node {
				return []*Node{factor(b, n, g)}
			},
			JVP: func(b *Builder, n *Node, t []*Node) *Node {
				if t[0] == nil {
					return b.Full(n.Type, 0)
				}
				return factor(b, n, t[0])
			},
			InPlace: []int{0},
			Kernel:  unaryKernel(u.r32, u.r64),
			Check: []CheckCase{
				{In: []Type{T(3, 4)}, Domain: []Domain{u.dom}},
				{In: []Type{T()}, Domain: []Domain{u.dom}},
			},
		})
	}
}
