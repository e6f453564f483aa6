package ops

import (
	"fmt"
	"reflect"
)

// Builtin is the signature of the .nn built-in function that lowers to an
// op of the same name: its operands, and the attributes a call may give,
// with their kinds, defaults and whether they are required. The front end
// (lang) derives the built-in from it: it matches a call's arguments to
// the operands and attributes (positionally, in order, or by keyword),
// checks them, converts each attribute from its compile-time value and
// applies the op. An op without a Builtin is not a built-in function.
//
// Positional parameters are the operands, then the attributes that are not
// KeywordOnly, in their order here. A keyword names an optional operand or
// an attribute that is not PositionalOnly.
type Builtin struct {
	// Operands are the op's tensor operands, in order.
	Operands []Operand

	// Attrs are the attributes a call may give, in order.
	Attrs []BuiltinAttr

	// Seeded gives each call its own "seed" attribute (Builder.NextSeed),
	// so that each call site of a random op draws its own numbers.
	Seeded bool

	// Identity, when set, says whether the call is its first operand
	// unchanged (no node) for these operand types and attributes: a cast
	// to the operand's own element type.
	Identity func(in []Type, a Attrs) bool
}

// OperandKind says what values an operand of a built-in accepts.
type OperandKind uint8

// The kinds of operands.
const (
	// TensorOperand is a tensor; a list literal becomes an f32 tensor.
	TensorOperand OperandKind = iota
	// LiteralOperand is a tensor, or a compile-time number or list literal
	// that becomes a constant of the element type of the first tensor
	// among the operands Like names (of Literal when none is a tensor).
	LiteralOperand
	// WeakOperand is a tensor or a compile-time number (a weak scalar),
	// which takes the element type of the call's first tensor operand. At
	// least one of a call's weak operands must be a tensor.
	WeakOperand
	// VariadicOperand is one or more tensors, given one by one or as one
	// list or tuple of tensors. It is the last operand and the only one.
	VariadicOperand
)

// Operand is one operand of a built-in.
type Operand struct {
	Name string // for keywords (Optional) and messages
	Kind OperandKind

	// Like lists the operands whose element type a literal takes: the
	// first of them that holds a tensor (an operand before this one as
	// converted, the others as given). LiteralOperand and Optional only.
	Like []int

	// Literal is the element type of a literal when no operand of Like
	// holds a tensor; the zero DType means F32.
	Literal DType

	// Optional operands may be left out (given positionally or by
	// keyword Name): a list literal becomes a tensor of Like's element
	// type; in messages the operand is called by its name. Optional
	// operands come after the others.
	Optional bool
}

// AttrKind says what compile-time values a built-in's attribute accepts
// and how it is stored in Attrs.
type AttrKind uint8

// The kinds of attributes.
const (
	IntAttr       AttrKind = iota // a compile-time int, stored as int
	FloatAttr                     // a compile-time number, stored as float64
	BoolAttr                      // a compile-time bool, stored as bool
	DTypeAttr                     // an element type (f32, f64, i32, i64, bool), stored as DType
	IntsAttr                      // an int or a list of ints, stored as []int
	IntOrIntsAttr                 // an int, stored as int, or a list of ints, stored as []int, or one of the strings Values (if any), stored as string
	ShapeAttr                     // a list of ints (dimensions, possibly symbolic), stored as Shape
	SizeAttr                      // an int (a dimension): int when constant, a one-dimension Shape when symbolic
	EnumAttr                      // one of the strings Values, stored as string
)

// BuiltinAttr is one attribute a call of a built-in may give.
type BuiltinAttr struct {
	Name string // the keyword, and the name in messages
	Key  string // the op's attribute key; "" means Name
	Kind AttrKind

	// Default is the value (of the stored type) when the call does not
	// give one; nil leaves the attribute out.
	Default any
	// OmitDefault leaves the attribute out when its value is Default.
	OmitDefault bool

	// Required attributes must be given: each counts toward the least
	// number of positional arguments unless the call gives it by keyword.
	Required bool
	// Missing, when set, is the message (after "name: ") for a call that
	// does not give the attribute; such an attribute is required but does
	// not count toward the least number of positional arguments.
	Missing string

	KeywordOnly    bool // given only by keyword
	PositionalOnly bool // given only positionally

	// Values are the strings an EnumAttr accepts (and an IntOrIntsAttr
	// besides its ints, such as a padding's "same" and "valid").
	Values []string

	// Invalid, when set, is the message (after "name: ") for a value of the
	// wrong kind, with %s for the value's kind; "" means the kind's own.
	Invalid string
}

// AttrKey is the key the attribute has in the op's Attrs.
func (a *BuiltinAttr) AttrKey() string {
	if a.Key != "" {
		return a.Key
	}
	return a.Name
}

// Positional counts the positional parameters of the built-in: its
// operands and the attributes that are not KeywordOnly. It is -1 when a
// variadic operand takes any number of arguments.
func (b *Builtin) Positional() int {
	n := 0
	for _, o := range b.Operands {
		if o.Kind == VariadicOperand {
			return -1
		}
		n++
	}
	for _, a := range b.Attrs {
		if !a.KeywordOnly {
			n++
		}
	}
	return n
}

// Keywords lists the keywords a call may use, in order: the optional
// operands' names and the attributes that are not PositionalOnly.
func (b *Builtin) Keywords() []string {
	var out []string
	for _, o := range b.Operands {
		if o.Optional {
			out = append(out, o.Name)
		}
	}
	for _, a := range b.Attrs {
		if !a.PositionalOnly {
			out = append(out, a.Name)
		}
	}
	return out
}

