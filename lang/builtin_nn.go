package lang

import "github.com/nnclang/nnc/ops"

// The hand-written built-ins of the network family: batch_norm with given
// statistics and attention with causal = true compose several ops;
// dropout depends on the training mode; l1 and l2 sum over tensors and
// params.

// batchNorm is batch_norm(x, gamma, beta, eps = 1e-5) with the batch's
// statistics, or batch_norm(x, gamma, beta, mean = m, var = v, eps) with
// given (running) statistics, per channel (axis 1).
func (c *builtinCall) batchNorm() value {
	if !c.check(3, 4, "eps", "mean", "var") {
		return bad
	}
	eps, ok := c.floatOpt("eps", 3, 1e-5)
	if !ok {
		return bad
	}
	mv, hasMean := c.kw["mean"]
	vv, hasVar := c.kw["var"]
	if hasMean != hasVar {
		return c.errorf(c.e.Pos, CodeArgs, "batch_norm: give both mean and var, or neither")
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	if !hasMean {
		gamma, ok1 := c.tensorAs(1, x.Type.DType)
		if !ok1 {
			return bad
		}
		beta, ok2 := c.tensorAs(2, x.Type.DType)
		if !ok2 {
			return bad
		}
		return c.i.apply(c.e.Pos, ops.BatchNorm, ops.Attrs{"eps": eps}, []string{c.label(0), c.label(1), c.label(2)}, x, gamma, beta)
	}
	mean, ok1 := mv.(tensorV)
	vr, ok2 := vv.(tensorV)
	if !ok1 || !ok2 {
		return c.errorf(c.e.Pos, CodeArgType, "batch_norm: mean and var must be tensors")
	}
	gamma, ok1 := c.tensorAs(1, x.Type.DType)
	beta, ok2 := c.tensorAs(2, x.Type.DType)
	if !ok1 || !ok2 {
		return bad
	}
	return c.normalize(x, mean.n, vr.n, gamma, beta, eps)
}

// normalize is (x - mean) * rsqrt(var + eps) * gamma + beta with the
// per-channel vectors [C] broadcast over axis 1 of x.
func (c *builtinCall) normalize(x, mean, vr, gamma, beta *ops.Node, eps float64) value {
	r := len(x.Type.Shape)
	if r < 2 {
		return c.errorf(c.argPos(0), CodeShape, "batch_norm: %s is %v; want [N, C, ...]", c.label(0), x.Type)
	}
	// Per-channel vectors [C] become [C, 1, ...] to broadcast over axis 1.
	shape := append(ops.Shape{x.Type.Shape[1]}, make(ops.Shape, r-2)...)
	for k := 1; k < len(shape); k++ {
		shape[k] = ops.DimConst(1)
	}
	p := c.e.Pos
	col := func(n *ops.Node, label string) (*ops.Node, bool) {
		if len(n.Type.Shape) != 1 || n.Type.Shape[0] != x.Type.Shape[1] {
			c.errorf(p, CodeShape, "batch_norm: %s is %v; want [%v] (the channels of %s)", label, n.Type, x.Type.Shape[1], c.label(0))
			return nil, false
		}
		return node(c.i.apply(p, ops.Reshape, ops.Attrs{"shape": shape}, []string{label}, n))
	}
	m, ok1 := col(mean, "mean")
	v, ok2 := col(vr, "var")
	g, ok3 := col(gamma, c.label(1))
	b, ok4 := col(beta, c.label(2))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return bad
	}
	lbl := []string{c.label(0), "mean"}
	d, ok1 := node(c.i.apply(p, ops.Sub, nil, lbl, x, m))
	ve, ok2 := node(c.i.apply(p, ops.Add, nil, lbl, v, c.i.b.Scalar(x.Type.DType, eps)))
	if !ok1 || !ok2 {
		return bad
	}
	rs, ok := node(c.i.apply(p, ops.Rsqrt, nil, lbl, ve))
	if !ok {
		return bad
	}
	y, ok1 := node(c.i.apply(p, ops.Mul, nil, lbl, d, rs))
	if !ok1 {
		return bad
	}
	y, ok1 = node(c.i.apply(p, ops.Mul, nil, lbl, y, g))
	if !ok1 {
		return bad
	}
	return c.i.apply(p, ops.Add, nil, lbl, y, b)
}

