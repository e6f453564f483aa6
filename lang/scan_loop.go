package lang

import (
	"github.com/nnclang/nnc/ops"
)

// scanUnroll is the longest scan unrolled into the graph by default
// (LowerOptions.ScanUnroll sets another). A longer one, or
// one whose length is a shape variable without a value, runs as a loop of
// the plan (ops.Loop): its step is built once, so the graph, the compile
// time and the plan stay the same size whatever the length. Unrolled scans
// let the optimizer work across steps (the recurrent weight's gradient as
// one product over all steps), which is faster for the lengths below.
const scanUnroll = 256

// flatTensors lists the tensors of a tensor or a (nested) tuple of tensors;
// ok is false for any other value.
func flatTensors(v value) ([]*ops.Node, bool) {
	switch x := v.(type) {
	case tensorV:
		return []*ops.Node{x.n}, true
	case tupleV:
		var out []*ops.Node
		for _, it := range x {
			ns, ok := flatTensors(it)
			if !ok {
				return nil, false
			}
			out = append(out, ns...)
		}
		return out, true
	}
	return nil, false
}

// rebuild is like with the tensors replaced by ns, in flatTensors' order.
func rebuild(like value, ns []*ops.Node) value {
	k := 0
	var walk func(v value) value
	walk = func(v value) value {
		if t, ok := v.(tupleV); ok {
			out := make(tupleV, len(t))
			for j, it := range t {
				out[j] = walk(it)
			}
			return out
		}
		k++
		return tensorV{ns[k-1]}
	}
	return walk(like)
}

// scanAsLoop lowers the scan as a loop when its length n is past the
// unrolling limit or symbolic, and it can (see scanLoop).
func (c *builtinCall) scanAsLoop(n ops.Dim, xs []*ops.Node, xsTuple bool) (value, bool) {
	length, isConst := n.IsConst()
	limit := int64(c.i.scanUnroll)
	if limit <= 0 {
		limit = scanUnroll
	}
	if c.i.typesOnly() || (isConst && length <= limit) {
		return nil, false
	}
	return c.scanLoop(c.args[0], c.args[1], xs, xsTuple)
}

// scanLoop lowers scan(step, carry, xs) as a loop. handled is false, with
// nothing reported and nothing left in the graph that a plan would run,
// when the scan cannot run as one (a carry, sequence or result that is not
// a float tensor of the sequences' element type; shapes whose variables
// the loop's result does not bind, such as a symbolic length with a
// symbolic batch, ops.LoopCuttable; a step that updates state); the
// caller unrolls it then.
func (c *builtinCall) scanLoop(step, carry value, xs []*ops.Node, xsTuple bool) (v value, handled bool) {
	cs, ok := flatTensors(carry)
	dt := xs[0].Type.DType
	if !ok || !dt.IsFloat() {
		return nil, false
	}
	for _, x := range append(cs[:len(cs):len(cs)], xs...) {
		if x.Type.DType != dt {
			return nil, false
		}
	}
	b := c.i.b
	from, updates, errs := len(b.G.Nodes), len(b.G.Updates), len(c.i.errs)
	old := b.SetPos(c.e.Pos)
	var args []*ops.Node
	for _, x := range cs {
		args = append(args, b.NewLoopArg(x.Type))
	}
	for _, x := range xs {
		args = append(args, b.NewLoopArg(ops.Type{DType: x.Type.DType, Shape: x.Type.Shape[1:]}))
	}
	b.SetPos(old)
	xt := value(tensorV{args[len(cs)]})
	if xsTuple {
		parts := make(tupleV, len(xs))
		for k := range xs {
			parts[k] = tensorV{args[len(cs)+k]}
		}
		xt = parts
	}
	out := c.callStep(step, rebuild(carry, args[:len(cs)]), xt)
	if isBad(out) {
		return bad, true
	}
	nextV, ys, yTuple, ok := c.stepResult(out, carry)
	if !ok {
		return bad, true
	}
	next, _ := flatTensors(nextV)
	if len(c.i.errs) != errs {
		return bad, true
	}
	fits := len(b.G.Updates) == updates
	for _, y := range ys {
		fits = fits && y.Type.DType == dt
	}
	if !fits {
		b.G.Updates = b.G.Updates[:updates] // they read the placeholders
		return nil, false
	}
	body, caps, err := b.ExtractBody(from, args, append(next, ys...), len(cs), len(xs))
	if err != nil {
		return c.errorf(c.e.Pos, CodeValue, "scan: %v", err), true
	}
	operands := append(append(append([]*ops.Node(nil), cs...), xs...), caps...)
	if !ops.LoopCuttable(body, operands) {
		return nil, false
	}
	flat, ok := node(c.i.apply(c.e.Pos, ops.Loop, ops.Attrs{"body": body, "save": c.i.training}, nil, operands...))
	if !ok {
		return bad, true
	}
	old = b.SetPos(c.e.Pos)
	parts := ops.LoopOutputs(b, flat)
	b.SetPos(old)
	var yout value = tupleV{}
	if stacked := parts[len(cs) : len(cs)+len(ys)]; len(stacked) == 1 && !yTuple {
		yout = tensorV{stacked[0]}
	} else if len(stacked) > 0 {
		t := make(tupleV, len(stacked))
		for k, s := range stacked {
			t[k] = tensorV{s}
		}
		yout = t
	}
	return tupleV{rebuild(carry, parts[:len(cs)]), yout}, true
}
