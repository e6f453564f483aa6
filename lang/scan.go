package lang

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// scan(step, init, xs) runs step(carry, x_t) -> (carry, y_t) along axis 0
// of xs and returns (final carry, ys), ys stacking the y_t along a new axis
// 0. step is a function or a method (a name, `cell`, or `layer.cell`);
// the carry may be a tensor or a tuple of tensors; xs a tensor or a tuple
// of tensors sharing their length; y_t a tensor or a tuple of tensors.
//
// A scan of up to scanUnroll steps is unrolled; a longer one, or one of
// symbolic length, runs as a loop of the plan when its carries, sequences
// and results are float tensors of one element type and its step updates
// no state (scan_loop.go). Otherwise it is unrolled, so its length must be
// known when the graph is built: a constant, or a shape variable given a
// value at Lower (LowerOptions.Shapes). While checking (Load, Signature), a
// symbolic length runs the step once to check types and stands ys in as
// y_0 broadcast to the length.

// seqOf splits xs into its per-step slices.
func (c *builtinCall) seqLen(xs []*ops.Node) (ops.Dim, bool) {
	var n ops.Dim
	for k, x := range xs {
		if len(x.Type.Shape) == 0 {
			c.errorf(c.argPos(2), CodeShape, "scan: %s is a scalar; xs needs an axis 0 to scan along", c.label(2))
			return n, false
		}
		if k == 0 {
			n = x.Type.Shape[0]
		} else if x.Type.Shape[0] != n {
			c.errorf(c.argPos(2), CodeShape, "scan: the sequences of %s have different lengths along axis 0: %v and %v", c.label(2), n, x.Type.Shape[0])
			return n, false
		}
	}
	return n, true
}

func (c *builtinCall) scan() value {
	if !c.check(3, 3) {
		return bad
	}
	step := c.args[0]
	switch step.(type) {
	case fnV, methodV:
	default:
		return c.errorf(c.argPos(0), CodeArgType, "scan: step must be a function or a method, got %s", kindOf(step))
	}
	_, xsTuple := c.args[2].(tupleV)
	xs, ok := c.scanSeqs()
	if !ok {
		return bad
	}
	n, ok := c.seqLen(xs)
	if !ok {
		return bad
	}
	length, isConst := n.IsConst()
	if v, handled := c.scanAsLoop(n, xs, xsTuple); handled {
		return v
	}
	placeholder := false
	if !isConst {
		if !c.i.typesOnly() {
			return c.errorf(c.e.Pos, CodeNeedShapes, "scan: %s has symbolic length %v along axis 0; scan is unrolled, so it needs the value of %v (LowerOptions.Shapes; --shapes on the command line)", c.label(2), n, n)
		}
		length, placeholder = 1, true
	}
	if length > maxUnroll {
		return c.errorf(c.e.Pos, CodeValue, "scan: length %d is too long to unroll (more than %d)", length, maxUnroll)
	}
	carry := c.args[1]
	var ys [][]*ops.Node // per output, per step
	yTuple := false
	for t := int64(0); t < length && !c.i.aborted; t++ {
		var xt value
		parts := make(tupleV, len(xs))
		for k, x := range xs {
			p, ok := c.i.stepSlice(c.e.Pos, x, t, c.label(2))
			if !ok {
				return bad
			}
			parts[k] = tensorV{p}
		}
		xt = parts[0]
		if xsTuple {
			xt = parts
		}
		out := c.callStep(step, carry, xt)
		if isBad(out) {
			return bad
		}
		next, y, isTuple, ok := c.stepResult(out, carry)
		if !ok {
			return bad
		}
		carry, yTuple = next, yTuple || isTuple
		if ys == nil {
			ys = make([][]*ops.Node, len(y))
		}
		for k := range y {
			ys[k] = append(ys[k], y[k])
		}
	}
	stacked := make(tupleV, len(ys))
	for k, parts := range ys {
		var v value
		if placeholder {
			one, ok := node(c.i.apply(c.e.Pos, ops.Unsqueeze, ops.Attrs{"axes": []int{0}}, []string{"y"}, parts[0]))
			if !ok {
				return bad
			}
			shape := append(ops.Shape{n}, parts[0].Type.Shape...)
			v = c.i.apply(c.e.Pos, ops.BroadcastTo, ops.Attrs{"shape": shape}, []string{"y"}, one)
		} else {
			v = c.i.apply(c.e.Pos, ops.Stack, ops.Attrs{"axis": 0}, nil, parts...)
		}
		if isBad(v) {
			return bad
		}
		stacked[k] = v
	}
	var yout value = tupleV{}
	switch {
	case len(stacked) == 1 && !yTuple:
		yout = stacked[0]
	case len(stacked) > 0:
		yout = stacked
	}
	return tupleV{carry, yout}
}

