package ops

// The built-in signatures of the ops, in one table until they move into
// each op's Register call (then this file goes away). setBuiltinTable runs
// once, from Builtins, after every registration.

// unaryBuiltin is the signature of an elementwise built-in without
// options: f(x).
func unaryBuiltin() *Builtin { return &Builtin{Operands: []Operand{{Name: "x"}}} }

// weakBuiltin is maximum(x, y), minimum(x, y) and pow(x, y): tensors or
// compile-time numbers, at least one a tensor.
func weakBuiltin() *Builtin {
	return &Builtin{Operands: []Operand{{Name: "x", Kind: WeakOperand}, {Name: "y", Kind: WeakOperand}}}
}

// reduceBuiltin is f(x, axis = all, keepdims = false) plus extra
// attributes; axis takes an int or a list of ints (the op's "axes").
func reduceBuiltin(axes any, extra ...BuiltinAttr) *Builtin {
	attrs := []BuiltinAttr{
		{Name: "axis", Key: "axes", Kind: IntsAttr, Default: axes},
		{Name: "keepdims", Kind: BoolAttr, Default: false, OmitDefault: true},
	}
	return &Builtin{Operands: []Operand{{Name: "x"}}, Attrs: append(attrs, extra...)}
}

// argReduceBuiltin is argmax and argmin: f(x, axis, keepdims = false),
// axis one int.
func argReduceBuiltin() *Builtin {
	return &Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{
		{Name: "axis", Kind: IntAttr},
		{Name: "keepdims", Kind: BoolAttr, Default: false, OmitDefault: true},
	}}
}

// floatsBuiltin is an elementwise built-in with float options given
// only when written: leaky_relu(x, slope), elu(x, alpha), clip(x, lo, hi).
func floatsBuiltin(names ...string) *Builtin {
	b := &Builtin{Operands: []Operand{{Name: "x"}}}
	for _, n := range names {
		b.Attrs = append(b.Attrs, BuiltinAttr{Name: n, Kind: FloatAttr})
	}
	return b
}

// lossBuiltin is f(x, target, ...): a number or a list target takes x's
// element type.
func lossBuiltin(attrs ...BuiltinAttr) *Builtin {
	return &Builtin{Operands: []Operand{{Name: "x"}, {Name: "target", Kind: LiteralOperand, Like: []int{0}}}, Attrs: attrs}
}

// axisBuiltin is softmax(x, axis = -1) and log_softmax.
func axisBuiltin() *Builtin {
	return &Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{{Name: "axis", Kind: IntAttr, Default: -1}}}
}

// joinBuiltin is concat(xs..., axis = 0) and stack(xs..., axis = 0).
func joinBuiltin() *Builtin {
	return &Builtin{Operands: []Operand{{Name: "xs", Kind: VariadicOperand}}, Attrs: []BuiltinAttr{
		{Name: "axis", Kind: IntAttr, Default: 0, KeywordOnly: true},
	}}
}

// takeBuiltin is take(x, ids, axis) and gather(x, ids, axis = -1): ids a
// tensor, or a literal of i32.
func takeBuiltin(axis any) *Builtin {
	return &Builtin{Operands: []Operand{{Name: "x"}, {Name: "ids", Kind: LiteralOperand, Literal: I32}}, Attrs: []BuiltinAttr{
		{Name: "axis", Kind: IntAttr, Default: axis},
	}}
}

// convBuiltin is conv1d and conv2d(x, K, stride = 1, pad = 0, dilation =
// 1, groups = 1); the op's defaults apply to what is not written.
func convBuiltin() *Builtin {
	return &Builtin{Operands: []Operand{{Name: "x"}, {Name: "K"}}, Attrs: []BuiltinAttr{
		{Name: "stride", Kind: IntOrIntsAttr},
		{Name: "pad", Kind: IntOrIntsAttr},
		{Name: "dilation", Kind: IntOrIntsAttr},
		{Name: "groups", Kind: IntAttr},
	}}
}

// poolBuiltin is max_pool2d and avg_pool2d(x, k, stride = k, pad = 0).
func poolBuiltin(extra ...BuiltinAttr) *Builtin {
	attrs := []BuiltinAttr{
		{Name: "k", Kind: IntOrIntsAttr, Required: true},
		{Name: "stride", Kind: IntOrIntsAttr},
		{Name: "pad", Kind: IntOrIntsAttr},
	}
	return &Builtin{Operands: []Operand{{Name: "x"}}, Attrs: append(attrs, extra...)}
}

// randomBuiltin is normal(shape, mean = 0, std = 1, dtype = f32) and
// uniform(shape, low = 0, high = 1, dtype = f32), seeded per call site.
func randomBuiltin(a, b string) *Builtin {
	return &Builtin{Seeded: true, Attrs: []BuiltinAttr{
		{Name: "shape", Kind: ShapeAttr, Required: true, PositionalOnly: true},
		{Name: a, Kind: FloatAttr, Default: 0.0},
		{Name: b, Kind: FloatAttr, Default: 1.0},
		{Name: "dtype", Kind: DTypeAttr, Default: F32, KeywordOnly: true},
	}}
}

