package onnx

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

func opActivation(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	f := func(name string, def float64) string { return floatLit(attrFloat(n, name, def)) }
	var expr string
	switch n.OpType {
	case "LeakyRelu":
		expr = "leaky_relu(" + id + ", slope = " + f("alpha", 0.01) + ")"
	case "Elu":
		expr = "elu(" + id + ", alpha = " + f("alpha", 1) + ")"
	case "Selu":
		expr = f("gamma", 1.05070102214813232421875) + " * elu(" + id + ", alpha = " + f("alpha", 1.67326319217681884765625) + ")"
	case "Celu":
		a := f("alpha", 1)
		expr = fmt.Sprintf("maximum(%s, 0.0) + minimum(%s * (exp(%s / %s) - 1.0), 0.0)", id, a, id, a)
	case "HardSigmoid":
		expr = fmt.Sprintf("clip(%s * %s + %s, 0.0, 1.0)", f("alpha", 0.2), id, f("beta", 0.5))
	case "HardSwish":
		expr = fmt.Sprintf("%s * clip(%s / 6.0 + 0.5, 0.0, 1.0)", id, id)
	case "Softsign":
		expr = fmt.Sprintf("%s / (1.0 + abs(%s))", id, id)
	case "Reciprocal":
		expr = "1.0 / " + id
	case "ThresholdedRelu":
		expr = fmt.Sprintf("where(%s > %s, %s, 0.0)", id, f("alpha", 1), id)
	case "Gelu":
		switch a := attrString(n, "approximate", "none"); a {
		case "none":
			expr = "gelu(" + id + ")"
		case "tanh":
			expr = "gelu(" + id + ", approximate = \"tanh\")"
		default:
			return fmt.Errorf("approximate = %q is not supported", a)
		}
	}
	t.emit(n.Outputs[0], expr, x.dt, x.shape)
	return nil
}

func opPRelu(t *translator, n *Node) error {
	x, s, err := t.get2(n)
	if err != nil {
		return err
	}
	if t.opset < 7 && len(s.shape) == 1 && len(x.shape) > 2 && s.shape[0] == x.shape[1] && s.konst != nil {
		// Before opset 7 a slope of C values is per channel (axis 1).
		cs := append([]int{s.shape[0]}, make([]int, len(x.shape)-2)...)
		for i := 1; i < len(cs); i++ {
			cs[i] = 1
		}
		s = &value{dt: s.dt, shape: cs, konst: reshaped(s.konst, cs)}
	}
	shape, err := broadcast(x.shape, s.shape)
	if err != nil {
		return err
	}
	id, _ := t.operand(input(n, 0))
	sid, err := t.operandOf(input(n, 1), s)
	if err != nil {
		return err
	}
	t.emit(n.Outputs[0], fmt.Sprintf("maximum(%s, 0.0) + %s * minimum(%s, 0.0)", id, sid, id), x.dt, shape)
	return nil
}

// reduceFns are the reductions as .nn spells them: a format with the
// operand, then the axis and keepdims arguments.
var reduceFns = map[string]string{
	"ReduceMean": "mean(%s%s)", "ReduceSum": "sum(%s%s)", "ReduceMax": "max(%s%s)", "ReduceMin": "min(%s%s)",
	"ReduceProd": "prod(%s%s)", "ReduceSumSquare": "sum(square(%s)%s)", "ReduceL1": "sum(abs(%s)%s)",
	"ReduceL2": "norm(%s%s)", "ReduceLogSumExp": "logsumexp(%s%s)",
}

