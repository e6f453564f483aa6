package onnx

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// window is the geometry of a convolution or pooling over the spatial
// axes: kernel, strides, dilations, begin and end pads, and the output
// sizes.
type window struct {
	k, s, d, pb, pe, out []int
}

// symmetric reports whether every axis pads its two ends alike.
func (w window) symmetric() bool {
	for i := range w.pb {
		if w.pb[i] != w.pe[i] {
			return false
		}
	}
	return true
}

// padList spells w's pads as pad()'s list for the spatial axes.
func (w window) padList() string {
	var p []int
	for i := range w.pb {
		p = append(p, w.pb[i], w.pe[i])
	}
	return intList(p)
}

func (w window) anyPad() bool {
	for i := range w.pb {
		if w.pb[i] != 0 || w.pe[i] != 0 {
			return true
		}
	}
	return false
}

// geometry reads the window attributes of a node over input x (rank 2 +
// len(kernel)); ceil rounds the output size up as ceil_mode does.
func geometry(n *Node, x *value, kernel []int, ceil bool) (window, error) {
	r := len(kernel)
	w := window{k: kernel}
	if len(x.shape) != r+2 {
		return w, fmt.Errorf("input of rank %d for a %d-D window", len(x.shape), r)
	}
	in := x.shape[2:]
	if err := concrete(in); err != nil {
		return w, err
	}
	ones := func(name string) ([]int, error) {
		v, ok, err := attrInts(n, name)
		if err != nil || !ok {
			v = make([]int, r)
			for i := range v {
				v[i] = 1
			}
		}
		if len(v) != r {
			return nil, fmt.Errorf("%s has %d values for %d axes", name, len(v), r)
		}
		for _, e := range v {
			if e < 1 {
				return nil, fmt.Errorf("%s %v must be positive", name, v)
			}
		}
		return v, err
	}
	var err error
	if w.s, err = ones("strides"); err != nil {
		return w, err
	}
	if w.d, err = ones("dilations"); err != nil {
		return w, err
	}
	w.pb, w.pe, w.out = make([]int, r), make([]int, r), make([]int, r)
	switch ap := attrString(n, "auto_pad", "NOTSET"); ap {
	case "NOTSET", "":
		pads, ok, err := attrInts(n, "pads")
		if err != nil {
			return w, err
		}
		if ok {
			if len(pads) != 2*r {
				return w, fmt.Errorf("pads %v for %d axes", pads, r)
			}
			for i := 0; i < r; i++ {
				w.pb[i], w.pe[i] = pads[i], pads[i+r]
				if w.pb[i] < 0 || w.pe[i] < 0 {
					return w, fmt.Errorf("negative pads %v", pads)
				}
			}
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for i := 0; i < r; i++ {
			out := (in[i] + w.s[i] - 1) / w.s[i]
			total := max((out-1)*w.s[i]+(w.k[i]-1)*w.d[i]+1-in[i], 0)
			w.pb[i] = total / 2
			if ap == "SAME_LOWER" {
				w.pb[i] = total - total/2
			}
			w.pe[i] = total - w.pb[i]
		}
	default:
		return w, fmt.Errorf("auto_pad %q is not supported", ap)
	}
	for i := 0; i < r; i++ {
		span := in[i] + w.pb[i] + w.pe[i] - ((w.k[i]-1)*w.d[i] + 1)
		if span < 0 {
			return w, fmt.Errorf("the window is larger than the padded input")
		}
		w.out[i] = span/w.s[i] + 1
		if ceil && span%w.s[i] != 0 {
			w.out[i]++
			if (w.out[i]-1)*w.s[i] >= in[i]+w.pb[i] {
				w.out[i]--
			}
		}
	}
	return w, nil
}

// kernelOf reads kernel_shape, or the weight's spatial dimensions.
func kernelOf(n *Node, weight *value) ([]int, error) {
	k, ok, err := attrInts(n, "kernel_shape")
	if err != nil || ok {
		return k, err
	}
	if weight == nil || len(weight.shape) < 3 {
		return nil, fmt.Errorf("kernel_shape is missing")
	}
	return weight.shape[2:], nil
}

func allSame(xs []int) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

func opConv(t *translator, n *Node) error {
	x, wv, err := t.get2(n)
	if err != nil {
		return err
	}
	k, err := kernelOf(n, wv)
	if err != nil {
		return err
	}
	if len(k) < 1 || len(k) > 3 {
		return fmt.Errorf("%d-D convolution is not supported (1-D to 3-D are)", len(k))
	}
	w, err := geometry(n, x, k, false)
	if err != nil {
		return err
	}
	g := int(attrInt(n, "group", 1))
	if len(wv.shape) != len(k)+2 || g < 1 || x.shape[1] != wv.shape[1]*g {
		return fmt.Errorf("weight %v does not fit input %v with %d groups", wv.shape, x.shape, g)
	}
	cout := wv.shape[0]
	shape := append([]int{x.shape[0], cout}, w.out...)
	var bias *value
	if in := input(n, 2); in != "" {
		if bias, err = t.get(in); err != nil {
			return err
		}
	}
	xid, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	// A constant weight and bias make an nn.Conv2D (square kernel) or an
	// nn.Conv3D.
	layer := wv.konst != nil && bias != nil && bias.konst != nil && allSame(w.s) && allSame(w.d) &&
		(len(k) == 2 && allSame(k) || len(k) == 3)
	padArg, padOpt := w.pb, ""
	switch {
	case !w.symmetric() && layer:
		// The layers pad alike on all sides: pad the input before it.
		xid = "pad(" + xid + ", " + w.padList() + ")"
		padArg = make([]int, len(k))
	case !w.symmetric():
		padOpt = ", pad = " + w.padList()
	case !allSame(padArg) || padArg[0] != 0:
		padOpt = ", pad = " + intOrList(padArg)
	}
	layer = layer && allSame(padArg)
	opts := ""
	if !allSame(w.s) || w.s[0] != 1 {
		opts += ", stride = " + intOrList(w.s)
	}
	opts += padOpt
	if !allSame(w.d) || w.d[0] != 1 {
		opts += ", dilation = " + intOrList(w.d)
	}
	if g != 1 {
		opts += fmt.Sprintf(", groups = %d", g)
	}
	if layer {
		name := t.layerName(n, "conv")
		lopts, layerName := fmt.Sprintf(", kernel = %d", k[0])+opts, "nn.Conv2D"
		if len(k) == 3 {
			lopts, layerName = ", kernel = "+intList(k)+opts, "nn.Conv3D"
		}
		t.decls = append(t.decls, fmt.Sprintf("%s = %s(%d, %d%s)", name, layerName, x.shape[1], cout, lopts))
		t.params[name+".K"] = wv.konst
		t.params[name+".b"] = reshaped(bias.konst, []int{cout})
		t.emit(n.Outputs[0], name+"("+xid+")", x.dt, shape)
		return nil
	}
	kid, err := t.operand(input(n, 1))
	if err != nil {
		return err
	}
	expr := fmt.Sprintf("conv%dd(%s, %s%s)", len(k), xid, kid, opts)
	if bias != nil {
		bid, err := t.operand(input(n, 2))
		if err != nil {
			return err
		}
		ones := strings.Repeat(", 1", len(k))
		expr += fmt.Sprintf(" + reshape(%s, [%d%s])", bid, cout, ones)
	}
	t.emit(n.Outputs[0], expr, x.dt, shape)
	return nil
}

func opPool(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	indices := false
	for i, o := range n.Outputs[1:] {
		if o != "" && t.uses[o] > 0 {
			if i > 0 || n.OpType != "MaxPool" {
				return fmt.Errorf("output %s is not supported", o)
			}
			indices = true
		}
	}
	k, err := kernelOf(n, nil)
	if err != nil {
		return err
	}
	if len(k) < 1 || len(k) > 3 {
		return fmt.Errorf("%d-D pooling is not supported (1-D to 3-D are)", len(k))
	}
	ceil := attrInt(n, "ceil_mode", 0) == 1
	w, err := geometry(n, x, k, ceil)
	if err != nil {
		return err
	}
	shape := append([]int{x.shape[0], x.shape[1]}, w.out...)
	xid, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	if !x.dt.IsFloat() {
		xid = toF64(xid, x.dt)
	}
	if len(k) == 1 {
		// 1-D pooling is 2-D pooling of a height-1 image.
		if err := concrete(x.shape); err != nil {
			return err
		}
		xid = fmt.Sprintf("reshape(%s, [%d, %d, 1, %d])", xid, x.shape[0], x.shape[1], x.shape[2])
		w = window{k: []int{1, k[0]}, s: []int{1, w.s[0]}, d: []int{1, w.d[0]}, pb: []int{0, w.pb[0]}, pe: []int{0, w.pe[0]}, out: []int{1, w.out[0]}}
		k = w.k
	}
	opts := ""
	if !allSame(w.s) || w.s[0] != k[0] || !allSame(k) {
		opts += ", stride = " + intOrList(w.s)
	}
	for i := range k {
		if w.pb[i] > (k[i]-1)*w.d[i] || w.pe[i] > (k[i]-1)*w.d[i] {
			return fmt.Errorf("pads %v reach past the window %v: a window would hold only padding", w.padList(), k)
		}
	}
	switch {
	case !w.symmetric():
		opts += ", pad = " + w.padList()
	case w.anyPad():
		opts += ", pad = " + intOrList(w.pb)
	}
	if ceil {
		opts += ", ceil_mode = true"
	}
	fn := fmt.Sprintf("max_pool%dd", len(k))
	if n.OpType == "AveragePool" {
		fn = fmt.Sprintf("avg_pool%dd", len(k))
		if attrInt(n, "count_include_pad", 0) == 0 && w.anyPad() {
			opts += ", count_include_pad = false"
		}
	}
	if !allSame(w.d) || w.d[0] != 1 {
		opts += ", dilation = " + intOrList(w.d)
	}
	expr := fmt.Sprintf("%s(%s, %s%s)", fn, xid, intOrList(k), opts)
	var ind string
	if indices {
		ind = t.poolIndices(n, x, xid, fmt.Sprintf(", %s%s", intOrList(k), opts), fn)
	}
	if len(shape) == 3 {
		expr = fmt.Sprintf("reshape(%s, %s)", expr, intList(shape))
		ind = fmt.Sprintf("reshape(%s, %s)", ind, intList(shape))
	}
	if !x.dt.IsFloat() {
		expr = fromF64(expr, x.dt)
	}
	t.emit(n.Outputs[0], expr, x.dt, shape)
	if indices {
		t.emit(n.Outputs[1], ind, tensor.I64, shape)
	}
	return nil
}

// poolIndices writes MaxPool's Indices output: the flat index into x of
// each window's maximum (with storage_order = 1, the spatial axes of each
// plane counted column-major, the planes in order). It is the
// directional derivative of the max pooling along the tensor of x's own
// indices, since a max pooling's JVP reads the tangent at each window's
// first maximum; x is taken in f64, which holds every index exactly.
func (t *translator) poolIndices(n *Node, x *value, xid, args, fn string) string {
	xd := xid
	if x.dt == tensor.F32 {
		xd = t.ident(n.Outputs[1] + "_x")
		t.comment()
		t.body = append(t.body, fmt.Sprintf("%s = cast(%s, f64)", xd, xid))
	}
	total := 1
	for _, d := range x.shape {
		total *= d
	}
	in := append([]int(nil), x.shape...)
	if len(in) == 3 { // pooled as [N, C, 1, W]
		in = []int{in[0], in[1], 1, in[2]}
	}
	grid := fmt.Sprintf("reshape(arange(0, %d, dtype = f64), %s)", total, intList(in))
	if attrInt(n, "storage_order", 0) == 1 && len(in) > 3 {
		rev, perm := []int{in[0], in[1]}, []int{0, 1}
		for i := len(in) - 1; i >= 2; i-- {
			rev, perm = append(rev, in[i]), append(perm, i)
		}
		grid = fmt.Sprintf("transpose(reshape(arange(0, %d, dtype = f64), %s), %s)", total, intList(rev), intList(perm))
	}
	return fmt.Sprintf("cast(jvp(%s(%s%s), %s, %s), i64)", fn, xd, args, xd, grid)
}

func opGlobalPool(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	if len(x.shape) < 3 {
		return fmt.Errorf("input of rank %d", len(x.shape))
	}
	var axes []int
	shape := append([]int(nil), x.shape...)
	for i := 2; i < len(x.shape); i++ {
		axes = append(axes, i)
		shape[i] = 1
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	fn := "mean"
	if n.OpType == "GlobalMaxPool" {
		fn = "max"
	}
	t.emit(n.Outputs[0], fmt.Sprintf("%s(%s, axis = %s, keepdims = true)", fn, id, intList(axes)), x.dt, shape)
	return nil
}

func opBatchNorm(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	if len(x.shape) < 2 {
		return fmt.Errorf("input of rank %d", len(x.shape))
	}
	eps := attrFloat(n, "epsilon", 1e-5)
	mom := attrFloat(n, "momentum", 0.9)
	if attrInt(n, "training_mode", 0) != 0 {
		return batchNormTraining(t, n, x, eps, mom)
	}
	for _, o := range n.Outputs[1:] {
		if o != "" && t.uses[o] > 0 {
			return fmt.Errorf("training-mode outputs are not supported")
		}
	}
	if t.opset < 9 && attrInt(n, "spatial", 1) != 1 {
		return fmt.Errorf("spatial = 0 is not supported")
	}
	var vs [4]*value
	allConst := true
	for i := range vs {
		if vs[i], err = t.get(input(n, i+1)); err != nil {
			return err
		}
		allConst = allConst && vs[i].konst != nil && len(vs[i].shape) == 1 && vs[i].shape[0] == x.shape[1]
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	if allConst && x.dt == tensor.F32 {
		name := t.layerName(n, "bn")
		opts := ", eps = " + floatLit(eps)
		if d := 1 - mom; d < 0.0999999 || d > 0.1000001 {
			opts += ", momentum = " + floatLit(d)
		}
		t.decls = append(t.decls, fmt.Sprintf("%s = nn.BatchNorm(%d%s)", name, x.shape[1], opts))
		for i, p := range []string{"gamma", "beta", "running_mean", "running_var"} {
			t.params[name+"."+p] = vs[i].konst
		}
		t.emit(n.Outputs[0], name+"("+id+")", x.dt, x.shape)
		return nil
	}
	var ids [4]string
	for i := range ids {
		if ids[i], err = t.operand(input(n, i+1)); err != nil {
			return err
		}
	}
	t.emit(n.Outputs[0], fmt.Sprintf("batch_norm(%s, %s, %s, mean = %s, var = %s, eps = %s)", id, ids[0], ids[1], ids[2], ids[3], floatLit(eps)), x.dt, x.shape)
	return nil
}

// batchNormTraining is BatchNormalization with training_mode = 1, as
// ONNX defines it: Y normalized by the batch's statistics (batch_norm
// without mean and var: the mean and the population variance over every
// axis but the channels), and the updated running statistics
// input_mean·momentum + batch mean·(1 - momentum), the variance alike.
func batchNormTraining(t *translator, n *Node, x *value, eps, mom float64) error {
	var ids [5]string
	for i := range ids {
		v, err := t.get(input(n, i))
		if err != nil {
			return err
		}
		if i > 0 && (len(v.shape) != 1 || v.shape[0] != x.shape[1] || v.dt != x.dt) {
			return fmt.Errorf("input %d of type %v%v for %d channels", i, v.dt, v.shape, x.shape[1])
		}
		if ids[i], err = t.operand(input(n, i)); err != nil {
			return err
		}
	}
	if !x.dt.IsFloat() {
		return fmt.Errorf("input of type %v", x.dt)
	}
	var axes []int
	for i := range x.shape {
		if i != 1 {
			axes = append(axes, i)
		}
	}
	t.emit(n.Outputs[0], fmt.Sprintf("batch_norm(%s, %s, %s, eps = %s)", ids[0], ids[1], ids[2], floatLit(eps)), x.dt, x.shape)
	for i, stat := range []string{"mean", "var"} {
		if i+1 >= len(n.Outputs) {
			break
		}
		if o := n.Outputs[i+1]; o != "" && t.uses[o] > 0 {
			t.emit(o, fmt.Sprintf("%s * %s + %s(%s, axis = %s) * (1.0 - %s)", ids[3+i], floatLit(mom), stat, ids[0], intList(axes), floatLit(mom)),
				x.dt, []int{x.shape[1]})
		}
	}
	return nil
}

// opLRN is local response normalization across channels, written with
// built-ins: the windowed sum of squares is an average pooling over the
// channel axis of the zero-padded squares.
func opLRN(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	if len(x.shape) != 4 {
		return fmt.Errorf("input of rank %d (4 is supported)", len(x.shape))
	}
	if err := concrete(x.shape); err != nil {
		return err
	}
	size := int(attrInt(n, "size", 0))
	if size < 1 {
		return fmt.Errorf("size %d", size)
	}
	alpha, beta, bias := attrFloat(n, "alpha", 1e-4), attrFloat(n, "beta", 0.75), attrFloat(n, "bias", 1)
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	N, C, H, W := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	lo, hi := (size-1)/2, size-1-(size-1)/2
	sq := t.ident(n.Outputs[0] + "_sq")
	t.comment()
	t.body = append(t.body, fmt.Sprintf("%s = pad(reshape(square(%s), [%d, 1, %d, %d]), [%d, %d, 0, 0])", sq, id, N, C, H*W, lo, hi))
	avg := fmt.Sprintf("reshape(avg_pool2d(%s, [%d, 1], stride = 1), [%d, %d, %d, %d])", sq, size, N, C, H, W)
	t.emit(n.Outputs[0], fmt.Sprintf("%s / pow(%s + %s * %s, %s)", id, floatLit(bias), floatLit(alpha), avg, floatLit(beta)), x.dt, x.shape)
	return nil
}

func opPad(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	r := len(x.shape)
	mode := attrString(n, "mode", "constant")
	if mode != "constant" && mode != "reflect" && mode != "edge" {
		return fmt.Errorf("mode %q is not supported (constant, reflect and edge are)", mode)
	}
	var pads []int
	value := 0.0
	if t.opset < 11 {
		if pads, _, err = attrInts(n, "pads"); err != nil {
			return err
		}
		value = attrFloat(n, "value", 0)
	} else {
		if pads, err = t.constInts(input(n, 1), "the pads"); err != nil {
			return err
		}
		if in := input(n, 2); in != "" {
			if value, err = t.constFloat(in, "the constant value"); err != nil {
				return err
			}
		}
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if in := input(n, 3); in != "" {
		if axes, err = t.constInts(in, "the axes"); err != nil {
			return err
		}
	}
	if len(pads) != 2*len(axes) {
		return fmt.Errorf("%d pads for %d axes", len(pads), len(axes))
	}
	begin, end := make([]int, r), make([]int, r)
	for i, a := range axes {
		a, err := axis(a, r)
		if err != nil {
			return err
		}
		begin[a], end[a] = pads[i], pads[i+len(axes)]
		if begin[a] < 0 || end[a] < 0 {
			return fmt.Errorf("negative pads (cropping) are not supported")
		}
	}
	first := r
	shape := append([]int(nil), x.shape...)
	var list []int
	for i := 0; i < r; i++ {
		if begin[i] != 0 || end[i] != 0 {
			first = min(first, i)
			shape[i] += begin[i] + end[i]
		}
	}
	for i := first; i < r; i++ {
		list = append(list, begin[i], end[i])
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	if first == r {
		t.emit(n.Outputs[0], id, x.dt, x.shape)
		return nil
	}
	expr := "pad(" + id + ", " + intList(list)
	if value != 0 && mode == "constant" {
		expr += ", value = " + floatLit(value)
	}
	if mode != "constant" {
		expr += ", mode = \"" + mode + "\""
	}
	t.emit(n.Outputs[0], expr+")", x.dt, shape)
	return nil
}
