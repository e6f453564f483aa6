package onnx

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// Recurrent nodes that no std/nn layer matches (RNN; GRU with ONNX's
// default linear_before_reset = 0; reverse and bidirectional directions;
// given initial states; LSTM peepholes) are written out with built-ins:
// for each direction, the node's weights become parameters in ONNX's gate
// order (W and R transposed to [in, gates·H] and [H, gates·H]), a method
// of the model is the cell as ONNX's operator definition writes it, and
// forward projects the whole sequence by W, runs the cell over it with
// scan (over the reversed sequence for the reverse direction) and stacks
// the directions as ONNX's Y, Y_h and Y_c.

// cellKinds are ONNX's recurrent operators: their gate count and default
// activations (f, g, h as the operator definition names them).
var cellKinds = map[string]struct {
	gates int
	acts  []string
}{
	"RNN":  {1, []string{"Tanh"}},
	"GRU":  {3, []string{"Sigmoid", "Tanh"}},
	"LSTM": {4, []string{"Sigmoid", "Tanh", "Tanh"}},
}

// cellActs are the activations the cell writes.
var cellActs = map[string]string{"Sigmoid": "sigmoid", "Tanh": "tanh", "Relu": "relu"}

// opRNNCell translates an RNN node; opGRU and opLSTM fall back to it.
func opRNNCell(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	kind := cellKinds[n.OpType]
	g := kind.gates
	for _, a := range []string{"clip", "activation_alpha", "activation_beta", "input_forget"} {
		if a == "input_forget" && attrInt(n, a, 0) == 0 || n.Attr(a) == nil {
			continue
		}
		return fmt.Errorf("attribute %s is not supported", a)
	}
	dirs := map[string]int{"forward": 1, "reverse": 1, "bidirectional": 2}
	direction := attrString(n, "direction", "forward")
	nd := dirs[direction]
	if nd == 0 {
		return fmt.Errorf("direction %q", direction)
	}
	var acts []string
	if a := n.Attr("activations"); a != nil {
		for _, s := range a.Strings {
			acts = append(acts, string(s))
		}
	}
	if len(acts) == 0 {
		for range nd {
			acts = append(acts, kind.acts...)
		}
	}
	if len(acts) != nd*len(kind.acts) {
		return fmt.Errorf("%d activations for %d directions of %d", len(acts), nd, len(kind.acts))
	}
	for _, a := range acts {
		if cellActs[a] == "" {
			return fmt.Errorf("activation %s is not supported (Sigmoid, Tanh and Relu are)", a)
		}
	}
	// Every input that must be a constant is noted before an error
	// returns, so that one import names all the graph inputs to fix.
	ws, err := rnnWeights(t, n)
	if in := input(n, 4); in != "" && t.vals[in] != nil && t.vals[in].konst == nil {
		err = errors.Join(err, t.notConstant(in, "sequence_lens"))
	}
	if in := input(n, 7); n.OpType == "LSTM" && in != "" && t.vals[in] != nil && t.vals[in].konst == nil {
		err = errors.Join(err, t.notConstant(in, "P (peepholes)"))
	}
	if err != nil {
		return err
	}
	h := int(attrInt(n, "hidden_size", 0))
	layout := attrInt(n, "layout", 0)
	if len(x.shape) != 3 || ws[0] == nil || ws[1] == nil || h < 1 || x.dt != tensor.F32 {
		return fmt.Errorf("an %s needs an f32 X of rank 3, W, R and hidden_size", n.OpType)
	}
	if err := concrete(x.shape); err != nil {
		return err
	}
	T, B, nin := x.shape[0], x.shape[1], x.shape[2]
	if layout == 1 {
		T, B = B, T
	}
	if fmt.Sprint(ws[0].Shape) != fmt.Sprint([]int{nd, g * h, nin}) || fmt.Sprint(ws[1].Shape) != fmt.Sprint([]int{nd, g * h, h}) ||
		ws[2] != nil && fmt.Sprint(ws[2].Shape) != fmt.Sprint([]int{nd, 2 * g * h}) {
		return fmt.Errorf("weights %v, %v for %d directions, hidden size %d and %d inputs", ws[0].Shape, ws[1].Shape, nd, h, nin)
	}
	if err := t.cellSeqLens(n, T, B); err != nil {
		return err
	}
	var peep *tensor.Tensor
	if n.OpType == "LSTM" && input(n, 7) != "" {
		v, err := t.get(input(n, 7))
		if err != nil {
			return err
		}
		if v.konst == nil {
			return t.notConstant(input(n, 7), "P (peepholes)")
		}
		if fmt.Sprint(v.shape) != fmt.Sprint([]int{nd, 3 * h}) {
			return fmt.Errorf("peepholes of shape %v", v.shape)
		}
		peep = v.konst
	}
	c := &cellWriter{t: t, n: n, g: g, h: h, b: B, nin: nin, lbr: attrInt(n, "linear_before_reset", 0) == 1,
		prefix: t.layerName(n, strings.ToLower(n.OpType))}
	xid, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	if layout == 1 {
		xid = "transpose(" + xid + ", [1, 0, 2])"
	}
	var hs, lastH, lastC []string
	for d := range nd {
		reverse := direction == "reverse" || d == 1
		y, yh, yc, err := c.direction(d, reverse, xid, ws, peep, acts[d*len(kind.acts):(d+1)*len(kind.acts)])
		if err != nil {
			return err
		}
		hs, lastH, lastC = append(hs, y), append(lastH, yh), append(lastC, yc)
	}
	return c.outputs(T, nd, layout, hs, lastH, lastC)
}