// attention(q, k, v, mask = m, scale = s, causal = false): scaled
// dot-product attention; causal masks key positions after the query's.
func (c *builtinCall) attention() value {
	if !c.check(3, 4, "mask", "scale", "causal") {
		return bad
	}
	var in []*ops.Node
	for k := 0; k < 3; k++ {
		n, ok := c.tensor(k)
		if !ok {
			return bad
		}
		in = append(in, n)
	}
	labels := []string{c.label(0), c.label(1), c.label(2), "mask"}
	attrs := ops.Attrs{}
	if v, _ := c.opt("scale", -1); v != nil {
		s, ok := c.floatOpt("scale", -1, 0)
		if !ok {
			return bad
		}
		attrs["scale"] = s
	}
	causal, ok := c.boolOpt("causal", -1, false)
	if !ok {
		return bad
	}
	var mask *ops.Node
	if v, p := c.opt("mask", 3); v != nil {
		if mask, ok = c.namedTensor("mask", v, p, in[0].Type.DType); !ok {
			return bad
		}
	}
	if causal {
		q, k := in[0].Type, in[1].Type
		if len(q.Shape) < 2 || len(k.Shape) < 2 {
			return c.errorf(c.e.Pos, CodeShape, "attention: q and k must have at least 2 axes, got %v and %v", q, k)
		}
		cm, ok := c.i.causalMask(c.e.Pos, q.Shape[len(q.Shape)-2], k.Shape[len(k.Shape)-2], q.DType)
		if !ok {
			return bad
		}
		if mask != nil {
			if mask, ok = node(c.i.apply(c.e.Pos, ops.Mul, nil, []string{"mask", "causal mask"}, mask, cm)); !ok {
				return bad
			}
		} else {
			mask = cm
		}
	}
	if mask != nil {
		in = append(in, mask)
	}
	return c.i.apply(c.e.Pos, ops.Attention, attrs, labels[:len(in)], in...)
}

// causalMask is the [Tq, Tk] float mask with 1 where key j <= query i.
func (i *interp) causalMask(p ops.Pos, tq, tk ops.Dim, dt ops.DType) (*ops.Node, bool) {
	size := func(d ops.Dim) any {
		a, _ := sizeAttr(intV{d})
		return a
	}
	rows, ok1 := node(i.apply(p, ops.Arange, ops.Attrs{"stop": size(tq), "dtype": dt}, nil))
	cols, ok2 := node(i.apply(p, ops.Arange, ops.Attrs{"stop": size(tk), "dtype": dt}, nil))
	if !ok1 || !ok2 {
		return nil, false
	}
	r, ok1 := node(i.apply(p, ops.Unsqueeze, ops.Attrs{"axes": []int{1}}, nil, rows))
	cl, ok2 := node(i.apply(p, ops.Unsqueeze, ops.Attrs{"axes": []int{0}}, nil, cols))
	if !ok1 || !ok2 {
		return nil, false
	}
	gt, ok := node(i.apply(p, ops.Greater, nil, []string{"key position", "query position"}, cl, r))
	if !ok {
		return nil, false
	}
	return node(i.apply(p, ops.Sub, nil, nil, i.b.Scalar(dt, 1), gt))
}

// dropout is dropout(x, p): in training, ops.Dropout with rate p in
// [0, 1); the identity otherwise (and for p = 0).
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
	if !x.Type.DType.IsFloat() {
		return c.errorf(c.e.Pos, CodeShape, "dropout: %s is %v, not a float tensor", c.label(0), x.Type)
	}
	old := c.i.b.SetPos(c.e.Pos)
	defer c.i.b.SetPos(old)
	return tensorV{ops.Dropout(c.i.b, x, rate)}
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

// norm is l1(a, b, ...) and l2(a, b, ...): the sum of the absolute values
// (squares) of every element of the arguments.
func (c *builtinCall) norm() value {
	if !c.check(1, -1) {
		return bad
	}
	op := ops.Square
	if c.name == "l1" {
		op = ops.Abs
	}
	var terms []*ops.Node
	for k, a := range c.args {
		ns, ok := c.leavesOf(a, k)
		if !ok {
			return bad
		}
		for _, n := range ns {
			lbl := c.label(k)
			if n.Name() != "" {
				lbl = n.Name()
			}
			sq, ok := node(c.i.apply(c.e.Pos, op, nil, []string{lbl}, n))
			if !ok {
				return bad
			}
			s, ok := node(c.i.apply(c.e.Pos, ops.Sum, ops.Attrs{}, []string{lbl}, sq))
			if !ok {
				return bad
			}
			terms = append(terms, s)
		}
	}
	if len(terms) == 0 {
		return tensorV{c.i.b.Scalar(ops.F32, 0)}
	}
	acc := terms[0]
	for _, t := range terms[1:] {
		s, ok := node(c.i.apply(c.e.Pos, ops.Add, nil, []string{c.name + " term", c.name + " term"}, acc, t))
		if !ok {
			return bad
		}
		acc = s
	}
	return tensorV{acc}
}