// stepResult checks the step's result out, (carry, y) with the carry of
// the type it was given, and returns the new carry and y's tensors; ok is
// false, with the error reported, for anything else.
func (c *builtinCall) stepResult(out, carry value) (next value, ys []*ops.Node, yTuple, ok bool) {
	pair, ok := out.(tupleV)
	if !ok || len(pair) != 2 {
		c.errorf(c.argPos(0), CodeReturn, "scan: %s must return (carry, y), got %s", c.label(0), describeValue(out))
		return nil, nil, false, false
	}
	if !sameTypes(carry, pair[0]) {
		c.errorf(c.argPos(0), CodeReturn, "scan: %s returns a carry of type %s; the carry it was given is %s", c.label(0), describeValue(pair[0]), describeValue(carry))
		return nil, nil, false, false
	}
	switch yv := pair[1].(type) {
	case tensorV:
		return pair[0], []*ops.Node{yv.n}, false, true
	case tupleV:
		for _, it := range yv {
			tv, ok := it.(tensorV)
			if !ok {
				c.errorf(c.argPos(0), CodeReturn, "scan: %s must return tensors as y, got %s", c.label(0), describeValue(pair[1]))
				return nil, nil, false, false
			}
			ys = append(ys, tv.n)
		}
		return pair[0], ys, true, true
	}
	c.errorf(c.argPos(0), CodeReturn, "scan: %s must return tensors as y, got %s", c.label(0), describeValue(pair[1]))
	return nil, nil, false, false
}

// scanSeqs is scan's xs as a list of tensors.
func (c *builtinCall) scanSeqs() ([]*ops.Node, bool) {
	var xs []*ops.Node
	switch x := c.args[2].(type) {
	case tensorV:
		xs = []*ops.Node{x.n}
	case tupleV:
		for _, it := range x {
			t, ok := it.(tensorV)
			if !ok {
				c.errorf(c.argPos(2), CodeArgType, "scan: xs must be a tensor or a tuple of tensors, got %s in it", kindOf(it))
				return nil, false
			}
			xs = append(xs, t.n)
		}
	default:
		c.errorf(c.argPos(2), CodeArgType, "scan: xs must be a tensor or a tuple of tensors, got %s", kindOf(c.args[2]))
		return nil, false
	}
	return xs, true
}

// stepSlice is x[t] along axis 0.
func (i *interp) stepSlice(p ops.Pos, x *ops.Node, t int64, label string) (*ops.Node, bool) {
	s, ok := i.sliceAxis(p, x, 0, ops.DimConst(t), ops.DimConst(t+1), label)
	if !ok {
		return nil, false
	}
	return node(i.apply(p, ops.Reshape, ops.Attrs{"shape": x.Type.Shape[1:]}, []string{label}, s))
}

// callStep invokes a function or method with (carry, x_t).
func (c *builtinCall) callStep(step, carry, xt value) value {
	var fn *fnDecl
	var fs *fileScope
	var inst *instance
	name := ""
	switch s := step.(type) {
	case fnV:
		fn, fs, name = s.fn, s.file, s.fn.Name
	case methodV:
		fn, fs, inst, name = s.fn, s.inst.file, s.inst, s.inst.decl.Name+"."+s.fn.Name
	}
	if len(fn.Params) < 2 {
		return c.errorf(c.argPos(0), CodeArgs, "scan: %s must take (carry, x), it takes %d arguments", name, len(fn.Params))
	}
	as := argSet{vals: make([]value, len(fn.Params)), pos: make([]ops.Pos, len(fn.Params)), labels: make([]string, len(fn.Params))}
	as.vals[0], as.vals[1] = carry, xt
	as.pos[0], as.pos[1] = c.argPos(1), c.argPos(2)
	as.labels[0], as.labels[1] = c.label(1), fmt.Sprintf("%s[t]", c.label(2))
	return c.i.invoke(c.e.Pos, fn, fs, inst, as, name)
}

// sameTypes reports whether two carries have the same structure and types.
func sameTypes(a, b value) bool {
	switch x := a.(type) {
	case tensorV:
		y, ok := b.(tensorV)
		return ok && x.n.Type.Equal(y.n.Type)
	case tupleV:
		y, ok := b.(tupleV)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !sameTypes(x[k], y[k]) {
				return false
			}
		}
		return true
	}
	_, ok := b.(tensorV)
	return !ok
}
