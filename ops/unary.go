package ops

import (
	"fmt"
	"math"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Elementwise float ops of one operand, every one declared by one entry of
// the table in init: its kernel rows, its derivative, its checks and
// whether it fuses. The derivative is a factor d(n) written with ops, so
// that the VJP is g*d and the JVP t*d and both can be differentiated
// again. Ops with attributes (leaky_relu, elu, gelu, clip) give their rows
// per node instead.

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
	// Sin is the elementwise op "sin".
	Sin *Op
	// Cos is the elementwise op "cos".
	Cos *Op
	// Rsqrt is the elementwise op "rsqrt".
	Rsqrt *Op
	// Erf is the elementwise op "erf".
	Erf *Op
	// Silu is the elementwise op "silu".
	Silu *Op
	// Softplus is the elementwise op "softplus".
	Softplus *Op
	// Mish is the elementwise op "mish".
	Mish *Op
	// LeakyRelu is the elementwise op "leaky_relu".
	LeakyRelu *Op
	// Elu is the elementwise op "elu".
	Elu *Op
	// Gelu is the elementwise op "gelu".
	Gelu *Op
	// GeluGrad is the elementwise op "gelu_grad", the exact GELU's derivative.
	GeluGrad *Op
	// GeluTanhGrad is the elementwise op "gelu_tanh_grad", the derivative
	// of GELU's tanh form.
	GeluTanhGrad *Op
	// Clip is the elementwise op "clip".
	Clip *Op
)

// unaryOp declares one elementwise float op of one operand.
type unaryOp struct {
	h         **Op // the op's handle
	name, doc string

	// r32 and r64 are the kernel rows of an op without attributes; rowsOf
	// gives them for a node of an op with attributes.
	r32    func(dst, x []float32)
	r64    func(dst, x []float64)
	rowsOf func(n *Node) (func(dst, x []float32), func(dst, x []float64))

	check func(a Attrs) error // validates the attributes; may be nil

	// d is dy/dx as a node of n's type; grad, when set instead, gives
	// the gradient (or tangent) for the incoming g directly (neg: -g).
	d    func(b *Builder, n *Node) *Node
	grad func(b *Builder, n, g *Node) *Node

	dom   Domain      // the domain of the two standard check cases
	cases []CheckCase // other check cases, instead of the standard ones

	// fuse, when set, is the op's fusion descriptor; empty Rows stand for
	// the op's own rows r32 and r64.
	fuse *Elementwise

	// inPlace lets the result take over its operand's buffer (Op.InPlace).
	inPlace bool

	builtin *Builtin
}

func (u unaryOp) register() {
	infer := unaryInfer(u.name)
	grad := u.grad
	if grad == nil {
		grad = func(b *Builder, n, g *Node) *Node { return b.Mul(g, u.d(b, n)) }
	}
	rowsOf := u.rowsOf
	if rowsOf == nil {
		rowsOf = func(*Node) (func(dst, x []float32), func(dst, x []float64)) { return u.r32, u.r64 }
	}
	op := &Op{
		Name: u.name, Arity: 1, Doc: u.doc,
		Infer: func(in []Type, a Attrs) (Type, error) {
			if u.check != nil {
				if err := u.check(a); err != nil {
					return Type{}, err
				}
			}
			return infer(in, a)
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			return []*Node{grad(b, n, g)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if t[0] == nil {
				return b.Full(n.Type, 0)
			}
			return grad(b, n, t[0])
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			r32, r64 := rowsOf(n)
			return floatKernel(n,
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { r32(o.F32, in[0].F32) },
				func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) { r64(o.F64, in[0].F64) })
		},
		Check:   u.cases,
		Flops:   perOut(1),
		Builtin: u.builtin,
	}
	if op.Check == nil {
		op.Check = unaryCases(u.dom, nil)
	}
	if u.inPlace {
		op.InPlace = []int{0}
	}
	if u.fuse != nil {
		ew := *u.fuse
		if ew.Rows.Unary32 == nil && ew.Rows.Unary64 == nil {
			ew.Rows = unaryRows(u.r32, u.r64)
		}
		op.Elementwise = &ew
	}
	Register(u.h, op)
}

// unaryCases are the shapes an elementwise op is checked on.
func unaryCases(dom Domain, a Attrs) []CheckCase {
	return []CheckCase{
		{In: []Type{T(3, 4)}, Attrs: a, Domain: []Domain{dom}},
		{In: []Type{T()}, Attrs: a, Domain: []Domain{dom}},
	}
}

