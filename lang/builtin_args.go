package lang

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// The arguments of a built-in call: matching them (count and keywords)
// and reading each as the tensor or compile-time value it must be. Every
// reader reports its own error and says whether it succeeded.

// builtinCall is one call of a built-in with its evaluated arguments.
type builtinCall struct {
	i    *interp
	f    *frame
	e    *callExpr
	name string
	args []value
	kw   map[string]value
}

func (c *builtinCall) errorf(p ops.Pos, code, format string, a ...any) value {
	c.i.errorf(p, code, format, a...)
	return bad
}

// label is the source text of positional argument k.
func (c *builtinCall) label(k int) string {
	if k < len(c.e.Args) {
		return exprLabel(c.e.Args[k])
	}
	return fmt.Sprintf("argument %d", k+1)
}

func (c *builtinCall) argPos(k int) ops.Pos {
	if k < len(c.e.Args) {
		return startPos(c.e.Args[k])
	}
	return c.e.Pos
}

// check validates the argument count and keyword names; maxArgs < 0
// means any number.
func (c *builtinCall) check(minArgs, maxArgs int, kws ...string) bool {
	if len(c.args) < minArgs || maxArgs >= 0 && len(c.args) > maxArgs {
		want := fmt.Sprintf("%d", minArgs)
		if maxArgs < 0 {
			want = fmt.Sprintf("at least %d", minArgs)
		} else if maxArgs != minArgs {
			want = fmt.Sprintf("%d to %d", minArgs, maxArgs)
		}
		c.errorf(c.e.Pos, CodeArgs, "%s takes %s arguments, got %d", c.name, want, len(c.args))
		return false
	}
	ok := true
	for _, kw := range c.e.Kwargs {
		found := false
		for _, k := range kws {
			found = found || k == kw.Name
		}
		if !found {
			msg := fmt.Sprintf("%s has no argument %s", c.name, kw.Name)
			if s := suggest(kw.Name, kws); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			c.errorf(kw.Pos, CodeArgs, "%s", msg)
			ok = false
		}
	}
	return ok
}

// opt returns keyword argument key, or positional argument k (k < 0: none),
// or nil, with where it is written.
func (c *builtinCall) opt(key string, k int) (value, ops.Pos) {
	if v, ok := c.kw[key]; ok {
		for _, kw := range c.e.Kwargs {
			if kw.Name == key {
				return v, kw.Pos
			}
		}
	}
	if k >= 0 && k < len(c.args) {
		return c.args[k], c.argPos(k)
	}
	return nil, c.e.Pos
}

// tensor returns positional argument k as a node; a list literal becomes an
// f32 tensor.
func (c *builtinCall) tensor(k int) (*ops.Node, bool) {
	if _, isList := c.args[k].(listV); isList && k < len(c.e.Args) {
		return c.i.literalTensor(c.e.Args[k], c.args[k], ops.F32, true)
	}
	t, ok := c.args[k].(tensorV)
	if !ok {
		c.errorf(c.argPos(k), CodeArgType, "%s: %s must be a tensor, got %s", c.name, c.label(k), kindOf(c.args[k]))
		return nil, false
	}
	return t.n, true
}

// tensorAs returns positional argument k as a node; a compile-time number
// or a tensor literal becomes a constant of element type dt.
func (c *builtinCall) tensorAs(k int, dt ops.DType) (*ops.Node, bool) {
	if t, ok := c.args[k].(tensorV); ok {
		return t.n, true
	}
	if k < len(c.e.Args) {
		if n, ok := c.i.literalTensor(c.e.Args[k], c.args[k], dt, false); ok {
			return n, true
		}
	}
	return c.tensor(k)
}

// namedTensor reads an optional tensor operand given as v at p (attention's
// mask, cross_entropy's weights): a list literal becomes a tensor of
// element type dt; the operand is called by its name.
func (c *builtinCall) namedTensor(name string, v value, p ops.Pos, dt ops.DType) (*ops.Node, bool) {
	v = c.i.asTensorLike(&ident{Pos: p, Name: name}, v, dt)
	if isBad(v) {
		return nil, false
	}
	t, isT := v.(tensorV)
	if !isT {
		c.errorf(p, CodeArgType, "%s: %s must be a tensor, got %s", c.name, name, kindOf(v))
		return nil, false
	}
	return t.n, true
}

