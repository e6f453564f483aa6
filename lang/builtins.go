package lang

import (
	"fmt"
	"sort"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
)

// builtinCall is one call of a built-in with its evaluated arguments.
type builtinCall struct {
	i    *interp
	f    *frame
	e    *CallExpr
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

// check validates the argument count and keyword names.
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

// tensor returns positional argument k as a node.
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

// opt returns a keyword argument, or positional argument k, or nil.
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

var unaryBuiltins = map[string]bool{
	"exp": true, "log": true, "tanh": true, "sigmoid": true, "relu": true, "sqrt": true,
	"abs": true, "square": true, "log1p": true, "neg": true, "stop_gradient": true,
}

// optionalUnary are elementwise built-ins without options that are
// available when the op registry has them.
var optionalUnary = map[string]bool{
	"sin": true, "cos": true, "rsqrt": true, "silu": true, "softplus": true, "sign": true,
}

// builtin evaluates a call of a built-in function.
func (i *interp) builtin(f *frame, e *CallExpr, name string, args []value, kw map[string]value) value {
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
	switch {
	case unaryBuiltins[name] || optionalUnary[name]:
		if !c.check(1, 1) {
			return bad
		}
		x, ok := c.tensor(0)
		if !ok {
			return bad
		}
		return i.apply(e.Pos, name, nil, []string{c.label(0)}, x)
	case name == "maximum" || name == "minimum" || name == "pow":
		if !c.check(2, 2) {
			return bad
		}
		return c.binary()
	case name == "sum" || name == "mean" || name == "max" || name == "min":
		return c.reduce()
	}
	switch name {
	case "reshape":
		return c.reshape()
	case "transpose":
		if !c.check(1, 2, "perm") {
			return bad
		}
		x, ok := c.tensor(0)
		if !ok {
			return bad
		}
		var perm []int
		if v, p := c.opt("perm", 1); v != nil {
			if perm, ok = c.intList(v, p, "perm"); !ok {
				return bad
			}
		}
		return i.transpose(e.Pos, tensorV{x}, perm, c.label(0))
	case "softmax", "log_softmax":
		if !c.check(1, 2, "axis") {
			return bad
		}
		x, ok := c.tensor(0)
		if !ok {
			return bad
		}
		axis := -1
		if v, p := c.opt("axis", 1); v != nil {
			n, isInt := constInt(v)
			if !isInt {
				return c.errorf(p, CodeNotConst, "%s: axis must be a compile-time int, got %s", name, kindOf(v))
			}
			axis = int(n)
		}
		return i.apply(e.Pos, name, ops.Attrs{"axis": axis}, []string{c.label(0)}, x)
	case "cross_entropy":
		return c.crossEntropy()
	case "dropout":
		return c.dropout()
	case "one_hot":
		if !c.check(2, 3, "dtype") {
			return bad
		}
		x, ok := c.tensor(0)
		if !ok {
			return bad
		}
		n, isInt := constInt(args[1])
		if !isInt {
			return c.errorf(c.argPos(1), CodeNotConst, "one_hot: the number of classes must be a constant int, got %s", kindOf(args[1]))
		}
		dt, ok := c.dtypeOpt("dtype", 2, ops.F32)
		if !ok {
			return bad
		}
		return i.apply(e.Pos, name, ops.Attrs{"n": int(n), "dtype": dt}, []string{c.label(0)}, x)
	case "cast":
		if !c.check(1, 2, "dtype") {
			return bad
		}
		x, ok := c.tensor(0)
		if !ok {
			return bad
		}
		if _, given := kw["dtype"]; !given && len(args) < 2 {
			return c.errorf(e.Pos, CodeArgs, "cast: missing the element type (cast(x, f64))")
		}
		dt, ok := c.dtypeOpt("dtype", 1, 0)
		if !ok {
			return bad
		}
		if dt == x.Type.DType {
			return tensorV{x}
		}
		return i.apply(e.Pos, name, ops.Attrs{"dtype": dt}, []string{c.label(0)}, x)
	case "l1", "l2":
		return c.norm()
	case "zeros", "ones", "full":
		return c.creator()
	case "grad":
		return c.grad()
	case "jvp", "vjp", "hvp":
		return c.products()
	}
	if v, handled := c.more(); handled {
		return v
	}
	return c.errorf(e.Pos, CodeUnsupported, "built-in %s is not supported yet", name)
}

func (c *builtinCall) binary() value {
	x, y := c.args[0], c.args[1]
	xt, xIsT := x.(tensorV)
	yt, yIsT := y.(tensorV)
	if !xIsT && !yIsT {
		return c.errorf(c.e.Pos, CodeArgType, "%s needs a tensor operand", c.name)
	}
	if !xIsT {
		n, ok := c.i.weakScalar(c.e.Args[0], x, yt.n.Type.DType)
		if !ok {
			return bad
		}
		xt = tensorV{n}
	}
	if !yIsT {
		n, ok := c.i.weakScalar(c.e.Args[1], y, xt.n.Type.DType)
		if !ok {
			return bad
		}
		yt = tensorV{n}
	}
	return c.i.apply(c.e.Pos, c.name, nil, []string{c.label(0), c.label(1)}, xt.n, yt.n)
}

func (c *builtinCall) reduce() value {
	if !c.check(1, 3, "axis", "keepdims") {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	attrs := ops.Attrs{}
	if v, p := c.opt("axis", 1); v != nil {
		axes, ok := c.intList(v, p, "axis")
		if !ok {
			return bad
		}
		attrs["axes"] = axes
	}
	keep, ok := c.boolOpt("keepdims", 2, false)
	if !ok {
		return bad
	}
	if keep {
		attrs["keepdims"] = true
	}
	return c.i.apply(c.e.Pos, c.name, attrs, []string{c.label(0)}, x)
}

func (c *builtinCall) reshape() value {
	if !c.check(2, 2) {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	s, ok := c.dims(c.args[1], c.argPos(1))
	if !ok {
		return bad
	}
	hole := -1
	for k, d := range s {
		if v, isC := d.IsConst(); isC && v < 0 {
			if v != -1 || hole >= 0 {
				return c.errorf(c.argPos(1), CodeValue, "reshape: bad dimension %d in %v (only one -1 is allowed)", v, s)
			}
			hole = k
		}
	}
	if hole >= 0 {
		d, ok := inferHole(x.Type.Shape, s, hole)
		if !ok {
			return c.errorf(c.argPos(1), CodeShape, "reshape: cannot infer the -1 in %v from %s of type %v", s, c.label(0), x.Type)
		}
		s = append(ops.Shape(nil), s...)
		s[hole] = d
	}
	return c.i.apply(c.e.Pos, "reshape", ops.Attrs{"shape": s}, []string{c.label(0)}, x)
}

// inferHole finds the dimension that -1 stands for: the input's element
// count divided by the other dimensions, symbolically.
func inferHole(in, s ops.Shape, hole int) (ops.Dim, bool) {
	remaining := append(ops.Shape(nil), in...)
	rest := ops.DimConst(1)
	for k, d := range s {
		if k == hole {
			continue
		}
		found := false
		for j, r := range remaining {
			if r == d {
				remaining = append(remaining[:j], remaining[j+1:]...)
				found = true
				break
			}
		}
		if !found {
			rest = rest.Mul(d)
		}
	}
	num := remaining.NumElems()
	if rest == ops.DimConst(1) {
		return num, true
	}
	if rc, ok := rest.IsConst(); ok && rc > 0 {
		if nc, ok := num.IsConst(); ok {
			if nc%rc != 0 {
				return ops.Dim{}, false
			}
			return ops.DimConst(nc / rc), true
		}
	}
	q, err := num.Div(rest)
	if err != nil || q.Mul(rest) != num {
		return ops.Dim{}, false
	}
	return q, true
}

func (c *builtinCall) dropout() value {
	nargs := 2
	if _, kw := c.kw["p"]; kw {
		nargs = 1
	}
	if !c.check(nargs, nargs, "p") {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	v, p := c.opt("p", 1)
	rate, isNum := number(v)
	if !isNum {
		return c.errorf(p, CodeArgType, "dropout: p must be a compile-time number, got %s", kindOf(v))
	}
	if rate < 0 || rate >= 1 {
		return c.errorf(p, CodeValue, "dropout: p must be in [0, 1), got %g", rate)
	}
	if !c.i.training || rate == 0 {
		return tensorV{x}
	}
	return c.i.dropout(c.e.Pos, x, rate, c.label(0))
}

// leavesOf flattens arguments of l1/l2 (tensors, params, tuples) into nodes.
func (c *builtinCall) leavesOf(v value, k int) ([]*ops.Node, bool) {
	switch x := v.(type) {
	case tensorV:
		return []*ops.Node{x.n}, true
	case paramsV:
		ls := x.inst.allLeaves(false)
		if !c.i.spend(c.argPos(k), len(ls)) {
			return nil, false
		}
		return ls, true
	case tupleV, listV:
		var items []value
		if t, ok := x.(tupleV); ok {
			items = t
		} else {
			items = x.(listV)
		}
		var out []*ops.Node
		for _, it := range items {
			ns, ok := c.leavesOf(it, k)
			if !ok {
				return nil, false
			}
			out = append(out, ns...)
		}
		return out, true
	}
	c.errorf(c.argPos(k), CodeArgType, "%s: %s must be a tensor or params, got %s", c.name, c.label(k), kindOf(v))
	return nil, false
}

func (c *builtinCall) norm() value {
	if !c.check(1, -1) {
		return bad
	}
	var terms []*ops.Node
	for k, a := range c.args {
		ns, ok := c.leavesOf(a, k)
		if !ok {
			return bad
		}
		for _, n := range ns {
			op := "square"
			if c.name == "l1" {
				op = "abs"
			}
			lbl := c.label(k)
			if n.Name() != "" {
				lbl = n.Name()
			}
			sq := c.i.apply(c.e.Pos, op, nil, []string{lbl}, n)
			t, ok := sq.(tensorV)
			if !ok {
				return bad
			}
			s := c.i.apply(c.e.Pos, "sum", ops.Attrs{}, []string{lbl}, t.n)
			st, ok := s.(tensorV)
			if !ok {
				return bad
			}
			terms = append(terms, st.n)
		}
	}
	if len(terms) == 0 {
		return tensorV{c.i.b.Scalar(ops.F32, 0)}
	}
	acc := terms[0]
	for _, t := range terms[1:] {
		s := c.i.apply(c.e.Pos, "add", nil, []string{c.name + " term", c.name + " term"}, acc, t)
		st, ok := s.(tensorV)
		if !ok {
			return bad
		}
		acc = st.n
	}
	return tensorV{acc}
}

func (c *builtinCall) creator() value {
	maxArgs := 1
	if c.name == "full" {
		maxArgs = 2
	}
	if !c.check(1, maxArgs, "dtype", "value") {
		return bad
	}
	s, ok := c.dims(c.args[0], c.argPos(0))
	if !ok {
		return bad
	}
	fill := 0.0
	if c.name == "ones" {
		fill = 1
	}
	if c.name == "full" {
		v, p := c.opt("value", 1)
		if v == nil {
			return c.errorf(c.e.Pos, CodeArgs, "full: missing the fill value (full(shape, value))")
		}
		n, isNum := number(v)
		if !isNum {
			return c.errorf(p, CodeArgType, "full: the value must be a compile-time number, got %s", kindOf(v))
		}
		fill = n
	}
	dt, ok := c.dtypeOpt("dtype", -1, ops.F32)
	if !ok {
		return bad
	}
	for _, d := range s {
		if v, isC := d.IsConst(); isC && v < 0 {
			return c.errorf(c.argPos(0), CodeValue, "%s: negative dimension in %v", c.name, s)
		}
	}
	t := ops.Type{DType: dt, Shape: s}
	if err := t.CheckSize(); err != nil {
		return c.errorf(c.e.Pos, CodeTooLarge, "%s: the result %v", c.name, err)
	}
	old := c.i.b.SetPos(c.e.Pos)
	defer c.i.b.SetPos(old)
	return tensorV{c.i.b.Full(t, fill)}
}

// grad is grad(y, x): x is a tensor, a tuple of them, or params.
func (c *builtinCall) grad() value {
	if !c.check(2, 2) {
		return bad
	}
	y, ok := c.tensor(0)
	if !ok {
		return bad
	}
	if !y.Type.DType.IsFloat() || len(y.Type.Shape) != 0 {
		return c.errorf(c.argPos(0), CodeGrad, "grad: %s is %v; grad differentiates a float scalar", c.label(0), y.Type)
	}
	var xs []*ops.Node
	var labels []string
	tuple := true
	switch x := c.args[1].(type) {
	case tensorV:
		xs, labels, tuple = []*ops.Node{x.n}, []string{c.label(1)}, false
	case paramsV:
		xs = x.inst.allLeaves(false)
		for _, n := range xs {
			labels = append(labels, n.Name())
		}
	case tupleV:
		for k, it := range x {
			t, isT := it.(tensorV)
			if !isT {
				return c.errorf(c.argPos(1), CodeGrad, "grad: element %d of %s is %s, not a tensor", k, c.label(1), kindOf(it))
			}
			xs = append(xs, t.n)
			lbl := fmt.Sprintf("element %d of %s", k, c.label(1))
			if tl, ok := c.e.Args[1].(*TupleLit); ok && k < len(tl.Elems) {
				lbl = exprLabel(tl.Elems[k])
			}
			labels = append(labels, lbl)
		}
	default:
		return c.errorf(c.argPos(1), CodeGrad, "grad: cannot differentiate with respect to %s", kindOf(c.args[1]))
	}
	for k, x := range xs {
		if !x.Type.DType.IsFloat() {
			return c.errorf(c.argPos(1), CodeGrad, "grad: cannot differentiate with respect to %s of integer type %v", labels[k], x.Type)
		}
	}
	old := c.i.b.SetPos(c.e.Pos)
	defer c.i.b.SetPos(old)
	if !c.i.spend(c.e.Pos, len(c.i.b.G.Nodes)) {
		return bad
	}
	gs, err := autodiff.Grad(c.i.b, y, xs)
	if err != nil {
		return c.errorf(c.e.Pos, CodeGrad, "%v", err)
	}
	if !tuple {
		return tensorV{gs[0]}
	}
	out := make(tupleV, len(gs))
	for k, g := range gs {
		out[k] = tensorV{g}
	}
	return out
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