func opReduce(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	since := int64(18)
	if n.OpType == "ReduceSum" {
		since = 13
	}
	axes, err := t.axesOf(n, since)
	if err != nil {
		return err
	}
	keep := attrInt(n, "keepdims", 1) == 1
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	if len(axes) == 0 && attrInt(n, "noop_with_empty_axes", 0) == 1 {
		t.emit(n.Outputs[0], id, x.dt, x.shape)
		return nil
	}
	r := len(x.shape)
	red := map[int]bool{}
	var norm []int
	for _, a := range axes {
		a, err := axis(a, r)
		if err != nil {
			return err
		}
		if !red[a] {
			norm = append(norm, a)
		}
		red[a] = true
	}
	if len(axes) == 0 {
		for i := 0; i < r; i++ {
			red[i] = true
			norm = append(norm, i)
		}
	}
	var out []int
	for i, d := range x.shape {
		switch {
		case !red[i]:
			out = append(out, d)
		case keep:
			out = append(out, 1)
		}
	}
	args := ", axis = " + intList(norm)
	if keep {
		args += ", keepdims = true"
	}
	if !x.dt.IsFloat() {
		t.emit(n.Outputs[0], fromF64(fmt.Sprintf(reduceFns[n.OpType], toF64(id, x.dt), args), x.dt), x.dt, out)
		return nil
	}
	t.emit(n.Outputs[0], fmt.Sprintf(reduceFns[n.OpType], id, args), x.dt, out)
	return nil
}

func opArg(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	a, err := axis(int(attrInt(n, "axis", 0)), len(x.shape))
	if err != nil {
		return err
	}
	last := attrInt(n, "select_last_index", 0) != 0
	keep := attrInt(n, "keepdims", 1) == 1
	var out []int
	for i, d := range x.shape {
		if i != a {
			out = append(out, d)
		} else if keep {
			out = append(out, 1)
		}
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	fn := strings.ToLower(n.OpType)
	if !x.dt.IsFloat() {
		id = toF64(id, x.dt)
	}
	if !last {
		t.emit(n.Outputs[0], fmt.Sprintf("cast(%s(%s, axis = %d, keepdims = %v), i64)", fn, id, a, keep), tensor.I64, out)
		return nil
	}
	// The last extreme is the first of the reversed axis, counted from the end.
	if x.shape[a] < 0 {
		return concrete(x.shape)
	}
	rev := id + "[" + strings.Repeat(":, ", a) + "::-1]"
	t.emit(n.Outputs[0], fmt.Sprintf("cast(%d.0 - cast(%s(%s, axis = %d, keepdims = %v), f64), i64)", x.shape[a]-1, fn, rev, a, keep), tensor.I64, out)
	return nil
}

// matmulShape is NumPy's matmul of two shapes.
func matmulShape(a, b []int) ([]int, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("matmul of a scalar")
	}
	a2, b2 := a, b
	if len(a) == 1 {
		a2 = []int{1, a[0]}
	}
	if len(b) == 1 {
		b2 = []int{b[0], 1}
	}
	if a2[len(a2)-1] != b2[len(b2)-2] {
		return nil, fmt.Errorf("matmul of %v and %v: inner dimensions differ", a, b)
	}
	batch, err := broadcast(a2[:len(a2)-2], b2[:len(b2)-2])
	if err != nil {
		return nil, err
	}
	out := append(batch, a2[len(a2)-2], b2[len(b2)-1])
	if len(a) == 1 {
		out = append(out[:len(out)-2], out[len(out)-1])
	}
	if len(b) == 1 {
		out = out[:len(out)-1]
	}
	return out, nil
}

// consumer returns the only node reading value name, and its index, when
// exactly one node input (and no graph output) reads it.
func (t *translator) consumer(name string) (*Node, bool) {
	if t.uses[name] != 1 {
		return nil, false
	}
	for _, n := range t.g.Nodes {
		for _, in := range n.Inputs {
			if in == name {
				return n, true
			}
		}
	}
	return nil, false
}

func opMatMul(t *translator, n *Node) error {
	a, b, err := t.get2(n)
	if err != nil {
		return err
	}
	shape, err := matmulShape(a.shape, b.shape)
	if err != nil {
		return err
	}
	// MatMul by a constant matrix followed by Add of a constant vector is
	// a Dense layer.
	if add, ok := t.consumer(n.Outputs[0]); ok && add.OpType == "Add" && b.konst != nil && len(b.shape) == 2 && a.konst == nil && len(a.shape) >= 1 {
		other := add.Inputs[0]
		if other == n.Outputs[0] {
			other = input(add, 1)
		}
		if c := t.vals[other]; c != nil && c.konst != nil && len(c.shape) == 1 && c.shape[0] == b.shape[1] {
			t.skip(add, n.Outputs[0])
			return t.dense(n, input(n, 0), b.konst, c.konst, shape)
		}
	}
	x, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	y, err := t.operand(input(n, 1))
	if err != nil {
		return err
	}
	t.emit(n.Outputs[0], x+" @ "+y, a.dt, shape)
	return nil
}

