package lang

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/nnclang/nnc/ops"
)

// Built-in functions. Most come from the op registry: every op with a
// built-in signature (ops.Builtin) is the built-in of its name, and one
// generic lowering matches a call's arguments to the signature, checks and
// converts them, and applies the op. The others are written by hand
// (specials): they lower to several ops or none (grad, l1, split, scan),
// or their arguments mean more than the op's attributes (reshape's -1,
// pad's single int, arange's optional start, dropout's training mode).

// specials are the built-ins written by hand, by name. The table is set in
// init because its functions lead back, through the interpreter, to it.
var specials map[string]func(*builtinCall) value

func init() {
	specials = map[string]func(*builtinCall) value{
		// Shapes and creation (builtin_shape.go).
		"reshape": (*builtinCall).reshape, "transpose": (*builtinCall).transpose,
		"split": (*builtinCall).split, "pad": (*builtinCall).pad, "flatten": (*builtinCall).flatten,
		"zeros": (*builtinCall).creator, "ones": (*builtinCall).creator, "full": (*builtinCall).creator,
		"arange": (*builtinCall).arange,
		// Networks and regularizers (builtin_nn.go).
		"batch_norm": (*builtinCall).batchNorm, "attention": (*builtinCall).attention,
		"dropout": (*builtinCall).dropout, "l1": (*builtinCall).norm, "l2": (*builtinCall).norm,
		// Derivatives (builtin_diff.go) and scan (scan.go).
		"grad": (*builtinCall).grad, "jvp": (*builtinCall).products, "vjp": (*builtinCall).products,
		"hvp": (*builtinCall).products, "scan": (*builtinCall).scan,
		// Sparse matrices (sparse.go).
		"spmm": (*builtinCall).spmmBuiltin,
	}
}

// registryBuiltins are the ops with a built-in signature, by name.
var registryBuiltins = sync.OnceValue(func() map[string]*ops.Op {
	m := map[string]*ops.Op{}
	for _, op := range ops.Builtins() {
		m[op.Name] = op
	}
	return m
})

// isBuiltin reports whether name is a built-in function.
func isBuiltin(name string) bool {
	return specials[name] != nil || registryBuiltins()[name] != nil
}

