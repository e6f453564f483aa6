package lang

import (
	"math"

	"github.com/nnclang/nnc/ops"
)

// The built-ins of LANGUAGE.md beyond the first version's core, each
// lowered to registered ops following the fixed conventions (NCHW,
// PyTorch's defaults, NumPy's take/gather).

// moreUnary are elementwise built-ins without options.
var moreUnary = []string{"sin", "cos", "rsqrt", "silu", "softplus", "sign", "erf"}

// moreBuiltins are the built-ins handled by (*builtinCall).more.
var moreBuiltins = []string{
	"leaky_relu", "elu", "gelu", "clip", "where",
	"prod", "logsumexp", "var", "std", "norm", "argmax", "argmin",
	"squeeze", "unsqueeze", "broadcast_to", "concat", "stack", "split", "pad", "flatten",
	"gather", "take",
	"arange", "eye", "normal", "uniform",
	"binary_cross_entropy", "binary_cross_entropy_with_logits", "mse", "huber",
	"conv1d", "conv2d", "max_pool2d", "avg_pool2d", "layer_norm", "batch_norm",
	"embedding", "attention", "scan",
}

func init() {
	for _, n := range moreUnary {
		unaryBuiltins[n] = true
		builtinNames[n] = true
	}
	for _, n := range moreBuiltins {
		builtinNames[n] = true
	}
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

// node unwraps an apply result.
func node(v value) (*ops.Node, bool) {
	t, ok := v.(tensorV)
	return t.n, ok
}

// more evaluates the built-ins of moreBuiltins; handled is false for others.
func (c *builtinCall) more() (v value, handled bool) {
	switch c.name {
	case "leaky_relu", "elu", "clip":
		return c.unaryWith(), true
	case "gelu":
		return c.gelu(), true
	case "where":
		return c.where(), true
	case "prod", "logsumexp", "var", "std", "norm":
		return c.reduceMore(), true
	case "argmax", "argmin":
		return c.argReduce(), true
	case "squeeze", "unsqueeze":
		return c.squeeze(), true
	case "broadcast_to":
		return c.broadcastTo(), true
	case "concat", "stack":
		return c.join(), true
	case "split":
		return c.split(), true
	case "pad":
		return c.pad(), true
	case "flatten":
		return c.flatten(), true
	case "gather", "take":
		return c.takeGather(), true
	case "embedding":
		return c.embedding(), true
	case "arange":
		return c.arange(), true
	case "eye":
		return c.eye(), true
	case "normal", "uniform":
		return c.random(), true
	case "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse":
		if !c.check(2, 2) {
			return bad, true
		}
		return c.loss(nil), true
	case "huber":
		if !c.check(2, 3, "delta") {
			return bad, true
		}
		d, ok := c.floatOpt("delta", 2, 1)
		if !ok {
			return bad, true
		}
		return c.loss(ops.Attrs{"delta": d}), true
	case "conv1d", "conv2d":
		return c.conv(), true
	case "max_pool2d", "avg_pool2d":
		return c.pool(), true
	case "layer_norm":
		if !c.check(3, 4, "eps") {
			return bad, true
		}
		eps, ok := c.floatOpt("eps", 3, 1e-5)
		if !ok {
			return bad, true
		}
		return c.apply3("layer_norm", ops.Attrs{"eps": eps}), true
	case "batch_norm":
		return c.batchNorm(), true
	case "attention":
		return c.attention(), true
	case "scan":
		return c.scan(), true
	}
	return nil, false
}

// apply3 applies op to the first three positional tensor arguments.
func (c *builtinCall) apply3(op string, attrs ops.Attrs) value {
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	in := []*ops.Node{x}
	for k := 1; k < 3; k++ {
		n, ok := c.tensorAs(k, x.Type.DType)
		if !ok {
			return bad
		}
		in = append(in, n)
	}
	return c.i.apply(c.e.Pos, op, attrs, []string{c.label(0), c.label(1), c.label(2)}, in...)
}

// unaryWith is leaky_relu(x, slope), elu(x, alpha), clip(x, lo, hi).
func (c *builtinCall) unaryWith() value {
	keys := map[string][]string{"leaky_relu": {"slope"}, "elu": {"alpha"}, "clip": {"lo", "hi"}}[c.name]
	defs := map[string]float64{"slope": 0.01, "alpha": 1, "lo": math.Inf(-1), "hi": math.Inf(1)}
	if !c.check(1, 1+len(keys), keys...) {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	attrs := ops.Attrs{}
	for k, key := range keys {
		if v, _ := c.opt(key, k+1); v == nil {
			continue
		}
		f, ok := c.floatOpt(key, k+1, defs[key])
		if !ok {
			return bad
		}
		attrs[key] = f
	}
	return c.i.apply(c.e.Pos, c.name, attrs, []string{c.label(0)}, x)
}

// where(cond, x, y): cond a mask or bool tensor; x and y tensors or numbers.
func (c *builtinCall) where() value {
	if !c.check(3, 3) {
		return bad
	}
	cond, ok := c.tensor(0)
	if !ok {
		return bad
	}
	dt := ops.F32
	for _, k := range []int{1, 2} {
		if t, isT := c.args[k].(tensorV); isT {
			dt = t.n.Type.DType
			break
		}
	}
	x, ok1 := c.tensorAs(1, dt)
	y, ok2 := c.tensorAs(2, dt)
	if !ok1 || !ok2 {
		return bad
	}
	return c.i.apply(c.e.Pos, "where", nil, []string{c.label(0), c.label(1), c.label(2)}, cond, x, y)
}

// reduceMore is prod, logsumexp, var, std and norm with axis and keepdims
// (and ddof for var and std).
func (c *builtinCall) reduceMore() value {
	kws := []string{"axis", "keepdims"}
	if c.name == "var" || c.name == "std" {
		kws = append(kws, "ddof")
	}
	if !c.check(1, 3, kws...) {
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
	} else if c.name == "logsumexp" {
		attrs["axes"] = []int{-1}
	}
	keep, ok := c.boolOpt("keepdims", 2, false)
	if !ok {
		return bad
	}
	if keep {
		attrs["keepdims"] = true
	}
	if c.name == "var" || c.name == "std" {
		d, ok := c.intOpt("ddof", -1, 0)
		if !ok {
			return bad
		}
		if d != 0 {
			attrs["ddof"] = d
		}
	}
	return c.i.apply(c.e.Pos, c.name, attrs, []string{c.label(0)}, x)
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

// arange(stop) or arange(start, stop, step = 1, dtype = f32).
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
	return c.i.apply(c.e.Pos, "arange", attrs, nil)
}

// eye(n, m = n, dtype = f32).
func (c *builtinCall) eye() value {
	if !c.check(1, 2, "m", "dtype") {
		return bad
	}
	attrs := ops.Attrs{}
	n, ok := sizeAttr(c.args[0])
	if !ok {
		return c.errorf(c.argPos(0), CodeNotConst, "eye: n must be a compile-time int, got %s", kindOf(c.args[0]))
	}
	attrs["n"] = n
	if v, p := c.opt("m", 1); v != nil {
		m, ok := sizeAttr(v)
		if !ok {
			return c.errorf(p, CodeNotConst, "eye: m must be a compile-time int, got %s", kindOf(v))
		}
		attrs["m"] = m
	}
	dt, ok := c.dtypeOpt("dtype", -1, ops.F32)
	if !ok {
		return bad
	}
	attrs["dtype"] = dt
	return c.i.apply(c.e.Pos, "eye", attrs, nil)
}

// random is normal(shape, mean = 0, std = 1, dtype = f32) and
// uniform(shape, low = 0, high = 1, dtype = f32), seeded per call site.
func (c *builtinCall) random() value {
	k1, k2, d1, d2 := "low", "high", 0.0, 1.0
	if c.name == "normal" {
		k1, k2 = "mean", "std"
	}
	if !c.check(1, 3, k1, k2, "dtype") {
		return bad
	}
	s, ok := c.dims(c.args[0], c.argPos(0))
	if !ok {
		return bad
	}
	a, ok1 := c.floatOpt(k1, 1, d1)
	b, ok2 := c.floatOpt(k2, 2, d2)
	dt, ok3 := c.dtypeOpt("dtype", -1, ops.F32)
	if !ok1 || !ok2 || !ok3 {
		return bad
	}
	attrs := ops.Attrs{"shape": s, "dtype": dt, "seed": c.i.b.NextSeed(), k1: a, k2: b}
	return c.i.apply(c.e.Pos, c.name, attrs, nil)
}

// loss applies a two-operand loss; a number target takes x's type.
func (c *builtinCall) loss(attrs ops.Attrs) value {
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	y, ok := c.tensorAs(1, x.Type.DType)
	if !ok {
		return bad
	}
	return c.i.apply(c.e.Pos, c.name, attrs, []string{c.label(0), c.label(1)}, x, y)
}

// intsAttr reads an int or a list of ints (stride = 2, pad = [1, 0]).
func (c *builtinCall) intsAttr(attrs ops.Attrs, key string, k int) bool {
	v, p := c.opt(key, k)
	if v == nil {
		return true
	}
	if n, ok := constInt(v); ok {
		attrs[key] = int(n)
		return true
	}
	l, ok := c.intList(v, p, key)
	if !ok {
		return false
	}
	attrs[key] = l
	return true
}

// conv is conv1d/conv2d(x, K, stride = 1, pad = 0, dilation = 1, groups = 1).
func (c *builtinCall) conv() value {
	if !c.check(2, 6, "stride", "pad", "dilation", "groups") {
		return bad
	}
	x, ok1 := c.tensor(0)
	k, ok2 := c.tensor(1)
	if !ok1 || !ok2 {
		return bad
	}
	attrs := ops.Attrs{}
	for j, key := range []string{"stride", "pad", "dilation"} {
		if !c.intsAttr(attrs, key, 2+j) {
			return bad
		}
	}
	if v, _ := c.opt("groups", 5); v != nil {
		g, ok := c.intOpt("groups", 5, 1)
		if !ok {
			return bad
		}
		attrs["groups"] = g
	}
	return c.i.apply(c.e.Pos, c.name, attrs, []string{c.label(0), c.label(1)}, x, k)
}

// pool is max_pool2d/avg_pool2d(x, k, stride = k, pad = 0).
func (c *builtinCall) pool() value {
	kws := []string{"k", "stride", "pad"}
	if c.name == "avg_pool2d" {
		kws = append(kws, "count_include_pad")
	}
	nk := 1
	if _, kw := c.kw["k"]; !kw {
		nk = 2
	}
	if !c.check(nk, 4, kws...) {
		return bad
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
	}
	attrs := ops.Attrs{}
	for j, key := range []string{"k", "stride", "pad"} {
		if !c.intsAttr(attrs, key, 1+j) {
			return bad
		}
	}
	if c.name == "avg_pool2d" {
		inc, ok := c.boolOpt("count_include_pad", -1, true)
		if !ok {
			return bad
		}
		if !inc {
			attrs["count_include_pad"] = false
		}
	}
	return c.i.apply(c.e.Pos, c.name, attrs, []string{c.label(0)}, x)
}

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
	if !hasMean {
		return c.apply3("batch_norm", ops.Attrs{"eps": eps})
	}
	x, ok := c.tensor(0)
	if !ok {
		return bad
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
		return node(c.i.apply(p, "reshape", ops.Attrs{"shape": shape}, []string{label}, n))
	}
	m, ok1 := col(mean.n, "mean")
	v, ok2 := col(vr.n, "var")
	g, ok3 := col(gamma, c.label(1))
	b, ok4 := col(beta, c.label(2))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return bad
	}
	lbl := []string{c.label(0), "mean"}
	d, ok1 := node(c.i.apply(p, "sub", nil, lbl, x, m))
	ve, ok2 := node(c.i.apply(p, "add", nil, lbl, v, c.i.b.Scalar(x.Type.DType, eps)))
	if !ok1 || !ok2 {
		return bad
	}
	rs, ok := node(c.i.apply(p, "rsqrt", nil, lbl, ve))
	if !ok {
		return bad
	}
	y, ok1 := node(c.i.apply(p, "mul", nil, lbl, d, rs))
	if !ok1 {
		return bad
	}
	y, ok1 = node(c.i.apply(p, "mul", nil, lbl, y, g))
	if !ok1 {
		return bad
	}
	return c.i.apply(p, "add", nil, lbl, y, b)
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
		v = c.i.asTensorLike(&Ident{Pos: p, Name: "mask"}, v, in[0].Type.DType)
		if isBad(v) {
			return bad
		}
		t, isT := v.(tensorV)
		if !isT {
			return c.errorf(p, CodeArgType, "attention: mask must be a tensor, got %s", kindOf(v))
		}
		mask = t.n
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
			if mask, ok = node(c.i.apply(c.e.Pos, "mul", nil, []string{"mask", "causal mask"}, mask, cm)); !ok {
				return bad
			}
		} else {
			mask = cm
		}
	}
	if mask != nil {
		in = append(in, mask)
	}
	return c.i.apply(c.e.Pos, "attention", attrs, labels[:len(in)], in...)
}

