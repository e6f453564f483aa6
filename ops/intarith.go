package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Integer arithmetic (the language's + - * / on i32 and i64 tensors) and
// the floored remainder % on every number type. Integers wrap around on
// overflow, / on integers rounds toward minus infinity (Python's //), and
// an integer / or % by zero gives 0 (NumPy's values), never a fault. On
// floats, x % y is NumPy's remainder: the sign of y, NaN for y = 0.

// Handles of the ops this file registers.
var (
	// IntAdd is the op "int_add": x + y on integer tensors, wrapping around.
	IntAdd *Op
	// IntSub is the op "int_sub": x - y on integer tensors, wrapping around.
	IntSub *Op
	// IntMul is the op "int_mul": x * y on integer tensors, wrapping around.
	IntMul *Op
	// IntDiv is the op "int_div": x / y on integer tensors rounded toward minus infinity; 0 where y is 0.
	IntDiv *Op
	// Mod is the op "mod": x % y with the sign of y (NumPy's remainder); on integers 0 where y is 0.
	Mod *Op
)

var intCases = []CheckCase{
	{In: []Type{TI(3, 4), TI(3, 4)}, Domain: []Domain{Labels, Labels}},
	{In: []Type{TI(2, 1, 3), TI(4, 1)}, Domain: []Domain{Labels, Labels}},
	{In: []Type{{DType: I64, Shape: ShapeOf()}, {DType: I64, Shape: ShapeOf(2, 3)}}, Domain: []Domain{Labels, Labels}},
}

func init() {
	for _, c := range []struct {
		h         **Op
		name, doc string
		f32       func(a, b int32) int32
		f64       func(a, b int64) int64
	}{
		{&IntAdd, "int_add", "x + y", func(a, b int32) int32 { return a + b }, func(a, b int64) int64 { return a + b }},
		{&IntSub, "int_sub", "x - y", func(a, b int32) int32 { return a - b }, func(a, b int64) int64 { return a - b }},
		{&IntMul, "int_mul", "x * y", func(a, b int32) int32 { return a * b }, func(a, b int64) int64 { return a * b }},
		{&IntDiv, "int_div", "x / y rounded toward minus infinity (Python's //); 0 where y is 0", kernels.FloorDiv[int32], kernels.FloorDiv[int64]},
	} {
		name := c.name
		Register(c.h, &Op{
			Name: name, Arity: 2,
			Doc: c.doc + " on i32 or i64 tensors, broadcasting; wraps around on overflow (NumPy)",
			Infer: func(in []Type, a Attrs) (Type, error) {
				if !in[0].DType.IsInt() || in[1].DType != in[0].DType {
					return Type{}, &InferError{name, fmt.Sprintf("needs two i32 or two i64 operands, {0} is %v, {1} is %v", in[0], in[1])}
				}
				return broadcastType(name, in[0].DType, in)
			},
			NoGrad: "an integer result",
			Kernel: intKernel(c.f32, c.f64),
			Flops:  perOut(1),
			Check:  intCases,
		})
	}
	Register(&Mod, &Op{
		Name: "mod", Arity: 2,
		Doc: "x % y, broadcasting: the remainder with the sign of y (NumPy's and Python's %, not C's fmod); " +
			"on floats NaN where y is 0, on integers 0 where y is 0. The gradient is 1 for x and -floor(x / y) for y",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if in[0].DType != in[1].DType || !(in[0].DType.IsFloat() || in[0].DType.IsInt()) {
				return Type{}, &InferError{"mod", fmt.Sprintf("needs operands of one number type, {0} is %v, {1} is %v", in[0], in[1])}
			}
			return broadcastType("mod", in[0].DType, in)
		},
		VJP: func(b *Builder, n *Node, g *Node) []*Node {
			x, y := n.In[0], n.In[1]
			if !n.Type.DType.IsFloat() {
				return []*Node{nil, nil}
			}
			q := b.Div(b.Sub(x, n), y) // floor(x / y), exactly where it is differentiable
			return []*Node{b.SumTo(g, x.Type.Shape), b.SumTo(neg(b, b.Mul(g, q)), y.Type.Shape)}
		},
		JVP: func(b *Builder, n *Node, t []*Node) *Node {
			if !n.Type.DType.IsFloat() {
				return nil
			}
			x, y := n.In[0], n.In[1]
			var ty *Node
			if t[1] != nil {
				ty = neg(b, b.Mul(t[1], b.Div(b.Sub(x, n), y)))
			}
			return sumTangents(b, n.Type, t[0], ty)
		},
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			if n.Type.DType.IsInt() {
				return intKernel(kernels.FloorMod[int32], kernels.FloorMod[int64])(n, in, out)
			}
			return binaryKernel(kernels.ModRow[float32], kernels.ModRow[float64])(n, in, out)
		},
		Flops: perOut(1),
		Check: withDomain(bcastCases, AnyReal, Positive),
	})
}

// broadcastType is dt with the broadcast shape of the two operands.
func broadcastType(name string, dt DType, in []Type) (Type, error) {
	s, err := BroadcastShapes(in[0].Shape, in[1].Shape)
	if err != nil {
		return Type{}, &InferError{name, fmt.Sprintf("shapes do not broadcast: {0} is %v, {1} is %v (%v)", in[0], in[1], err)}
	}
	return Type{dt, s}, nil
}

func intKernel(f32 func(a, b int32) int32, f64 func(a, b int64) int64) func(*Node, [][]int, []int) (KernelFunc, error) {
	return func(n *Node, in [][]int, out []int) (KernelFunc, error) {
		p := kernels.NewBcast(out, in[0], in[1])
		idx, off := p.Scratch(), make([]int, 2)
		switch n.Type.DType {
		case I32:
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.IntBinary(p, o.I32, in[0].I32, in[1].I32, idx, off, f32)
			}, nil
		case I64:
			return func(_ *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
				kernels.IntBinary(p, o.I64, in[0].I64, in[1].I64, idx, off, f64)
			}, nil
		}
		return nil, fmt.Errorf("%s: no kernel for %v", n.Op.Name, n.Type)
	}
}