// skip marks node add as folded into the node before it: its output is
// the value out will name.
func (t *translator) skip(add *Node, out string) {
	t.folded[add] = out
}

// dense declares an nn.Dense layer of weight W ([n_in, n_out]) and bias b
// and applies it to input x.
func (t *translator) dense(n *Node, x string, W, b *tensor.Tensor, shape []int) error {
	id, err := t.operand(x)
	if err != nil {
		return err
	}
	name := t.layerName(n, "dense")
	t.decls = append(t.decls, fmt.Sprintf("%s = nn.Dense(%d, %d)", name, W.Shape[0], W.Shape[1]))
	t.params[name+".W"] = W
	t.params[name+".b"] = reshaped(b, []int{W.Shape[1]})
	t.emit(n.Outputs[0], name+"("+id+")", tensor.F32, shape)
	return nil
}

// layerName names a layer after its node.
func (t *translator) layerName(n *Node, kind string) string {
	if n.Name != "" {
		return t.ident(n.Name)
	}
	return t.ident(kind)
}

// transposed is the transpose of a constant matrix.
func transposed(k *tensor.Tensor) *tensor.Tensor {
	r, c := k.Shape[0], k.Shape[1]
	out := tensor.New(k.DType, c, r)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out.Set(j*r+i, k.At(i*c+j))
		}
	}
	return out
}

func opGemm(t *translator, n *Node) error {
	a, b, err := t.get2(n)
	if err != nil {
		return err
	}
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return fmt.Errorf("Gemm of ranks %d and %d", len(a.shape), len(b.shape))
	}
	ta, tb := attrInt(n, "transA", 0) == 1, attrInt(n, "transB", 0) == 1
	alpha, beta := attrFloat(n, "alpha", 1), attrFloat(n, "beta", 1)
	m, k := a.shape[0], a.shape[1]
	if ta {
		m, k = k, m
	}
	kb, nn := b.shape[0], b.shape[1]
	if tb {
		kb, nn = nn, kb
	}
	if k != kb {
		return fmt.Errorf("Gemm inner dimensions %d and %d differ", k, kb)
	}
	shape := []int{m, nn}
	var c *value
	if in := input(n, 2); in != "" {
		if c, err = t.get(in); err != nil {
			return err
		}
		if _, err := broadcast(shape, c.shape); err != nil {
			return err
		}
	}
	if !ta && alpha == 1 && beta == 1 && b.konst != nil && a.konst == nil && c != nil && c.konst != nil && numel(c.shape) == nn && (len(c.shape) == 1 || len(c.shape) == 2 && c.shape[0] == 1) {
		W := b.konst
		if tb {
			W = transposed(W)
		}
		return t.dense(n, input(n, 0), W, c.konst, shape)
	}
	x, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	y, err := t.operand(input(n, 1))
	if err != nil {
		return err
	}
	if ta {
		x = "transpose(" + x + ")"
	}
	if tb {
		y = "transpose(" + y + ")"
	}
	expr := x + " @ " + y
	if alpha != 1 {
		expr = floatLit(alpha) + " * (" + expr + ")"
	}
	if c != nil && beta != 0 {
		z, err := t.operand(input(n, 2))
		if err != nil {
			return err
		}
		if beta != 1 {
			z = floatLit(beta) + " * " + z
		}
		expr += " + " + z
	}
	t.emit(n.Outputs[0], expr, a.dt, shape)
	return nil
}

func opGather(t *translator, n *Node) error {
	x, ids, err := t.get2(n)
	if err != nil {
		return err
	}
	a, err := axis(int(attrInt(n, "axis", 0)), len(x.shape))
	if err != nil {
		return err
	}
	out := append(append(append([]int(nil), x.shape[:a]...), ids.shape...), x.shape[a+1:]...)
	if x.konst != nil && ids.konst != nil && len(x.shape) == 1 {
		k := tensor.New(x.dt, out...)
		for i := 0; i < k.Len(); i++ {
			j := int(ids.konst.At(i))
			if j < 0 {
				j += x.shape[0]
			}
			if j < 0 || j >= x.shape[0] {
				return fmt.Errorf("index %d is out of range for %d", j, x.shape[0])
			}
			k.Set(i, x.konst.At(j))
			if k.DType == tensor.I64 {
				k.I64[i] = x.konst.I64[j]
			}
		}
		t.setConst(n, k)
		return nil
	}
	xid, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	iid, err := t.operand(input(n, 1))
	if err != nil {
		return err
	}
	t.emit(n.Outputs[0], fmt.Sprintf("take(%s, %s, axis = %d)", xid, iid, a), x.dt, out)
	return nil
}