// causalMask is the [Tq, Tk] float mask with 1 where key j <= query i.
func (i *interp) causalMask(p ops.Pos, tq, tk ops.Dim, dt ops.DType) (*ops.Node, bool) {
	size := func(d ops.Dim) any {
		a, _ := sizeAttr(intV{d})
		return a
	}
	rows, ok1 := node(i.apply(p, "arange", ops.Attrs{"stop": size(tq), "dtype": dt}, nil))
	cols, ok2 := node(i.apply(p, "arange", ops.Attrs{"stop": size(tk), "dtype": dt}, nil))
	if !ok1 || !ok2 {
		return nil, false
	}
	r, ok1 := node(i.apply(p, "unsqueeze", ops.Attrs{"axes": []int{1}}, nil, rows))
	cl, ok2 := node(i.apply(p, "unsqueeze", ops.Attrs{"axes": []int{0}}, nil, cols))
	if !ok1 || !ok2 {
		return nil, false
	}
	gt, ok := node(i.apply(p, "greater", nil, []string{"key position", "query position"}, cl, r))
	if !ok {
		return nil, false
	}
	return node(i.apply(p, "sub", nil, nil, i.b.Scalar(dt, 1), gt))
}

// crossEntropy is cross_entropy(logits, labels, weights = w,
// label_smoothing = 0), PyTorch's mean reduction.
func (c *builtinCall) crossEntropy() value {
	if !c.check(2, 4, "weights", "label_smoothing") {
		return bad
	}
	x, ok1 := c.tensor(0)
	y, ok2 := c.tensor(1)
	if !ok1 || !ok2 {
		return bad
	}
	in := []*ops.Node{x, y}
	labels := []string{c.label(0), c.label(1)}
	if v, p := c.opt("weights", 2); v != nil {
		v = c.i.asTensorLike(&Ident{Pos: p, Name: "weights"}, v, x.Type.DType)
		if isBad(v) {
			return bad
		}
		w, isT := v.(tensorV)
		if !isT {
			return c.errorf(p, CodeArgType, "cross_entropy: weights must be a tensor, got %s", kindOf(v))
		}
		in, labels = append(in, w.n), append(labels, "weights")
	}
	attrs := ops.Attrs{}
	ls, ok := c.floatOpt("label_smoothing", 3, 0)
	if !ok {
		return bad
	}
	if ls != 0 {
		attrs["label_smoothing"] = ls
	}
	return c.i.apply(c.e.Pos, "cross_entropy", attrs, labels, in...)
}