func un(b *Builder, op *Op, x *Node) *Node { return b.Must(op, nil, x) }

// floatAttr checks that a[key] is absent or a float64.
func floatAttr(name string, a Attrs, key string) error {
	if v, ok := a[key]; ok {
		if _, ok := v.(float64); !ok {
			return &InferError{name, fmt.Sprintf("attribute %s must be a number, got %v", key, v)}
		}
	}
	return nil
}

// Defaults of the attributed ops.
const (
	// DefaultLeakySlope is leaky_relu's slope when the "slope" attribute is absent (PyTorch's).
	DefaultLeakySlope = 0.01
	// DefaultEluAlpha is elu's alpha when the "alpha" attribute is absent.
	DefaultEluAlpha = 1.0
)

// The fusion descriptors of the unary ops that fuse: cheap ones run the
// tile rows and are recomputed by every group that reads them.
var (
	fusedOwnRows = &Elementwise{}
	fusedNeg     = &Elementwise{Rows: kernels.TileNeg.Rows(), Cheap: true}
	fusedRelu    = &Elementwise{Rows: kernels.TileRelu.Rows(), Cheap: true}
	fusedAbs     = &Elementwise{Rows: kernels.TileAbs.Rows(), Cheap: true}
	fusedSquare  = &Elementwise{Rows: kernels.TileSquare.Rows(), Cheap: true}
	fusedSqrt    = &Elementwise{Rows: kernels.TileSqrt.Rows()}
)