// setBuiltinTable gives each built-in op its signature.
func setBuiltinTable() {
	table := map[*Op]*Builtin{
		Maximum: weakBuiltin(), Minimum: weakBuiltin(), Pow: weakBuiltin(),

		Sum: reduceBuiltin(nil), Mean: reduceBuiltin(nil), Max: reduceBuiltin(nil), Min: reduceBuiltin(nil),
		Prod: reduceBuiltin(nil), Norm: reduceBuiltin(nil), Logsumexp: reduceBuiltin([]int{-1}),
		Var: reduceBuiltin(nil, ddof()), Std: reduceBuiltin(nil, ddof()),
		Argmax: argReduceBuiltin(), Argmin: argReduceBuiltin(),

		LeakyRelu: floatsBuiltin("slope"), Elu: floatsBuiltin("alpha"), Clip: floatsBuiltin("lo", "hi"),
		Gelu: {Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{
			{Name: "approximate", Kind: EnumAttr, Values: []string{"tanh", "none"}, Default: "none", OmitDefault: true},
		}},
		Where: {Operands: []Operand{
			{Name: "cond"},
			{Name: "x", Kind: LiteralOperand, Like: []int{1, 2}},
			{Name: "y", Kind: LiteralOperand, Like: []int{1, 2}},
		}},
		Cast: {Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{
			{Name: "dtype", Kind: DTypeAttr, Missing: "missing the element type (cast(x, f64))"},
		}, Identity: func(in []Type, a Attrs) bool { return a.DType("dtype", 0) == in[0].DType }},
		OneHot: {Operands: []Operand{{Name: "labels"}}, Attrs: []BuiltinAttr{
			{Name: "n", Kind: IntAttr, Required: true, PositionalOnly: true, Invalid: "the number of classes must be a constant int, got %s"},
			{Name: "dtype", Kind: DTypeAttr, Default: F32},
		}},

		Softmax: axisBuiltin(), LogSoftmax: axisBuiltin(),
		Squeeze: {Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{{Name: "axis", Key: "axes", Kind: IntsAttr}}},
		Unsqueeze: {Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{
			{Name: "axis", Key: "axes", Kind: IntsAttr, Missing: "missing axis (unsqueeze(x, axis = 0))"},
		}},
		BroadcastTo: {Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{
			{Name: "shape", Kind: ShapeAttr, Required: true, PositionalOnly: true},
		}},
		Concat: joinBuiltin(), Stack: joinBuiltin(),
		Take: takeBuiltin(nil), Gather: takeBuiltin(-1),

		Eye: {Attrs: []BuiltinAttr{
			{Name: "n", Kind: SizeAttr, Required: true, PositionalOnly: true},
			{Name: "m", Kind: SizeAttr},
			{Name: "dtype", Kind: DTypeAttr, Default: F32, KeywordOnly: true},
		}},
		Normal: randomBuiltin("mean", "std"), Uniform: randomBuiltin("low", "high"),

		Conv1D: convBuiltin(), Conv2D: convBuiltin(),
		MaxPool2D: poolBuiltin(),
		AvgPool2D: poolBuiltin(BuiltinAttr{Name: "count_include_pad", Kind: BoolAttr, Default: true, OmitDefault: true, KeywordOnly: true}),
		LayerNorm: {Operands: []Operand{
			{Name: "x"},
			{Name: "gamma", Kind: LiteralOperand, Like: []int{0}},
			{Name: "beta", Kind: LiteralOperand, Like: []int{0}},
		}, Attrs: []BuiltinAttr{{Name: "eps", Kind: FloatAttr, Default: 1e-5}}},
		Embedding: {Operands: []Operand{{Name: "ids"}, {Name: "table"}}},

		CrossEntropy: {Operands: []Operand{
			{Name: "logits"}, {Name: "labels"},
			{Name: "weights", Optional: true, Like: []int{0}},
		}, Attrs: []BuiltinAttr{{Name: "label_smoothing", Kind: FloatAttr, Default: 0.0, OmitDefault: true}}},
		MSE: lossBuiltin(), BinaryCrossEntropy: lossBuiltin(), BinaryCrossEntropyWithLogits: lossBuiltin(),
		Huber: lossBuiltin(BuiltinAttr{Name: "delta", Kind: FloatAttr, Default: 1.0}),
	}
	for _, op := range []*Op{
		Exp, Log, Tanh, Sigmoid, Relu, Sqrt, Abs, Square, Log1p, Neg, StopGradient,
		Sin, Cos, Rsqrt, Silu, Softplus, Sign, Erf,
	} {
		table[op] = unaryBuiltin()
	}
	for op, b := range table {
		if op.Builtin != nil {
			panic("ops: two built-in signatures for " + op.Name)
		}
		op.Builtin = b
	}
}

// ddof is var's and std's ddof = 0 (keyword only).
func ddof() BuiltinAttr {
	return BuiltinAttr{Name: "ddof", Kind: IntAttr, Default: 0, OmitDefault: true, KeywordOnly: true}
}
