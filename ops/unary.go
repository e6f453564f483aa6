package ops

import "github.com/nnclang/nnc/kernels"

// Elementwise unary float ops. Each derivative is written as d(x, y), the
// factor that multiplies the incoming gradient (y is the op's own result), so
// that the VJP is g*d and the JVP t*d.

// Handles of the ops this file registers.
var (
	// Neg is the elementwise op "neg".
	Neg *Op
	// Exp is the elementwise op "exp".
	Exp *Op
	// Log is the elementwise op "log".
	Log *Op
	// Log1p is the elementwise op "log1p".
	Log1p *Op
	// Tanh is the elementwise op "tanh".
	Tanh *Op
	// Sigmoid is the elementwise op "sigmoid".
	Sigmoid *Op
	// Relu is the elementwise op "relu".
	Relu *Op
	// Sqrt is the elementwise op "sqrt".
	Sqrt *Op
	// Abs is the elementwise op "abs".
	Abs *Op
	// Square is the elementwise op "square".
	Square *Op
)

func init() {
	unary := []struct {
		h         **Op
		name, doc string
		r32       func(dst, x []float32)
		r64       func(dst, x []float64)
		d         func(b *Builder, x, y *Node) *Node
		dom       Domain
	}{
		{&Neg, "neg", "-x", kernels.NegRow[float32], kernels.NegRow[float64],
			nil, AnyReal},
		{&Exp, "exp", "e**x", kernels.ExpRow[float32], kernels.ExpRow[float64],
			func(b *Builder, x, y *Node) *Node { return y }, AnyReal},
		{&Log, "log", "the natural logarithm", kernels.LogRow[float32], kernels.LogRow[float64],
			func(b *Builder, x, y *Node) *Node { return div(b, scalar(b, x, 1), x) }, Positive},
		{&Log1p, "log1p", "log(1 + x), accurate near 0", kernels.Log1pRow[float32], kernels.Log1pRow[float64],
			func(b *Builder, x, y *Node) *Node { return div(b, scalar(b, x, 1), add(b, scalar(b, x, 1), x)) }, Positive},
		{&Tanh, "tanh", "the hyperbolic tangent", kernels.TanhRow[float32], kernels.TanhRow[float64],
			func(b *Builder, x, y *Node) *Node { return sub(b, scalar(b, x, 1), mul(b, y, y)) }, AnyReal},
		{&Sigmoid, "sigmoid", "1 / (1 + e**-x)", kernels.SigmoidRow[float32], kernels.SigmoidRow[float64],
			func(b *Builder, x, y *Node) *Node { return mul(b, y, sub(b, scalar(b, x, 1), y)) }, AnyReal},
		{&Relu, "relu", "max(x, 0)", kernels.ReluRow[float32], kernels.ReluRow[float64],
			func(b *Builder, x, y *Node) *Node { return b.Must(Greater, nil, x, scalar(b, x, 0)) }, AwayZero},
		{&Sqrt, "sqrt", "the square root", kernels.SqrtRow[float32], kernels.SqrtRow[float64],
			func(b *Builder, x, y *Node) *Node { return div(b, scalar(b, x, 0.5), y) }, Positive},
		{&Abs, "abs", "|x|", kernels.AbsRow[float32], kernels.AbsRow[float64],
			func(b *Builder, x, y *Node) *Node { return b.Must(Sign, nil, x) }, AwayZero},
		{&Square, "square", "x * x", kernels.SquareRow[float32], kernels.SquareRow[float64],
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
		Register(u.h, &Op{
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
