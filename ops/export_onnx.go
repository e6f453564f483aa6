package ops

import (
	"math"
)

// The ONNX forms of the ops (opset 17), read by interop/onnx's exporter.
// Ops that only training builds (gradients, dropout masks, fused
// optimizer updates) and fused kernels have none: export the unoptimized
// inference graph.

func declareElementwiseExports() {
	for h, t := range map[**Op]string{
		&Neg: "Neg", &Exp: "Exp", &Log: "Log", &Tanh: "Tanh", &Sigmoid: "Sigmoid", &Relu: "Relu",
		&Sqrt: "Sqrt", &Abs: "Abs", &Sin: "Sin", &Cos: "Cos", &Erf: "Erf", &Softplus: "Softplus",
		&Sign: "Sign", &LogicalNot: "Not", &StopGradient: "Identity",
	} {
		setExport(*h, unary(t))
	}
	for h, t := range map[**Op]string{
		&Add: "Add", &Sub: "Sub", &Mul: "Mul", &Div: "Div", &Pow: "Pow", &Maximum: "Max", &Minimum: "Min",
		&Eq: "Equal", &Lt: "Less", &Le: "LessOrEqual", &Gt: "Greater", &Ge: "GreaterOrEqual",
		&LogicalAnd: "And", &LogicalOr: "Or",
	} {
		setExport(*h, binaryExport(t))
	}
	setExport(Ne, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("Not", []string{e.Node("Equal", in, nil)}, nil), nil
	})
	// greater, less and equal give 1 or 0 in the operands' dtype.
	for h, t := range map[**Op]string{&Greater: "Greater", &Less: "Less", &Equal: "Equal"} {
		setExport(*h, func(e Exporter, n *Node, in []string) (string, error) {
			to, err := e.DType(n.Type.DType)
			if err != nil {
				return "", exportErr(n, "%v", err)
			}
			return e.Node("Cast", []string{e.Node(t, in, nil)}, map[string]any{"to": to}), nil
		})
	}
	setExport(Rsqrt, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("Reciprocal", []string{e.Node("Sqrt", in, nil)}, nil), nil
	})
	setExport(Square, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("Mul", []string{in[0], in[0]}, nil), nil
	})
	setExport(Log1p, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("Log", []string{e.Node("Add", []string{in[0], e.Scalar(1, n.Type.DType)}, nil)}, nil), nil
	})
	setExport(Silu, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("Mul", []string{in[0], e.Node("Sigmoid", in, nil)}, nil), nil
	})
	setExport(Mish, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("Mul", []string{in[0], e.Node("Tanh", []string{e.Node("Softplus", in, nil)}, nil)}, nil), nil
	})
	setExport(LeakyRelu, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("LeakyRelu", in, map[string]any{"alpha": float32(n.Attrs.Float("slope", DefaultLeakySlope))}), nil
	})
	setExport(Elu, func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node("Elu", in, map[string]any{"alpha": float32(n.Attrs.Float("alpha", DefaultEluAlpha))}), nil
	})
	setExport(Gelu, geluExport)
	setExport(GeluGrad, geluGradExport)
	setExport(GeluTanhGrad, geluTanhGradExport)
	setExport(Clip, func(e Exporter, n *Node, in []string) (string, error) {
		dt := n.Type.DType
		lo, hi := n.Attrs.Float("lo", math.Inf(-1)), n.Attrs.Float("hi", math.Inf(1))
		return e.Node("Clip", []string{in[0], e.Scalar(lo, dt), e.Scalar(hi, dt)}, nil), nil
	})
	setExport(Cast, func(e Exporter, n *Node, in []string) (string, error) {
		to, err := e.DType(n.Type.DType)
		if err != nil {
			return "", exportErr(n, "%v", err)
		}
		return e.Node("Cast", in, map[string]any{"to": to}), nil
	})
	setExport(Where, func(e Exporter, n *Node, in []string) (string, error) {
		c := in[0]
		if n.In[0].Type.DType != Bool {
			c = e.Node("Cast", []string{c}, map[string]any{"to": int64(9)})
		}
		return e.Node("Where", []string{c, in[1], in[2]}, nil), nil
	})
	setExport(Mod, func(e Exporter, n *Node, in []string) (string, error) {
		if n.Type.DType.IsFloat() {
			return "", exportErr(n, "the floored remainder of floats has no ONNX operator")
		}
		return e.Node("Mod", in, map[string]any{"fmod": int64(0)}), nil
	})
	for h, t := range map[**Op]string{&IntAdd: "Add", &IntSub: "Sub", &IntMul: "Mul"} {
		setExport(*h, binaryExport(t))
	}
}

