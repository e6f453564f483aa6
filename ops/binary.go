package ops

import "github.com/nnclang/nnc/kernels"

// Elementwise binary float ops with NumPy broadcasting. All of them fuse:
// add, sub, mul and div are cheap and run the tile rows in fused kernels,
// as do maximum and minimum; pow runs its own rows.

// bcastCases are the operand shapes every broadcasting binary op is checked on.
var bcastCases = []CheckCase{
	{In: []Type{T(3, 4), T(3, 4)}},
	{In: []Type{T(3, 4), T(4)}},
	{In: []Type{T(2, 1, 3), T(4, 1)}},
	{In: []Type{T(), T(2, 3)}},
}

// withDomain returns cases with the given operand domains.
func withDomain(cases []CheckCase, d ...Domain) []CheckCase {
	out := make([]CheckCase, len(cases))
	for i, c := range cases {
		c.Domain = d
		out[i] = c
	}
	return out
}

// Handles of the ops this file registers.
var (
	// Add is the op "add": x + y
	Add *Op
	// Sub is the op "sub": x - y
	Sub *Op
	// Mul is the op "mul": x * y
	Mul *Op
	// Div is the op "div": x / y
	Div *Op
	// Pow is the op "pow": x ** y
	Pow *Op
	// Maximum is the op "maximum": the larger of x and y, elementwise.
	Maximum *Op
	// Minimum is the op "minimum": the smaller of x and y, elementwise.
	Minimum *Op
)