// cellSeqLens accepts sequence_lens only when every length is T.
func (t *translator) cellSeqLens(n *Node, T, B int) error {
	in := input(n, 4)
	if in == "" {
		return nil
	}
	v, err := t.get(in)
	if err != nil {
		return err
	}
	if v.konst == nil {
		return t.notConstant(in, "sequence_lens")
	}
	if v.konst.Len() != B {
		return fmt.Errorf("sequence_lens of shape %v for a batch of %d", v.shape, B)
	}
	for i := range B {
		if int(v.konst.At(i)) != T {
			return fmt.Errorf("sequence_lens %v: sequences shorter than the input's %d steps are not supported", v.konst.Shape, T)
		}
	}
	return nil
}

// cellWriter writes one recurrent node's directions.
type cellWriter struct {
	t       *translator
	n       *Node
	g, h, b int // gates, hidden size, batch
	nin     int
	lbr     bool // GRU's linear_before_reset
	prefix  string
}

// param declares a parameter for direction d named prefix_what (with
// _reverse for the second direction of a bidirectional node).
func (c *cellWriter) param(what string, d int, k *tensor.Tensor) string {
	name := c.prefix + "_" + what
	if d == 1 {
		name += "_reverse"
	}
	id := c.t.unique(name)
	c.t.decls = append(c.t.decls, fmt.Sprintf("param %s: %s = zeros()", id, c.t.typeString(k.DType, k.Shape)))
	c.t.params[id] = k
	return id
}