// builtinNames lists every built-in function, sorted.
var builtinNames = sync.OnceValue(func() []string {
	var out []string
	for n := range specials {
		out = append(out, n)
	}
	for n := range registryBuiltins() {
		if specials[n] == nil {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
})

// builtin evaluates a call of a built-in function.
func (i *interp) builtin(f *frame, e *callExpr, name string, args []value, kw map[string]value) value {
	if isBad(args...) {
		return bad
	}
	for _, v := range kw {
		if isBad(v) {
			return bad
		}
	}
	c := &builtinCall{i: i, f: f, e: e, name: name, args: args, kw: kw}
	i.pos = e.Pos
	if name != "spmm" {
		kws := make([]value, 0, len(kw))
		for _, v := range kw {
			kws = append(kws, v)
		}
		if s, ok := firstSparse(append(kws, args...)...); ok {
			return i.sparseMisuse(e.Pos, name+"(...)", s)
		}
	}
	if fn := specials[name]; fn != nil {
		return fn(c)
	}
	return c.generic(registryBuiltins()[name])
}

// generic lowers a call of op's built-in from its signature: the count and
// keywords first, then every operand and attribute, each error reported.
func (c *builtinCall) generic(op *ops.Op) value {
	sig := op.Builtin
	if !c.check(c.least(sig), sig.Positional(), sig.Keywords()...) {
		return bad
	}
	in, labels, ok := c.operands(sig)
	attrs, ok2 := c.attributes(sig)
	if !ok || !ok2 {
		return bad
	}
	if sig.Identity != nil {
		types := make([]ops.Type, len(in))
		for k, n := range in {
			types[k] = n.Type
		}
		if sig.Identity(types, attrs) {
			return tensorV{in[0]}
		}
	}
	if sig.Seeded {
		attrs["seed"] = c.i.b.NextSeed()
	}
	return c.i.apply(c.e.Pos, op, attrs, labels, in...)
}

// least is the least number of positional arguments: the operands that are
// not optional and the required attributes not given by keyword.
func (c *builtinCall) least(sig *ops.Builtin) int {
	n := 0
	for _, o := range sig.Operands {
		if !o.Optional {
			n++
		}
	}
	for _, a := range sig.Attrs {
		if _, byKeyword := c.kw[a.Name]; a.Required && (a.PositionalOnly || !byKeyword) {
			n++
		}
	}
	return n
}

// operands reads the call's operands as the signature says, with their
// labels for messages.
func (c *builtinCall) operands(sig *ops.Builtin) ([]*ops.Node, []string, bool) {
	if len(sig.Operands) == 1 && sig.Operands[0].Kind == ops.VariadicOperand {
		return c.tensorList()
	}
	in := make([]*ops.Node, len(sig.Operands))
	var labels []string
	ok := c.weakOperands(sig, in)
	for k, o := range sig.Operands {
		var n *ops.Node
		good := true
		switch {
		case o.Optional:
			v, p := c.opt(o.Name, k)
			if v == nil {
				continue
			}
			n, good = c.namedTensor(o.Name, v, p, c.literalType(o, k, in))
			labels = append(labels, o.Name)
		case o.Kind == ops.WeakOperand:
			n, good = in[k], in[k] != nil
			labels = append(labels, c.label(k))
		case o.Kind == ops.LiteralOperand:
			n, good = c.tensorAs(k, c.literalType(o, k, in))
			labels = append(labels, c.label(k))
		default:
			n, good = c.tensor(k)
			labels = append(labels, c.label(k))
		}
		in[k], ok = n, ok && good
	}
	if !ok {
		return nil, nil, false
	}
	return slicesCompact(in), labels, true
}

// slicesCompact drops the optional operands left out (nil).
func slicesCompact(in []*ops.Node) []*ops.Node {
	out := in[:0]
	for _, n := range in {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// weakOperands reads the weak operands into in: at least one must be a
// tensor, whose element type the compile-time numbers take.
func (c *builtinCall) weakOperands(sig *ops.Builtin, in []*ops.Node) bool {
	var weak []int
	dt, found := ops.DType(0), false
	for k, o := range sig.Operands {
		if o.Kind != ops.WeakOperand {
			continue
		}
		weak = append(weak, k)
		if t, isT := c.args[k].(tensorV); isT {
			in[k] = t.n
			if !found {
				dt, found = t.n.Type.DType, true
			}
		}
	}
	if len(weak) == 0 {
		return true
	}
	if !found {
		c.errorf(c.e.Pos, CodeArgType, "%s needs a tensor operand", c.name)
		return false
	}
	ok := true
	for _, k := range weak {
		if in[k] == nil {
			n, good := c.i.weakScalar(c.e.Args[k], c.args[k], dt)
			in[k], ok = n, ok && good
		}
	}
	return ok
}

// literalType is the element type a literal given for operand k takes:
// that of the first operand of o.Like holding a tensor (one read before k
// as read, the others as given), else o.Literal, else f32.
func (c *builtinCall) literalType(o ops.Operand, k int, in []*ops.Node) ops.DType {
	for _, j := range o.Like {
		if j < k {
			if in[j] != nil {
				return in[j].Type.DType
			}
			continue
		}
		if j < len(c.args) {
			if t, isT := c.args[j].(tensorV); isT {
				return t.n.Type.DType
			}
		}
	}
	if o.Literal != 0 {
		return o.Literal
	}
	return ops.F32
}

// attributes reads the call's attributes as the signature says.
func (c *builtinCall) attributes(sig *ops.Builtin) (ops.Attrs, bool) {
	attrs := ops.Attrs{}
	ok := true
	next := len(sig.Operands) // the position of the next positional attribute
	for _, a := range sig.Attrs {
		k, key := -1, a.Name
		if !a.KeywordOnly {
			k, next = next, next+1
		}
		if a.PositionalOnly {
			key = ""
		}
		v, p := c.opt(key, k)
		if v == nil {
			if a.Missing != "" {
				c.errorf(c.e.Pos, CodeArgs, "%s: %s", c.name, a.Missing)
				ok = false
			} else if a.Default != nil && !a.OmitDefault {
				attrs[a.AttrKey()] = a.Default
			}
			continue
		}
		x, good := c.attrValue(&a, v, p)
		switch {
		case !good:
			ok = false
		case a.OmitDefault && reflect.DeepEqual(x, a.Default):
		default:
			attrs[a.AttrKey()] = x
		}
	}
	return attrs, ok
}

// attrValue converts v, written at p, to attribute a's stored type.
func (c *builtinCall) attrValue(a *ops.BuiltinAttr, v value, p ops.Pos) (any, bool) {
	var x any
	ok := false
	code, want := CodeNotConst, "a compile-time int"
	switch a.Kind {
	case ops.IntAttr:
		if n, isInt := constInt(v); isInt {
			x, ok = int(n), true
		}
	case ops.SizeAttr:
		x, ok = sizeAttr(v)
	case ops.FloatAttr:
		want = "a compile-time number"
		x, ok = number(v)
	case ops.BoolAttr:
		code, want = CodeArgType, "a compile-time bool"
		if b, isB := v.(boolV); isB {
			x, ok = bool(b), true
		}
	case ops.DTypeAttr:
		code, want = CodeArgType, "an element type (f32, f64, i32, i64, bool)"
		if d, isD := v.(dtypeV); isD {
			x, ok = ops.DType(d), true
		}
	case ops.EnumAttr:
		code, want = CodeValue, quoteAll(a.Values)
		if s, isS := v.(stringV); isS && contains(a.Values, string(s)) {
			x, ok = string(s), true
		}
	case ops.IntOrIntsAttr:
		if n, isInt := constInt(v); isInt {
			return int(n), true
		}
		if s, isS := v.(stringV); isS && len(a.Values) > 0 {
			if !contains(a.Values, string(s)) {
				c.errorf(p, CodeValue, "%s: %s must be an int, a list of ints or %s, got %q", c.name, a.Name, quoteAll(a.Values), string(s))
				return nil, false
			}
			return string(s), true
		}
		return c.intList(v, p, a.Name)
	case ops.IntsAttr:
		return c.intList(v, p, a.Name)
	case ops.ShapeAttr:
		return c.dims(v, p)
	}
	if !ok {
		if a.Invalid != "" {
			c.errorf(p, code, "%s: "+a.Invalid, c.name, kindOf(v))
		} else {
			c.errorf(p, code, "%s: %s must be %s, got %s", c.name, a.Name, want, kindOf(v))
		}
	}
	return x, ok
}

// quoteAll is `"a" or "b"`: the strings an enum attribute accepts.
func quoteAll(values []string) string {
	q := make([]string, len(values))
	for k, v := range values {
		q[k] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " or ")
}

func contains(values []string, s string) bool {
	for _, v := range values {
		if v == s {
			return true
		}
	}
	return false
}
