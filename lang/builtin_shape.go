package lang

import "github.com/nnclang/nnc/ops"

// The hand-written built-ins of the shape and creation families: their
// arguments mean more than their op's attributes (reshape's -1, pad's single
// int, arange's optional start, transpose without perm), or they lower to
// several ops (split) or to a constant (zeros, ones, full).

// reshape is reshape(x, shape); one dimension may be -1 (inferred).
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
	written := s
	s = append(ops.Shape(nil), s...)
	hole := -1
	for k, d := range s {
		v, isC := d.IsConst()
		switch {
		case !isC || v > 0:
		case v == 0: // ONNX's 0: this dimension of x
			if k >= len(x.Type.Shape) {
				return c.errorf(c.argPos(1), CodeValue, "reshape: the 0 at index %d of %v copies dimension %d of %s, which has type %v (rank %d)",
					k, written, k, c.label(0), x.Type, len(x.Type.Shape))
			}
			s[k] = x.Type.Shape[k]
		case v != -1:
			return c.errorf(c.argPos(1), CodeValue, "reshape: bad dimension %d at index %d of %v (a size, 0 to copy the input's, or one -1 to infer)", v, k, written)
		case hole >= 0:
			return c.errorf(c.argPos(1), CodeValue, "reshape: two -1s in %v (at indices %d and %d; only one can be inferred)", written, hole, k)
		default:
			hole = k
		}
	}
	if hole >= 0 {
		d, ok := inferHole(x.Type.Shape, s, hole)
		if !ok {
			rest := append(append(ops.Shape(nil), s[:hole]...), s[hole+1:]...)
			return c.errorf(c.argPos(1), CodeShape, "reshape: the other dimensions of %v (%v, %v elements) do not divide the %v elements of %s of type %v, so the -1 has no size",
				written, rest, rest.NumElems(), x.Type.Shape.NumElems(), c.label(0), x.Type)
		}
		s[hole] = d
	}
	return c.i.apply(c.e.Pos, ops.Reshape, ops.Attrs{"shape": s}, []string{c.label(0)}, x)
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

// transpose is transpose(x, perm); without perm it reverses the axes, as
// x.T does (the same lowering, interp.transpose).
func (c *builtinCall) transpose() value {
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
	return c.i.transpose(c.e.Pos, tensorV{x}, perm, c.label(0))
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
	return node(i.apply(p, ops.Slice, ops.Attrs{"begin": begin, "end": end}, []string{label}, x))
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
	sizes, ok := c.splitSizes(x.Type.Shape[a], ax)
	if !ok {
		return bad
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

// splitSizes reads split's second argument: n equal parts of d, or sizes
// that add up to d.
func (c *builtinCall) splitSizes(d ops.Dim, ax int) ([]ops.Dim, bool) {
	if v, isInt := c.args[1].(intV); isInt {
		n, isC := v.d.IsConst()
		if !isC || n <= 0 {
			c.errorf(c.argPos(1), CodeValue, "split: the number of parts must be a positive constant int, got %v", v.d)
			return nil, false
		}
		q, err := d.Div(ops.DimConst(n))
		if err != nil || q.Mul(ops.DimConst(n)) != d {
			c.errorf(c.argPos(1), CodeShape, "split: axis %d of %s (%v) does not divide into %d equal parts", ax, c.label(0), d, n)
			return nil, false
		}
		if !c.i.spend(c.argPos(1), int(min(n, maxSteps+1))) {
			return nil, false // one slice per part (split(x, 10**12) of an empty axis)
		}
		sizes := make([]ops.Dim, n)
		for k := range sizes {
			sizes[k] = q
		}
		return sizes, true
	}
	s, ok := c.dims(c.args[1], c.argPos(1))
	if !ok {
		return nil, false
	}
	total := ops.DimConst(0)
	for _, z := range s {
		total = total.Add(z)
	}
	if total != d {
		c.errorf(c.argPos(1), CodeShape, "split: sizes %v add up to %v, but axis %d of %s is %v", s, total, ax, c.label(0), d)
		return nil, false
	}
	return s, true
}

// pad(x, p, value = 0): p an int pads every axis by p on both sides; a list
// [before_0, after_0, ...] of 2k ints pads the last k axes.
func (c *builtinCall) pad() value {
	if !c.check(2, 4, "value", "mode") {
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
	if v, p := c.opt("mode", 3); v != nil {
		m, isS := v.(stringV)
		if !isS {
			return c.errorf(p, CodeValue, `pad: mode must be "constant", "reflect" or "edge", got %s`, kindOf(v))
		}
		if m != "constant" && m != "reflect" && m != "edge" {
			return c.errorf(p, CodeValue, `pad: mode must be "constant", "reflect" or "edge", got %q`, string(m))
		}
		if m != "constant" {
			if val != 0 {
				return c.errorf(p, CodeValue, "pad: a value is for mode \"constant\", not %q", string(m))
			}
			attrs["mode"] = string(m)
		}
	}
	return c.i.apply(c.e.Pos, ops.Pad, attrs, []string{c.label(0)}, x)
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
	return c.i.apply(c.e.Pos, ops.Reshape, ops.Attrs{"shape": s}, []string{c.label(0)}, x)
}

// creator is zeros(shape, dtype = f32), ones(shape, dtype = f32) and
// full(shape, value, dtype = f32): a constant.
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

// arange(stop) or arange(start, stop, step = 1, dtype = f32): with two or
// three positional arguments the first is start.
func (c *builtinCall) arange() value {
	if !c.check(1, 3, "start", "stop", "step", "dtype") {
		return bad
	}
	attrs := ops.Attrs{}
	stopK, startK := 0, -1
	if len(c.args) >= 2 {
		stopK, startK = 1, 0
	}
	set := func(key string, k int) bool {
		v, p := c.opt(key, k)
		if v == nil {
			return true
		}
		if d, ok := v.(intV); ok {
			if key == "stop" {
				a, _ := sizeAttr(d)
				attrs[key] = a
				return true
			}
			if n, isC := d.d.IsConst(); isC {
				attrs[key] = int(n)
				return true
			}
		}
		f, ok := v.(floatV)
		if !ok {
			c.errorf(p, CodeNotConst, "arange: %s must be a compile-time number, got %s", key, kindOf(v))
			return false
		}
		attrs[key] = float64(f)
		return true
	}
	if !set("start", startK) || !set("stop", stopK) || !set("step", 2) {
		return bad
	}
	if _, ok := attrs["stop"]; !ok {
		return c.errorf(c.e.Pos, CodeArgs, "arange: missing stop")
	}
	dt, ok := c.dtypeOpt("dtype", -1, ops.F32)
	if !ok {
		return bad
	}
	attrs["dtype"] = dt
	return c.i.apply(c.e.Pos, ops.Arange, attrs, nil)
}