// direction writes direction d: its parameters, its cell method and the
// scan in forward; it returns the expressions of its hidden states
// [T, B, H] in time order and of its last hidden (and cell) state.
func (c *cellWriter) direction(d int, reverse bool, xid string, ws [3]*tensor.Tensor, peep *tensor.Tensor, acts []string) (y, yh, yc string, err error) {
	t, g, h := c.t, c.g, c.h
	ident := make([]int, g)
	for i := range ident {
		ident[i] = i
	}
	W := c.param("W", d, gatesColumns(ws[0], d*g*h, g*h, c.nin, ident))
	R := c.param("R", d, gatesColumns(ws[1], d*g*h, g*h, h, ident))
	wb, rb := tensor.New(tensor.F32, g*h), tensor.New(tensor.F32, g*h)
	if ws[2] != nil {
		wb = gatesColumns(ws[2], 2*d*g*h, g*h, 1, ident)
		rb = gatesColumns(ws[2], (2*d+1)*g*h, g*h, 1, ident)
		wb.Shape, rb.Shape = []int{g * h}, []int{g * h}
	}
	Wb, Rb := c.param("Wb", d, wb), c.param("Rb", d, rb)
	var P string
	if peep != nil {
		p := tensor.New(tensor.F32, 3*h)
		for i := range 3 * h {
			p.F32[i] = float32(peep.At(d*3*h + i))
		}
		P = c.param("P", d, p)
	}
	suffix := ""
	if reverse {
		suffix = "_reverse"
	}
	cell := t.unique(c.prefix + "_cell" + suffix)
	t.methods = append(t.methods, c.method(cell, R, Rb, P, reverse, acts))
	h0, c0, err := c.initial(d)
	if err != nil {
		return "", "", "", err
	}
	xw := t.unique(c.prefix + "_xw" + suffix)
	last, seq := t.unique(c.prefix+"_last"+suffix), t.unique(c.prefix+"_hs"+suffix)
	t.comment()
	t.body = append(t.body, fmt.Sprintf("%s = %s @ %s + %s", xw, xid, W, Wb))
	steps := xw
	if reverse {
		steps += "[::-1]"
	}
	init := h0
	if c.n.OpType == "LSTM" {
		init = "(" + h0 + ", " + c0 + ")"
	}
	t.body = append(t.body, fmt.Sprintf("%s, %s = scan(%s, %s, %s)", last, seq, cell, init, steps))
	y = seq
	if reverse {
		y += "[::-1]"
	}
	yh = last
	if c.n.OpType == "LSTM" {
		yh, yc = t.unique(c.prefix+"_h"+suffix), t.unique(c.prefix+"_c"+suffix)
		t.body = append(t.body, fmt.Sprintf("%s, %s = %s", yh, yc, last))
	}
	return y, yh, yc, nil
}

// initial returns direction d's initial hidden and cell states: slices of
// the initial_h and initial_c inputs, or zeros.
func (c *cellWriter) initial(d int) (h0, c0 string, err error) {
	zero := fmt.Sprintf("zeros([%d, %d])", c.b, c.h)
	h0, c0 = zero, zero
	layout := attrInt(c.n, "layout", 0)
	for i, s := range []*string{&h0, &c0} {
		in := input(c.n, 5+i)
		if in == "" || i == 1 && c.n.OpType != "LSTM" {
			continue
		}
		v, err := c.t.get(in)
		if err != nil {
			return "", "", err
		}
		if v.konst != nil && allZero(v.konst) {
			continue // zeros, as when absent
		}
		if v.dt != tensor.F32 || len(v.shape) != 3 {
			return "", "", fmt.Errorf("initial state of type %v%v", v.dt, v.shape)
		}
		id, err := c.t.operand(in)
		if err != nil {
			return "", "", err
		}
		if layout == 1 {
			*s = fmt.Sprintf("%s[:, %d]", id, d)
		} else {
			*s = fmt.Sprintf("%s[%d]", id, d)
		}
	}
	return h0, c0, nil
}

