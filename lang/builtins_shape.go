package lang

import "github.com/nnclang/nnc/ops"

// Built-ins of the shape family (and gelu, argmax/argmin and embedding),
// called from (*builtinCall).more.

// gelu is gelu(x, approximate = "none" or "tanh").
func (c *builtinCall) gelu() value {
	if !c.check(1, 2, "approximate") {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	attrs := ops.Attrs{}
	if v, p := c.opt("approximate", 1); v != nil {
		s, isS := v.(stringV)
		if !isS || (s != "tanh" && s != "none") {
			return c.errorf(p, CodeValue, "gelu: approximate must be \"tanh\" or \"none\", got %s", kindOf(v))
		}
		if s == "tanh" {
			attrs["approximate"] = "tanh"
		}
	}
	return c.i.apply(c.e.Pos, "gelu", attrs, []string{c.label(0)}, x)
}

// argReduce is argmax and argmin (x, axis, keepdims).
func (c *builtinCall) argReduce() value {
	if !c.check(1, 3, "axis", "keepdims") {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	attrs := ops.Attrs{}
	if v, _ := c.opt("axis", 1); v != nil {
		ax, ok := c.intOpt("axis", 1, 0)
		if !ok {
			return bad
		}
		attrs["axis"] = ax
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

// squeeze is squeeze(x, axis) and unsqueeze(x, axis).
func (c *builtinCall) squeeze() value {
	if !c.check(1, 2, "axis") {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	attrs := ops.Attrs{}
	v, p := c.opt("axis", 1)
	if v == nil && c.name == "unsqueeze" {
		return c.errorf(c.e.Pos, CodeArgs, "unsqueeze: missing axis (unsqueeze(x, axis = 0))")
	}
	if v != nil {
		axes, ok := c.intList(v, p, "axis")
		if !ok {
			return bad
		}
		attrs["axes"] = axes
	}
	return c.i.apply(c.e.Pos, c.name, attrs, []string{c.label(0)}, x)
}

// broadcastTo is broadcast_to(x, shape).
func (c *builtinCall) broadcastTo() value {
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
	return c.i.apply(c.e.Pos, "broadcast_to", ops.Attrs{"shape": s}, []string{c.label(0)}, x)
}

// embedding is embedding(ids, table).
func (c *builtinCall) embedding() value {
	if !c.check(2, 2) {
		return bad
	}
	ids, ok1 := c.tensor(0)
	table, ok2 := c.tensor(1)
	if !ok1 || !ok2 {
		return bad
	}
	return c.i.apply(c.e.Pos, "embedding", nil, []string{c.label(0), c.label(1)}, ids, table)
}

// operands collects concat's and stack's operands: several tensors, or one
// list or tuple of them.
func (c *builtinCall) operands() ([]*ops.Node, []string, bool) {
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

// join is concat(xs..., axis = 0) and stack(xs..., axis = 0).
func (c *builtinCall) join() value {
	if !c.check(1, -1, "axis") {
		return bad
	}
	ax, ok := c.intOpt("axis", -1, 0)
	if !ok {
		return bad
	}
	in, labels, ok := c.operands()
	if !ok {
		return bad
	}
	return c.i.apply(c.e.Pos, c.name, ops.Attrs{"axis": ax}, labels, in...)
}

// sliceAxis cuts x[lo:hi] along axis with symbolic bounds.
func (i *interp) sliceAxis(p ops.Pos, x *ops.Node, axis int, lo, hi ops.Dim, label string) (*ops.Node, bool) {
	r := len(x.Type.Shape)
	begin := make(ops.Shape, r)
	end := make(ops.Shape, r)
	for k := range begin {
		begin[k], end[k] = ops.DimConst(0), x.Type.Shape[k]
	}
	begin[axis], end[axis] = lo, hi
	return node(i.apply(p, "slice", ops.Attrs{"begin": begin, "end": end}, []string{label}, x))
}

// split(x, n or [sizes], axis = 0): a tuple of n equal parts, or of parts
// of the given sizes (PyTorch's torch.split with a list).
func (c *builtinCall) split() value {
	if !c.check(2, 3, "axis") {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	ax, ok := c.intOpt("axis", 2, 0)
	if !ok {
		return bad
	}
	r := len(x.Type.Shape)
	a, err := ops.NormAxis(ax, r)
	if err != nil {
		return c.errorf(c.e.Pos, CodeValue, "split: axis %d is out of range for %s of type %v", ax, c.label(0), x.Type)
	}
	d := x.Type.Shape[a]
	var sizes []ops.Dim
	switch v := c.args[1].(type) {
	case intV:
		n, isC := v.d.IsConst()
		if !isC || n <= 0 {
			return c.errorf(c.argPos(1), CodeValue, "split: the number of parts must be a positive constant int, got %v", v.d)
		}
		q, err := d.Div(ops.DimConst(n))
		if err != nil || q.Mul(ops.DimConst(n)) != d {
			return c.errorf(c.argPos(1), CodeShape, "split: axis %d of %s (%v) does not divide into %d equal parts", ax, c.label(0), d, n)
		}
		for k := int64(0); k < n; k++ {
			sizes = append(sizes, q)
		}
	default:
		s, ok := c.dims(c.args[1], c.argPos(1))
		if !ok {
			return bad
		}
		total := ops.DimConst(0)
		for _, z := range s {
			total = total.Add(z)
		}
		if total != d {
			return c.errorf(c.argPos(1), CodeShape, "split: sizes %v add up to %v, but axis %d of %s is %v", s, total, ax, c.label(0), d)
		}
		sizes = s
	}
	out := tupleV{}
	off := ops.DimConst(0)
	for _, z := range sizes {
		n, ok := c.i.sliceAxis(c.e.Pos, x, a, off, off.Add(z), c.label(0))
		if !ok {
			return bad
		}
		out = append(out, tensorV{n})
		off = off.Add(z)
	}
	return out
}

// pad(x, p, value = 0): p an int pads every axis by p on both sides; a list
// [before_0, after_0, ...] of 2k ints pads the last k axes.
func (c *builtinCall) pad() value {
	if !c.check(2, 3, "value") {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	pads, ok := c.intList(c.args[1], c.argPos(1), "pads")
	if !ok {
		return bad
	}
	if _, single := c.args[1].(intV); single {
		p := pads[0]
		pads = make([]int, 2*len(x.Type.Shape))
		for k := range pads {
			pads[k] = p
		}
	}
	val, ok := c.floatOpt("value", 2, 0)
	if !ok {
		return bad
	}
	attrs := ops.Attrs{"pads": pads}
	if val != 0 {
		attrs["value"] = val
	}
	return c.i.apply(c.e.Pos, "pad", attrs, []string{c.label(0)}, x)
}

// flatten(x, start = 1) keeps the axes before start and joins the rest.
func (c *builtinCall) flatten() value {
	if !c.check(1, 2, "start") {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	st, ok := c.intOpt("start", 1, 1)
	if !ok {
		return bad
	}
	r := len(x.Type.Shape)
	if st < 0 {
		st += r
	}
	if st < 0 || st > r {
		return c.errorf(c.e.Pos, CodeValue, "flatten: start %d is out of range for %s of type %v", st, c.label(0), x.Type)
	}
	s := append(ops.Shape(nil), x.Type.Shape[:st]...)
	s = append(s, ops.Shape(x.Type.Shape[st:]).NumElems())
	return c.i.apply(c.e.Pos, "reshape", ops.Attrs{"shape": s}, []string{c.label(0)}, x)
}

// takeGather is take(x, ids, axis) (NumPy's take; flattened without axis)
// and gather(x, ids, axis = -1) (NumPy's take_along_axis).
func (c *builtinCall) takeGather() value {
	if !c.check(2, 3, "axis") {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	ids, ok := c.tensorAs(1, ops.I32)
	if !ok {
		return bad
	}
	attrs := ops.Attrs{}
	def := -1
	if v, _ := c.opt("axis", 2); v != nil || c.name == "gather" {
		ax, ok := c.intOpt("axis", 2, def)
		if !ok {
			return bad
		}
		attrs["axis"] = ax
	}
	return c.i.apply(c.e.Pos, c.name, attrs, []string{c.label(0), c.label(1)}, x, ids)
}