func init() {
	for _, u := range []unaryOp{
		{h: &Neg, name: "neg", builtin: unaryBuiltin(), doc: "-x, elementwise",
			r32: kernels.NegRow[float32], r64: kernels.NegRow[float64],
			grad: func(b *Builder, n, g *Node) *Node { return neg(b, g) },
			dom:  AnyReal, fuse: fusedNeg, inPlace: true},
		{h: &Exp, name: "exp", builtin: unaryBuiltin(), doc: "e**x, elementwise",
			r32: kernels.ExpRow[float32], r64: kernels.ExpRow[float64],
			d:   func(b *Builder, n *Node) *Node { return n },
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &Log, name: "log", builtin: unaryBuiltin(), doc: "the natural logarithm, elementwise",
			r32: kernels.LogRow[float32], r64: kernels.LogRow[float64],
			d: func(b *Builder, n *Node) *Node {
				x := n.In[0]
				return b.Div(scalar(b, x, 1), x)
			},
			dom: Positive, fuse: fusedOwnRows, inPlace: true},
		{h: &Log1p, name: "log1p", builtin: unaryBuiltin(), doc: "log(1 + x), accurate near 0, elementwise",
			r32: kernels.Log1pRow[float32], r64: kernels.Log1pRow[float64],
			d: func(b *Builder, n *Node) *Node {
				x := n.In[0]
				return b.Div(scalar(b, x, 1), b.Add(scalar(b, x, 1), x))
			},
			dom: Positive, fuse: fusedOwnRows, inPlace: true},
		{h: &Tanh, name: "tanh", builtin: unaryBuiltin(), doc: "the hyperbolic tangent, elementwise",
			r32: kernels.TanhRow[float32], r64: kernels.TanhRow[float64],
			d:   func(b *Builder, n *Node) *Node { return b.Sub(scalar(b, n.In[0], 1), b.Mul(n, n)) },
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &Sigmoid, name: "sigmoid", builtin: unaryBuiltin(), doc: "1 / (1 + e**-x), elementwise",
			r32: kernels.SigmoidRow[float32], r64: kernels.SigmoidRow[float64],
			d:   func(b *Builder, n *Node) *Node { return b.Mul(n, b.Sub(scalar(b, n.In[0], 1), n)) },
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &Relu, name: "relu", builtin: unaryBuiltin(), doc: "max(x, 0), elementwise",
			r32: kernels.ReluRow[float32], r64: kernels.ReluRow[float64],
			// relu(x) > 0 exactly where x > 0 (NaN and ±0 compare false
			// either way): reading the output, the gradient leaves x free
			// once relu has run, and a matmul or convolution whose bias
			// and relu follow it keeps them as its epilogue in training too.
			d: func(b *Builder, n *Node) *Node {
				return b.Must(Greater, nil, n, scalar(b, n, 0))
			},
			dom: AwayZero, fuse: fusedRelu, inPlace: true},
		{h: &Sqrt, name: "sqrt", builtin: unaryBuiltin(), doc: "the square root, elementwise",
			r32: kernels.SqrtRow[float32], r64: kernels.SqrtRow[float64],
			d:   func(b *Builder, n *Node) *Node { return b.Div(scalar(b, n.In[0], 0.5), n) },
			dom: Positive, fuse: fusedSqrt, inPlace: true},
		{h: &Abs, name: "abs", builtin: unaryBuiltin(), doc: "|x|, elementwise",
			r32: kernels.AbsRow[float32], r64: kernels.AbsRow[float64],
			d:   func(b *Builder, n *Node) *Node { return b.Must(Sign, nil, n.In[0]) },
			dom: AwayZero, fuse: fusedAbs, inPlace: true},
		{h: &Square, name: "square", builtin: unaryBuiltin(), doc: "x * x, elementwise",
			r32: kernels.SquareRow[float32], r64: kernels.SquareRow[float64],
			d: func(b *Builder, n *Node) *Node {
				x := n.In[0]
				return b.Mul(scalar(b, x, 2), x)
			},
			dom: AnyReal, fuse: fusedSquare, inPlace: true},
		{h: &Sin, name: "sin", builtin: unaryBuiltin(), doc: "sin(x), elementwise",
			r32: kernels.SinRow[float32], r64: kernels.SinRow[float64],
			d:   func(b *Builder, n *Node) *Node { return un(b, Cos, n.In[0]) },
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &Cos, name: "cos", builtin: unaryBuiltin(), doc: "cos(x), elementwise",
			r32: kernels.CosRow[float32], r64: kernels.CosRow[float64],
			d:   func(b *Builder, n *Node) *Node { return neg(b, un(b, Sin, n.In[0])) },
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &Rsqrt, name: "rsqrt", builtin: unaryBuiltin(), doc: "rsqrt(x) = 1/sqrt(x), elementwise",
			r32: kernels.RsqrtRow[float32], r64: kernels.RsqrtRow[float64],
			d: func(b *Builder, n *Node) *Node { // -y³/2
				return b.Mul(scalar(b, n, -0.5), b.Mul(n, b.Mul(n, n)))
			},
			dom: Positive, fuse: fusedOwnRows, inPlace: true},
		{h: &Erf, name: "erf", builtin: unaryBuiltin(), doc: "erf(x), the error function, elementwise",
			r32: kernels.ErfRow[float32], r64: kernels.ErfRow[float64],
			d: func(b *Builder, n *Node) *Node { // 2/√π e^(-x²)
				x := n.In[0]
				return b.Mul(scalar(b, n, 2/math.SqrtPi), un(b, Exp, neg(b, b.Mul(x, x))))
			},
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &Silu, name: "silu", builtin: unaryBuiltin(), doc: "silu(x) = x * sigmoid(x) (swish), elementwise",
			r32: kernels.SiluRow[float32], r64: kernels.SiluRow[float64],
			d: func(b *Builder, n *Node) *Node { // s * (1 + x*(1-s))
				x := n.In[0]
				s := un(b, Sigmoid, x)
				one := scalar(b, n, 1)
				return b.Mul(s, b.Add(one, b.Mul(x, b.Sub(one, s))))
			},
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &Softplus, name: "softplus", builtin: unaryBuiltin(), doc: "softplus(x) = log(1 + exp(x)), computed stably, elementwise",
			r32: kernels.SoftplusRow[float32], r64: kernels.SoftplusRow[float64],
			d:   func(b *Builder, n *Node) *Node { return un(b, Sigmoid, n.In[0]) },
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &Mish, name: "mish", doc: "mish(x) = x * tanh(softplus(x)), elementwise",
			r32: kernels.MishRow[float32], r64: kernels.MishRow[float64],
			d: func(b *Builder, n *Node) *Node { // t + x*sigmoid(x)*(1 - t²), t = tanh(softplus(x))
				x := n.In[0]
				t := un(b, Tanh, un(b, Softplus, x))
				return b.Add(t, b.Mul(b.Mul(x, un(b, Sigmoid, x)), b.Sub(scalar(b, n, 1), b.Mul(t, t))))
			},
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true,
			builtin: &Builtin{Operands: []Operand{{Name: "x"}}}},
		{h: &LeakyRelu, name: "leaky_relu", builtin: floatsBuiltin("slope"),
			doc:   "leaky_relu(x; slope float64 = 0.01): x where x > 0, slope*x elsewhere; the derivative at 0 is slope",
			check: func(a Attrs) error { return floatAttr("leaky_relu", a, "slope") },
			rowsOf: func(n *Node) (func(dst, x []float32), func(dst, x []float64)) {
				s := n.Attrs.Float("slope", DefaultLeakySlope)
				return func(dst, x []float32) { kernels.LeakyReluRow(dst, x, float32(s)) },
					func(dst, x []float64) { kernels.LeakyReluRow(dst, x, s) }
			},
			d: func(b *Builder, n *Node) *Node { // slope + (1-slope)*[x > 0]
				s := n.Attrs.Float("slope", DefaultLeakySlope)
				x := n.In[0]
				pos := b.Must(Greater, nil, x, scalar(b, x, 0))
				return b.Add(scalar(b, x, s), b.Mul(scalar(b, x, 1-s), pos))
			},
			cases: append(unaryCases(AwayZero, nil), unaryCases(AwayZero, Attrs{"slope": 0.2})...)},
		{h: &Elu, name: "elu", builtin: floatsBuiltin("alpha"),
			doc:   "elu(x; alpha float64 = 1): x where x > 0, alpha*(exp(x)-1) elsewhere",
			check: func(a Attrs) error { return floatAttr("elu", a, "alpha") },
			rowsOf: func(n *Node) (func(dst, x []float32), func(dst, x []float64)) {
				al := n.Attrs.Float("alpha", DefaultEluAlpha)
				return func(dst, x []float32) { kernels.EluRow(dst, x, al) },
					func(dst, x []float64) { kernels.EluRow(dst, x, al) }
			},
			d: func(b *Builder, n *Node) *Node { // [x > 0] + [x <= 0]*(y + alpha)
				al := n.Attrs.Float("alpha", DefaultEluAlpha)
				x := n.In[0]
				pos := b.Must(Greater, nil, x, scalar(b, x, 0))
				negp := b.Sub(scalar(b, x, 1), pos)
				return b.Add(pos, b.Mul(negp, b.Add(n, scalar(b, x, al))))
			},
			cases: append(unaryCases(AwayZero, nil), unaryCases(AwayZero, Attrs{"alpha": 0.5})...)},
		{h: &Gelu, name: "gelu", builtin: geluBuiltin(),
			doc: "gelu(x; approximate string = \"\"): x*Φ(x) with Φ the standard normal distribution function " +
				"(exact, through erf); approximate = \"tanh\" gives 0.5*x*(1 + tanh(sqrt(2/π)*(x + 0.044715*x³))) (PyTorch's forms)",
			check: geluCheck,
			rowsOf: func(n *Node) (func(dst, x []float32), func(dst, x []float64)) {
				th := n.Attrs.Str("approximate", "") == "tanh"
				return func(dst, x []float32) { kernels.GeluRow(dst, x, th) },
					func(dst, x []float64) { kernels.GeluRow(dst, x, th) }
			},
			d:     geluDerivative,
			cases: append(unaryCases(AnyReal, nil), unaryCases(AnyReal, Attrs{"approximate": "tanh"})...)},
		{h: &GeluGrad, name: "gelu_grad",
			doc: "gelu_grad(x): Φ(x) + x*φ(x), the derivative of the exact gelu, in one pass (φ the standard normal density)",
			r32: func(dst, x []float32) { kernels.GeluGradRow(dst, x, false) },
			r64: func(dst, x []float64) { kernels.GeluGradRow(dst, x, false) },
			d: func(b *Builder, n *Node) *Node { // φ(x)(2 - x²)
				x := n.In[0]
				x2 := b.Mul(x, x)
				pdf := b.Mul(scalar(b, x, 1/math.Sqrt(2*math.Pi)), un(b, Exp, b.Mul(scalar(b, x, -0.5), x2)))
				return b.Mul(pdf, b.Sub(scalar(b, x, 2), x2))
			},
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &GeluTanhGrad, name: "gelu_tanh_grad",
			doc: "gelu_tanh_grad(x): the derivative of gelu(x, approximate = \"tanh\"), " +
				"(1 + tanh u)/2 + x(1 - tanh² u)u'/2 with u = sqrt(2/π)(x + 0.044715x³), in one pass",
			r32: func(dst, x []float32) { kernels.GeluGradRow(dst, x, true) },
			r64: func(dst, x []float64) { kernels.GeluGradRow(dst, x, true) },
			d:   geluTanhSecond,
			dom: AnyReal, fuse: fusedOwnRows, inPlace: true},
		{h: &Clip, name: "clip", builtin: floatsBuiltin("lo", "hi"),
			doc: "clip(x; lo float64 = -Inf, hi float64 = +Inf): min(max(x, lo), hi); the gradient is 1 where " +
				"lo <= x <= hi (bounds included, as PyTorch's clamp) and 0 elsewhere",
			check: clipCheck,
			rowsOf: func(n *Node) (func(dst, x []float32), func(dst, x []float64)) {
				lo, hi := n.Attrs.Float("lo", math.Inf(-1)), n.Attrs.Float("hi", math.Inf(1))
				return func(dst, x []float32) { kernels.ClipRow(dst, x, float32(lo), float32(hi)) },
					func(dst, x []float64) { kernels.ClipRow(dst, x, lo, hi) }
			},
			d:     clipDerivative,
			cases: append(unaryCases(AnyReal, Attrs{"lo": -0.5, "hi": 0.7}), unaryCases(AnyReal, Attrs{"hi": 0.1})...)},
	} {
		u.register()
	}
}