// method writes the cell: ONNX's equations for the node's operator, with
// f, g and h its activations.
func (c *cellWriter) method(name, R, Rb, P string, reverse bool, acts []string) string {
	h, g := c.h, c.g
	st := fmt.Sprintf("f32[%d, %d]", c.b, h)
	var b strings.Builder
	dir := "forward"
	if reverse {
		dir = "reverse"
	}
	fmt.Fprintf(&b, "// %s is the %s direction's step of %s (%s), as ONNX defines the operator", name, dir, commentSafe(nodeLabel(c.n)), c.n.OpType)
	f := func(i int) string { return cellActs[acts[i]] }
	xw := fmt.Sprintf("xw: f32[%d, %d]", c.b, g*h)
	switch c.n.OpType {
	case "RNN":
		fmt.Fprintf(&b, ".\nfn %s(h: %s, %s) -> (%s, %s) {\n", name, st, xw, st, st)
		fmt.Fprintf(&b, "h2 = %s(xw + h @ %s + %s)\nreturn h2, h2\n}", f(0), R, Rb)
	case "GRU":
		lbr := "0: the reset gate scales h before the recurrent product"
		if c.lbr {
			lbr = "1: the reset gate scales the recurrent product"
		}
		fmt.Fprintf(&b, "\n// (gates z, r, h; linear_before_reset = %s).\nfn %s(h: %s, %s) -> (%s, %s) {\n", lbr, name, st, xw, st, st)
		fmt.Fprintf(&b, "xz, xr, xh = split(xw, 3, axis = 1)\nrz, rr, rh = split(%s, 3, axis = 1)\nbz, br, bh = split(%s, 3)\n", R, Rb)
		fmt.Fprintf(&b, "z = %s(xz + h @ rz + bz)\nr = %s(xr + h @ rr + br)\n", f(0), f(0))
		if c.lbr {
			fmt.Fprintf(&b, "n = %s(xh + r * (h @ rh + bh))\n", f(1))
		} else {
			fmt.Fprintf(&b, "n = %s(xh + (r * h) @ rh + bh)\n", f(1))
		}
		b.WriteString("h2 = (1.0 - z) * n + z * h\nreturn h2, h2\n}")
	case "LSTM":
		b.WriteString("\n// (gates i, o, f, c")
		if P != "" {
			b.WriteString("; peepholes")
		}
		fmt.Fprintf(&b, ").\nfn %s(carry: (%s, %s), %s) -> ((%s, %s), %s) {\n", name, st, st, xw, st, st, st)
		fmt.Fprintf(&b, "h, c = carry\ngi, go, gf, gc = split(xw + h @ %s + %s, 4, axis = 1)\n", R, Rb)
		pi, po, pf := "", "", ""
		if P != "" {
			fmt.Fprintf(&b, "pi, po, pf = split(%s, 3)\n", P)
			pi, po, pf = " + pi * c", " + po * c2", " + pf * c"
		}
		fmt.Fprintf(&b, "i = %s(gi%s)\nf = %s(gf%s)\n", f(0), pi, f(0), pf)
		fmt.Fprintf(&b, "c2 = f * c + i * %s(gc)\n", f(1))
		fmt.Fprintf(&b, "o = %s(go%s)\nh2 = o * %s(c2)\nreturn (h2, c2), h2\n}", f(0), po, f(2))
	}
	return b.String()
}

// outputs emits Y, Y_h and Y_c in ONNX's layouts.
func (c *cellWriter) outputs(T, nd int, layout int64, hs, lastH, lastC []string) error {
	t, n, B, h := c.t, c.n, c.b, c.h
	join := func(xs []string, axis int) string {
		if len(xs) == 1 {
			return fmt.Sprintf("unsqueeze(%s, axis = %d)", xs[0], axis)
		}
		return fmt.Sprintf("stack(%s, axis = %d)", strings.Join(xs, ", "), axis)
	}
	used := func(i int) bool { return len(n.Outputs) > i && n.Outputs[i] != "" && t.uses[n.Outputs[i]] > 0 }
	if used(0) {
		if layout == 0 {
			t.emit(n.Outputs[0], join(hs, 1), tensor.F32, []int{T, nd, B, h})
		} else {
			t.emit(n.Outputs[0], "transpose("+join(hs, 1)+", [2, 0, 1, 3])", tensor.F32, []int{B, T, nd, h})
		}
	}
	for i, last := range [][]string{lastH, lastC} {
		if !used(i + 1) {
			continue
		}
		if i == 1 && n.OpType != "LSTM" {
			return fmt.Errorf("output %d (%s) is not supported", i+1, n.Outputs[i+1])
		}
		if layout == 0 {
			t.emit(n.Outputs[i+1], join(last, 0), tensor.F32, []int{nd, B, h})
		} else {
			t.emit(n.Outputs[i+1], join(last, 1), tensor.F32, []int{B, nd, h})
		}
	}
	return nil
}