// Builtins returns the ops that are built-in functions of .nn (those with
// a Builtin signature), sorted by name.
func Builtins() []*Op {
	var out []*Op
	for _, op := range All() {
		if op.Builtin != nil {
			out = append(out, op)
		}
	}
	return out
}

// validate reports a signature that contradicts itself or its op: a
// registration bug, caught by the registry-wide test.
func (b *Builtin) validate(op *Op) error {
	variadic, optional, fixed := false, false, 0
	for k, o := range b.Operands {
		switch {
		case o.Kind == VariadicOperand:
			if len(b.Operands) != 1 {
				return fmt.Errorf("%s: a variadic operand must be the only one", op.Name)
			}
			variadic = true
		case o.Optional:
			optional = true
		case optional:
			return fmt.Errorf("%s: operand %s follows an optional one", op.Name, o.Name)
		default:
			fixed++
		}
		if o.Name == "" {
			return fmt.Errorf("%s: operand %d has no name", op.Name, k)
		}
		for _, j := range o.Like {
			if j < 0 || j >= len(b.Operands) {
				return fmt.Errorf("%s: operand %s is like operand %d, which does not exist", op.Name, o.Name, j)
			}
		}
		if len(o.Like) > 0 && o.Kind != LiteralOperand && !o.Optional {
			return fmt.Errorf("%s: operand %s has Like but takes no literal", op.Name, o.Name)
		}
	}
	switch {
	case variadic || optional:
		if op.Arity != -1 {
			return fmt.Errorf("%s: an op with optional or variadic operands has arity -1, not %d", op.Name, op.Arity)
		}
	case op.Arity != fixed:
		return fmt.Errorf("%s: %d operands for an op of arity %d", op.Name, fixed, op.Arity)
	}
	seen := map[string]bool{}
	for _, o := range b.Operands {
		seen[o.Name] = true
	}
	for _, a := range b.Attrs {
		if err := a.validate(op, seen); err != nil {
			return err
		}
	}
	return nil
}

// storedType is the Go type each kind stores (for Default).
var storedType = map[AttrKind]reflect.Type{
	IntAttr: reflect.TypeFor[int](), FloatAttr: reflect.TypeFor[float64](),
	BoolAttr: reflect.TypeFor[bool](), DTypeAttr: reflect.TypeFor[DType](),
	IntsAttr: reflect.TypeFor[[]int](), ShapeAttr: reflect.TypeFor[Shape](),
	EnumAttr: reflect.TypeFor[string](),
}

func (a *BuiltinAttr) validate(op *Op, seen map[string]bool) error {
	switch {
	case a.Name == "":
		return fmt.Errorf("%s: an attribute has no name", op.Name)
	case seen[a.Name]:
		return fmt.Errorf("%s: %s is declared twice", op.Name, a.Name)
	case a.KeywordOnly && a.PositionalOnly:
		return fmt.Errorf("%s: %s is both keyword-only and positional-only", op.Name, a.Name)
	case a.Required && a.Missing != "":
		return fmt.Errorf("%s: %s has both Required and Missing", op.Name, a.Name)
	case (a.Required || a.Missing != "") && a.Default != nil:
		return fmt.Errorf("%s: the required %s has a default", op.Name, a.Name)
	case a.OmitDefault && a.Default == nil:
		return fmt.Errorf("%s: %s omits a default it does not have", op.Name, a.Name)
	case a.Kind == EnumAttr && len(a.Values) == 0,
		a.Kind != EnumAttr && a.Kind != IntOrIntsAttr && len(a.Values) > 0:
		return fmt.Errorf("%s: %s: only an enum has Values (an int-or-ints attribute may too), and an enum needs them", op.Name, a.Name)
	}
	seen[a.Name] = true
	if a.Default == nil {
		return nil
	}
	if t, ok := storedType[a.Kind]; ok && reflect.TypeOf(a.Default) != t {
		return fmt.Errorf("%s: the default of %s is a %T, not a %v", op.Name, a.Name, a.Default, t)
	}
	if a.Kind == IntOrIntsAttr || a.Kind == SizeAttr {
		if _, ok := a.Default.(int); !ok {
			return fmt.Errorf("%s: the default of %s is a %T, not an int", op.Name, a.Name, a.Default)
		}
	}
	return nil
}

// Signatures shared by several ops (each op gives its own in its Register
// call).

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
		{Name: "pad", Kind: IntOrIntsAttr, Values: padModes},
		{Name: "dilation", Kind: IntOrIntsAttr},
		{Name: "groups", Kind: IntAttr},
	}}
}

// poolBuiltin is max_pool2d and avg_pool2d(x, k, stride = k, pad = 0).
func poolBuiltin(extra ...BuiltinAttr) *Builtin {
	attrs := []BuiltinAttr{
		{Name: "k", Kind: IntOrIntsAttr, Required: true},
		{Name: "stride", Kind: IntOrIntsAttr},
		{Name: "pad", Kind: IntOrIntsAttr, Values: padModes},
		{Name: "ceil_mode", Kind: BoolAttr, Default: false, OmitDefault: true, KeywordOnly: true},
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

// geluBuiltin is gelu(x, approximate = "none" or "tanh").
func geluBuiltin() *Builtin {
	return &Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{
		{Name: "approximate", Kind: EnumAttr, Values: []string{"tanh", "none"}, Default: "none", OmitDefault: true},
	}}
}

// ddofAttr is var's and std's ddof = 0 (keyword only).
func ddofAttr() BuiltinAttr {
	return BuiltinAttr{Name: "ddof", Kind: IntAttr, Default: 0, OmitDefault: true, KeywordOnly: true}
}