func opExpand(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	want, err := t.constInts(input(n, 1), "the shape")
	if err != nil {
		return err
	}
	out, err := broadcast(x.shape, want)
	if err != nil {
		return err
	}
	if x.konst != nil && concrete(out) == nil && checkShape(out) == nil && numel(out) <= 1<<20 {
		t.setConst(n, broadcastConst(x.konst, out))
		return nil
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	t.emit(n.Outputs[0], "broadcast_to("+id+", "+intList(out)+")", x.dt, out)
	return nil
}

func opLayerNorm(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	r := len(x.shape)
	a, err := axis(int(attrInt(n, "axis", -1)), r)
	if err != nil {
		return err
	}
	id, _ := t.operand(input(n, 0))
	g, err := t.operand(input(n, 1))
	if err != nil {
		return err
	}
	b := ""
	if input(n, 2) != "" {
		if b, err = t.operand(input(n, 2)); err != nil {
			return err
		}
	}
	eps := floatLit(attrFloat(n, "epsilon", 1e-5))
	extra := false
	for _, o := range n.Outputs[1:] {
		extra = extra || o != "" && t.uses[o] > 0
	}
	if a == r-1 && !extra && b != "" {
		t.emit(n.Outputs[0], fmt.Sprintf("layer_norm(%s, %s, %s, eps = %s)", id, g, b, eps), x.dt, x.shape)
		return nil
	}
	// Over the axes from a on, written out: the mean, the inverse standard
	// deviation (ONNX's second and third outputs), then scale and bias.
	var axes []int
	stat := append([]int(nil), x.shape...)
	for i := a; i < r; i++ {
		axes = append(axes, i)
		stat[i] = 1
	}
	red := fmt.Sprintf("axis = %s, keepdims = true", intList(axes))
	mean := t.ident(outName(n, 1, "mean"))
	inv := t.ident(outName(n, 2, "inv_std"))
	t.comment()
	t.body = append(t.body, fmt.Sprintf("%s = mean(%s, %s)", mean, id, red),
		fmt.Sprintf("%s = rsqrt(var(%s, %s) + %s)", inv, id, red, eps))
	for i, v := range []string{mean, inv} {
		if o := input(&Node{Inputs: n.Outputs}, i+1); o != "" {
			t.vals[o] = &value{id: v, dt: x.dt, shape: stat}
		}
	}
	expr := fmt.Sprintf("(%s - %s) * %s * %s", id, mean, inv, g)
	if b != "" {
		expr += " + " + b
	}
	t.emit(n.Outputs[0], expr, x.dt, x.shape)
	return nil
}

// outName names a node's output i, or makes a name from its first output
// when the node leaves it out.
func outName(n *Node, i int, suffix string) string {
	if i < len(n.Outputs) && n.Outputs[i] != "" {
		return n.Outputs[i]
	}
	return n.Outputs[0] + "_" + suffix
}

func opSplit(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	a, err := axis(int(attrInt(n, "axis", 0)), len(x.shape))
	if err != nil {
		return err
	}
	var sizes []int
	if t.opset < 13 {
		sizes, _, err = attrInts(n, "split")
	} else if input(n, 1) != "" {
		sizes, err = t.constInts(input(n, 1), "the split")
	}
	if err != nil {
		return err
	}
	k := len(n.Outputs)
	if sizes == nil {
		d := x.shape[a]
		if d < 0 {
			return concrete(x.shape)
		}
		part := (d + k - 1) / k
		for i := 0; i < k; i++ {
			sizes = append(sizes, max(min(part, d-i*part), 0))
		}
	}
	if len(sizes) != k {
		return fmt.Errorf("%d sizes for %d outputs", len(sizes), k)
	}
	sum := 0
	for _, s := range sizes {
		if s < 0 {
			return fmt.Errorf("negative split size")
		}
		sum += s
	}
	if sum != x.shape[a] {
		return fmt.Errorf("split sizes %v do not add up to %d", sizes, x.shape[a])
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	var outs []string
	for i, o := range n.Outputs {
		shape := append([]int(nil), x.shape...)
		shape[a] = sizes[i]
		oid := t.ident(o)
		t.vals[o] = &value{id: oid, dt: x.dt, shape: shape}
		outs = append(outs, oid)
	}
	t.comment()
	t.body = append(t.body, fmt.Sprintf("%s = split(%s, %s, axis = %d)", strings.Join(outs, ", "), id, intList(sizes), a))
	return nil
}

// opSlice is Slice with constant starts, ends, axes and steps, written as
// .nn indexing (x[1:3, :, ::2]) after ONNX's clamping of the bounds.
func opSlice(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	r := len(x.shape)
	var starts, ends, axes, steps []int
	if t.opset < 10 {
		starts, _, _ = attrInts(n, "starts")
		ends, _, _ = attrInts(n, "ends")
		axes, _, err = attrInts(n, "axes")
	} else {
		// Read all four before failing, so that one error names every
		// input that must be fixed.
		lists := []*[]int{&starts, &ends, &axes, &steps}
		for i, what := range []string{"the starts", "the ends", "the axes", "the steps"} {
			if in := input(n, i+1); in != "" {
				var e error
				if *lists[i], e = t.constInts(in, what); e != nil && err == nil {
					err = e
				}
			}
		}
	}
	if err != nil {
		return err
	}
	if axes == nil {
		for i := range starts {
			axes = append(axes, i)
		}
	}
	if steps == nil {
		steps = make([]int, len(starts))
		for i := range steps {
			steps[i] = 1
		}
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return fmt.Errorf("starts, ends, axes and steps differ in length")
	}
	idx := make([]string, r)
	for i := range idx {
		idx[i] = ":"
	}
	shape := append([]int(nil), x.shape...)
	for i, a := range axes {
		a, err := axis(a, r)
		if err != nil {
			return err
		}
		d, st := x.shape[a], steps[i]
		if d < 0 || st == 0 {
			return fmt.Errorf("axis %d: a symbolic dimension or a zero step", a)
		}
		s, e := starts[i], ends[i]
		if s < 0 {
			s += d
		}
		if e < 0 {
			e += d
		}
		if st > 0 {
			s, e = min(max(s, 0), d), min(max(e, 0), d)
			shape[a] = max(0, (e-s+st-1)/st)
			idx[a] = fmt.Sprintf("%d:%d", s, e)
		} else {
			s, e = min(max(s, 0), d-1), min(max(e, -1), d-1)
			shape[a] = max(0, (s-e-st-1)/(-st))
			idx[a] = fmt.Sprintf("%d:", s)
			if e >= 0 {
				idx[a] += fmt.Sprint(e)
			}
		}
		if st != 1 {
			idx[a] += fmt.Sprintf(":%d", st)
		}
	}
	for len(idx) > 0 && idx[len(idx)-1] == ":" {
		idx = idx[:len(idx)-1]
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	if len(idx) == 0 {
		t.emit(n.Outputs[0], id, x.dt, shape)
		return nil
	}
	t.emit(n.Outputs[0], id+"["+strings.Join(idx, ", ")+"]", x.dt, shape)
	return nil
}

// broadcastConst is constant k broadcast to shape out (NumPy's rule).
func broadcastConst(k *tensor.Tensor, out []int) *tensor.Tensor {
	res := tensor.New(k.DType, out...)
	r, kr := len(out), len(k.Shape)
	for i := 0; i < res.Len(); i++ {
		src, rem, stride := 0, i, 1
		for a := r - 1; a >= 0; a-- {
			pos := rem % out[a]
			rem /= out[a]
			if ka := a - (r - kr); ka >= 0 {
				if k.Shape[ka] != 1 {
					src += pos * stride
				}
				stride *= k.Shape[ka]
			}
		}
		res.Set(i, k.At(src))
		if k.DType == tensor.I64 {
			res.I64[i] = k.I64[src]
		}
	}
	return res
}