// geluCheck accepts approximate = "", "none" or "tanh".
func geluCheck(a Attrs) error {
	v, ok := a["approximate"]
	if !ok {
		return nil
	}
	if s, ok := v.(string); !ok || (s != "" && s != "none" && s != "tanh") {
		return &InferError{"gelu", fmt.Sprintf("approximate must be \"none\" or \"tanh\", got %v", v)}
	}
	return nil
}

// geluDerivative is gelu_grad(x) = Φ(x) + x φ(x) for the exact form and
// gelu_tanh_grad(x) for approximate = "tanh".
func geluDerivative(b *Builder, n *Node) *Node {
	if n.Attrs.Str("approximate", "") == "tanh" {
		return un(b, GeluTanhGrad, n.In[0])
	}
	return un(b, GeluGrad, n.In[0])
}

// geluTanhSecond is gelu_tanh_grad's derivative, written with ops: with u
// = c(x + k x³), u' = c(1 + 3k x²) and t = tanh u, the first derivative is
// (1 + t)/2 + x(1 - t²)u'/2 and the second (1 - t²)(u' - x t u'² + 3ck x²).
func geluTanhSecond(b *Builder, n *Node) *Node {
	x := n.In[0]
	c, k := math.Sqrt(2/math.Pi), 0.044715
	x2 := b.Mul(x, x)
	t := un(b, Tanh, b.Mul(scalar(b, x, c), b.Add(x, b.Mul(scalar(b, x, k), b.Mul(x2, x)))))
	du := b.Mul(scalar(b, x, c), b.Add(scalar(b, x, 1), b.Mul(scalar(b, x, 3*k), x2)))
	in := b.Add(b.Sub(du, b.Mul(b.Mul(x, t), b.Mul(du, du))), b.Mul(scalar(b, x, 3*c*k), x2))
	return b.Mul(b.Sub(scalar(b, x, 1), b.Mul(t, t)), in)
}

// clipCheck accepts number bounds with lo <= hi.
func clipCheck(a Attrs) error {
	if err := floatAttr("clip", a, "lo"); err != nil {
		return err
	}
	if err := floatAttr("clip", a, "hi"); err != nil {
		return err
	}
	if lo, hi := a.Float("lo", math.Inf(-1)), a.Float("hi", math.Inf(1)); lo > hi {
		return &InferError{"clip", fmt.Sprintf("lo %g is above hi %g", lo, hi)}
	}
	return nil
}

// clipDerivative is 1 - [x < lo] - [x > hi].
func clipDerivative(b *Builder, n *Node) *Node {
	x := n.In[0]
	d := scalar(b, x, 1)
	if lo := n.Attrs.Float("lo", math.Inf(-1)); !math.IsInf(lo, -1) {
		d = b.Sub(d, b.Must(Less, nil, x, scalar(b, x, lo)))
	}
	if hi := n.Attrs.Float("hi", math.Inf(1)); !math.IsInf(hi, 1) {
		d = b.Sub(d, b.Must(Greater, nil, x, scalar(b, x, hi)))
	}
	return b.BroadcastTo(d, n.Type.Shape)
}