// tensorList reads the operands of concat and stack: several tensors, or
// one list or tuple of them, with their labels.
func (c *builtinCall) tensorList() ([]*ops.Node, []string, bool) {
	var items []value
	var labels []string
	if len(c.args) == 1 {
		switch x := c.args[0].(type) {
		case listV:
			items = x
		case tupleV:
			items = x
		}
		whole := c.label(0)
		for k := range items {
			labels = append(labels, whole+"["+itoa(k)+"]")
		}
	}
	if items == nil {
		items = c.args
		for k := range c.args {
			labels = append(labels, c.label(k))
		}
	}
	var out []*ops.Node
	for k, it := range items {
		t, ok := it.(tensorV)
		if !ok {
			c.errorf(c.argPos(min(k, len(c.args)-1)), CodeArgType, "%s: %s must be a tensor, got %s", c.name, labels[k], kindOf(it))
			return nil, nil, false
		}
		out = append(out, t.n)
	}
	if len(out) == 0 {
		c.errorf(c.e.Pos, CodeArgs, "%s needs at least one tensor", c.name)
		return nil, nil, false
	}
	return out, labels, true
}

func itoa(k int) string { return ops.DimConst(int64(k)).String() }

// intList reads an int or a list (or tuple) of compile-time ints.
func (c *builtinCall) intList(v value, p ops.Pos, what string) ([]int, bool) {
	var items []value
	switch x := v.(type) {
	case intV:
		items = []value{x}
	case listV:
		items = x
	case tupleV:
		items = x
	default:
		code := CodeArgType
		if _, ok := v.(tensorV); ok {
			code = CodeNotConst // a value known only when the graph runs
		}
		c.errorf(p, code, "%s: %s must be an int or a list of ints, got %s", c.name, what, kindOf(v))
		return nil, false
	}
	out := make([]int, len(items))
	for k, it := range items {
		n, ok := constInt(it)
		if !ok {
			c.errorf(p, CodeNotConst, "%s: %s must be compile-time ints, got %s", c.name, what, kindOf(it))
			return nil, false
		}
		out[k] = int(n)
	}
	return out, true
}

// dims reads a shape: an int or a list of ints, dimensions that may be
// symbolic.
func (c *builtinCall) dims(v value, p ops.Pos) (ops.Shape, bool) {
	var items []value
	switch x := v.(type) {
	case intV:
		items = []value{x}
	case listV:
		items = x
	case tupleV:
		items = x
	default:
		c.errorf(p, CodeArgType, "%s: a shape is a list of ints, got %s", c.name, kindOf(v))
		return nil, false
	}
	s := make(ops.Shape, len(items))
	for k, it := range items {
		d, ok := it.(intV)
		if !ok {
			c.errorf(p, CodeArgType, "%s: a shape is a list of ints, got %s in it", c.name, kindOf(it))
			return nil, false
		}
		s[k] = d.d
	}
	return s, true
}

// intOpt reads an optional compile-time int (keyword key or positional k).
func (c *builtinCall) intOpt(key string, k int, def int) (int, bool) {
	v, p := c.opt(key, k)
	if v == nil {
		return def, true
	}
	n, ok := constInt(v)
	if !ok {
		c.errorf(p, CodeNotConst, "%s: %s must be a compile-time int, got %s", c.name, key, kindOf(v))
		return 0, false
	}
	return int(n), true
}

// floatOpt reads an optional compile-time number.
func (c *builtinCall) floatOpt(key string, k int, def float64) (float64, bool) {
	v, p := c.opt(key, k)
	if v == nil {
		return def, true
	}
	n, ok := number(v)
	if !ok {
		c.errorf(p, CodeNotConst, "%s: %s must be a compile-time number, got %s", c.name, key, kindOf(v))
		return 0, false
	}
	return n, true
}

// boolOpt reads an optional compile-time bool.
func (c *builtinCall) boolOpt(key string, k int, def bool) (bool, bool) {
	v, p := c.opt(key, k)
	if v == nil {
		return def, true
	}
	b, ok := v.(boolV)
	if !ok {
		c.errorf(p, CodeArgType, "%s: %s must be a compile-time bool, got %s", c.name, key, kindOf(v))
		return false, false
	}
	return bool(b), true
}

// dtypeOpt reads an optional element type.
func (c *builtinCall) dtypeOpt(key string, k int, def ops.DType) (ops.DType, bool) {
	v, p := c.opt(key, k)
	if v == nil {
		return def, true
	}
	d, ok := v.(dtypeV)
	if !ok {
		c.errorf(p, CodeArgType, "%s: %s must be an element type (f32, f64, i32, i64, bool), got %s", c.name, key, kindOf(v))
		return 0, false
	}
	return ops.DType(d), true
}

// sizeAttr turns a compile-time int into an int attribute (constant) or a
// one-dimension Shape (symbolic).
func sizeAttr(v value) (any, bool) {
	d, ok := v.(intV)
	if !ok {
		return nil, false
	}
	if n, isC := d.d.IsConst(); isC {
		return int(n), true
	}
	return ops.Shape{d.d}, true
}

// node unwraps an apply result.
func node(v value) (*ops.Node, bool) {
	t, ok := v.(tensorV)
	return t.n, ok
}