func init() {
	Register(&Add, &Op{
		Name: "add", Arity: 2,
		Doc:   "x + y",
		Infer: binaryInfer("add"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.SumTo(g, n.In[0].Type.Shape), b.SumTo(g, n.In[1].Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			return sumTangents(b, n.Type, t[0], t[1])
		},
		InPlace:     []int{0, 1},
		Kernel:      binaryKernel(kernels.AddRow[float32], kernels.AddRow[float64]),
		Flops:       perOut(1),
		Elementwise: &Elementwise{Rows: kernels.TileAdd.Rows(), Cheap: true},
		Check:       bcastCases,
	})
	Register(&Sub, &Op{
		Name: "sub", Arity: 2,
		Doc:   "x - y",
		Infer: binaryInfer("sub"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{b.SumTo(g, n.In[0].Type.Shape), b.SumTo(neg(b, g), n.In[1].Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			var ty *Node
			if t[1] != nil {
				ty = neg(b, t[1])
			}
			return sumTangents(b, n.Type, t[0], ty)
		},
		InPlace:     []int{0, 1},
		Kernel:      binaryKernel(kernels.SubRow[float32], kernels.SubRow[float64]),
		Flops:       perOut(1),
		Elementwise: &Elementwise{Rows: kernels.TileSub.Rows(), Cheap: true},
		Check:       bcastCases,
	})
	Register(&Mul, &Op{
		Name: "mul", Arity: 2,
		Doc:   "x * y",
		Infer: binaryInfer("mul"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			x, y := n.In[0], n.In[1]
			return []*Node{b.SumTo(b.Mul(g, y), x.Type.Shape), b.SumTo(b.Mul(g, x), y.Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			x, y := n.In[0], n.In[1]
			var a, c *Node
			if t[0] != nil {
				a = b.Mul(t[0], y)
			}
			if t[1] != nil {
				c = b.Mul(x, t[1])
			}
			return sumTangents(b, n.Type, a, c)
		},
		InPlace:     []int{0, 1},
		Kernel:      binaryKernel(kernels.MulRow[float32], kernels.MulRow[float64]),
		Flops:       perOut(1),
		Elementwise: &Elementwise{Rows: kernels.TileMul.Rows(), Cheap: true},
		Check:       bcastCases,
	})
	Register(&Div, &Op{
		Name: "div", Arity: 2,
		Doc:   "x / y",
		Infer: binaryInfer("div"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			x, y := n.In[0], n.In[1]
			gy := b.Div(g, y) // d/dx = 1/y; d/dy = -x/y² = -(x/y)/y
			return []*Node{b.SumTo(gy, x.Type.Shape), b.SumTo(neg(b, b.Mul(gy, n)), y.Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			y := n.In[1]
			var a, c *Node
			if t[0] != nil {
				a = b.Div(t[0], y)
			}
			if t[1] != nil {
				c = neg(b, b.Div(b.Mul(t[1], n), y))
			}
			return sumTangents(b, n.Type, a, c)
		},
		InPlace:     []int{0, 1},
		Kernel:      binaryKernel(kernels.DivRow[float32], kernels.DivRow[float64]),
		Flops:       perOut(1),
		Elementwise: &Elementwise{Rows: kernels.TileDiv.Rows(), Cheap: true},
		Check:       withDomain(bcastCases, AnyReal, AwayZero),
	})
	Register(&Pow, &Op{
		Name: "pow", Arity: 2,
		Builtin: weakBuiltin(),
		Doc:     "x ** y",
		Infer:   binaryInfer("pow"),
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			x, y := n.In[0], n.In[1]
			dx := b.Mul(g, b.Mul(y, b.Must(Pow, nil, x, b.Sub(y, scalar(b, y, 1)))))
			if isConst(y) {
				// x ** 2 with x < 0 is common; log(x) would put NaNs in the
				// graph for a gradient nobody asks for.
				return []*Node{b.SumTo(dx, x.Type.Shape), nil}
			}
			dy := b.Mul(g, b.Mul(n, b.Must(Log, nil, x)))
			return []*Node{b.SumTo(dx, x.Type.Shape), b.SumTo(dy, y.Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			x, y := n.In[0], n.In[1]
			var a, c *Node
			if t[0] != nil {
				a = b.Mul(t[0], b.Mul(y, b.Must(Pow, nil, x, b.Sub(y, scalar(b, y, 1)))))
			}
			if t[1] != nil && !isConst(y) {
				c = b.Mul(t[1], b.Mul(n, b.Must(Log, nil, x)))
			}
			return sumTangents(b, n.Type, a, c)
		},
		InPlace:     []int{0, 1},
		Kernel:      binaryKernel(kernels.PowRow[float32], kernels.PowRow[float64]),
		Flops:       perOut(1),
		Elementwise: &Elementwise{Rows: binaryRows(kernels.PowRow[float32], kernels.PowRow[float64])},
		Check:       withDomain(bcastCases, Positive, AnyReal),
	})
	for _, h := range []**Op{&Maximum, &Minimum} {
		name, first := "maximum", &Greater // maximum: x wins where x > y
		r32, r64, tile := kernels.MaxRow[float32], kernels.MaxRow[float64], kernels.TileMax
		if h == &Minimum {
			name, first = "minimum", &Less
			r32, r64, tile = kernels.MinRow[float32], kernels.MinRow[float64], kernels.TileMin
		}
		// win returns the masks of where x and where y is the result; ties
		// share the gradient equally, as PyTorch does.
		win := func(b *Builder, n *Node) (*Node, *Node) {
			x, y := n.In[0], n.In[1]
			half := b.Mul(scalar(b, x, 0.5), b.Must(Equal, nil, x, y))
			return b.Add(b.Must(*first, nil, x, y), half), b.Add(b.Must(*first, nil, y, x), half)
		}
		Register(h, &Op{
			Name: name, Arity: 2,
			Builtin: weakBuiltin(),
			Doc:     name + "(x, y), elementwise; at ties each operand gets half the gradient",
			Infer:   binaryInfer(name),
			VJP: func(b *Builder, n *Node, g *Node) []*Node {
				mx, my := win(b, n)
				return []*Node{b.SumTo(b.Mul(g, mx), n.In[0].Type.Shape), b.SumTo(b.Mul(g, my), n.In[1].Type.Shape)}
			},
			JVP: func(b *Builder, n *Node, t []*Node) *Node {
				mx, my := win(b, n)
				var a, c *Node
				if t[0] != nil {
					a = b.Mul(t[0], mx)
				}
				if t[1] != nil {
					c = b.Mul(t[1], my)
				}
				return sumTangents(b, n.Type, a, c)
			},
			InPlace:     []int{0, 1},
			Kernel:      binaryKernel(r32, r64),
			Flops:       perOut(1),
			Elementwise: &Elementwise{Rows: tile.Rows()},
			Check:       withDomain(bcastCases, Distinct, Distinct),
		})
	}
}