// binaryExport is the export of a broadcasting binary op.
func binaryExport(opType string) ExportFunc {
	return func(e Exporter, n *Node, in []string) (string, error) {
		return e.Node(opType, in, nil), nil
	}
}

// geluGradExport writes gelu_grad, Φ(x) + x·φ(x), from Erf and Exp:
// 0.5·(1 + erf(x/√2)) + x·exp(-x²/2)/√(2π).
func geluGradExport(e Exporter, n *Node, in []string) (string, error) {
	dt := n.Type.DType
	x := in[0]
	erf := e.Node("Erf", []string{e.Node("Mul", []string{x, e.Scalar(1/math.Sqrt2, dt)}, nil)}, nil)
	cdf := e.Node("Mul", []string{e.Node("Add", []string{erf, e.Scalar(1, dt)}, nil), e.Scalar(0.5, dt)}, nil)
	x2 := e.Node("Mul", []string{x, x}, nil)
	pdf := e.Node("Mul", []string{e.Node("Exp", []string{e.Node("Mul", []string{x2, e.Scalar(-0.5, dt)}, nil)}, nil),
		e.Scalar(1/math.Sqrt(2*math.Pi), dt)}, nil)
	return e.Node("Add", []string{cdf, e.Node("Mul", []string{x, pdf}, nil)}, nil), nil
}

// geluTanhGradExport writes gelu_tanh_grad from Tanh: with t = tanh(c(x +
// k x³)), 0.5·(1 + t) + 0.5·x·(1 - t²)·c(1 + 3k x²).
func geluTanhGradExport(e Exporter, n *Node, in []string) (string, error) {
	dt := n.Type.DType
	x := in[0]
	c, k := math.Sqrt(2/math.Pi), 0.044715
	mul := func(a, b string) string { return e.Node("Mul", []string{a, b}, nil) }
	add := func(a, b string) string { return e.Node("Add", []string{a, b}, nil) }
	x2 := mul(x, x)
	t := e.Node("Tanh", []string{mul(add(x, mul(mul(x2, x), e.Scalar(k, dt))), e.Scalar(c, dt))}, nil)
	first := mul(add(t, e.Scalar(1, dt)), e.Scalar(0.5, dt))
	sech2 := e.Node("Sub", []string{e.Scalar(1, dt), mul(t, t)}, nil)
	du := mul(add(mul(x2, e.Scalar(3*k, dt)), e.Scalar(1, dt)), e.Scalar(0.5*c, dt))
	return add(first, mul(mul(x, sech2), du)), nil
}

// geluExport writes gelu from Erf or Tanh (ONNX's own Gelu is opset 20).
func geluExport(e Exporter, n *Node, in []string) (string, error) {
	dt := n.Type.DType
	x := in[0]
	half := e.Node("Mul", []string{x, e.Scalar(0.5, dt)}, nil)
	var inner string
	if n.Attrs.Str("approximate", "") == "tanh" {
		x3 := e.Node("Mul", []string{e.Node("Mul", []string{x, x}, nil), x}, nil)
		u := e.Node("Add", []string{x, e.Node("Mul", []string{x3, e.Scalar(0.044715, dt)}, nil)}, nil)
		inner = e.Node("Tanh", []string{e.Node("Mul", []string{u, e.Scalar(math.Sqrt(2/math.Pi), dt)}, nil)}, nil)
	} else {
		inner = e.Node("Erf", []string{e.Node("Mul", []string{x, e.Scalar(1/math.Sqrt2, dt)}, nil)}, nil)
	}
	return e.Node("Mul", []string{half, e.Node("Add", []string{inner, e.Scalar(1, dt)}, nil)}, nil), nil
}
