package onnx

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// handler translates one node.
type handler func(t *translator, n *Node) error

// unaryFns are the ONNX ops that are one .nn built-in of one argument.
var unaryFns = map[string]string{
	"Abs": "abs", "Exp": "exp", "Log": "log", "Sqrt": "sqrt", "Relu": "relu", "Sigmoid": "sigmoid",
	"Tanh": "tanh", "Sin": "sin", "Cos": "cos", "Erf": "erf", "Neg": "neg", "Softplus": "softplus",
	"Sign": "sign", "Mish": "mish",
}

// binaryOps are the ONNX ops that are one .nn operator or built-in of two.
var binaryOps = map[string]string{
	"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "pow",
	"Greater": ">", "Less": "<", "Equal": "==", "GreaterOrEqual": ">=", "LessOrEqual": "<=",
}

// handlers are the other supported ops.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"Identity": opIdentity, "Dropout": opIdentity, "Cast": opCast,
		"Constant": opConstant, "ConstantOfShape": opConstantOfShape, "Shape": opShape,
		"Reshape": opReshape, "Flatten": opFlatten, "Squeeze": opSqueeze, "Unsqueeze": opUnsqueeze,
		"Transpose": opTranspose, "Concat": opConcat, "Softmax": opSoftmax, "LogSoftmax": opSoftmax,
		"Sum": opVariadic, "Max": opVariadic, "Min": opVariadic, "Mean": opVariadic,
		"Clip": opClip, "Where": opWhere, "LeakyRelu": opActivation, "Elu": opActivation,
		"Selu": opActivation, "HardSigmoid": opActivation, "HardSwish": opActivation,
		"Softsign": opActivation, "Reciprocal": opActivation, "Gelu": opActivation,
		"ThresholdedRelu": opActivation, "Celu": opActivation, "PRelu": opPRelu,
		"ReduceMean": opReduce, "ReduceSum": opReduce, "ReduceMax": opReduce, "ReduceMin": opReduce,
		"ReduceProd": opReduce, "ReduceSumSquare": opReduce, "ReduceL1": opReduce, "ReduceL2": opReduce,
		"ReduceLogSumExp": opReduce, "ArgMax": opArg, "ArgMin": opArg,
		"MatMul": opMatMul, "Gemm": opGemm, "Conv": opConv, "MaxPool": opPool, "AveragePool": opPool,
		"GlobalAveragePool": opGlobalPool, "GlobalMaxPool": opGlobalPool,
		"BatchNormalization": opBatchNorm, "LRN": opLRN, "Pad": opPad, "Split": opSplit,
		"Gather": opGather, "Expand": opExpand, "LayerNormalization": opLayerNorm, "Slice": opSlice, "LSTM": opLSTM, "GRU": opGRU, "RNN": opRNNCell, "Trilu": opTrilu,
	}
}

// SupportedOps lists the ONNX operators Translate handles, sorted.
func SupportedOps() []string {
	var out []string
	for k := range unaryFns {
		out = append(out, k)
	}
	for k := range binaryOps {
		out = append(out, k)
	}
	for k := range handlers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// translateNode translates node i.
func (t *translator) translateNode(i int, n *Node) error {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return fmt.Errorf("operator domain %q is not supported", n.Domain)
	}
	if len(n.Outputs) == 0 {
		return fmt.Errorf("the node has no outputs")
	}
	if from, ok := t.folded[n]; ok {
		return t.alias(n.Outputs[0], from)
	}
	if fn, ok := unaryFns[n.OpType]; ok {
		x, err := t.get(input(n, 0))
		if err != nil {
			return err
		}
		id, _ := t.operand(input(n, 0))
		t.emit(n.Outputs[0], fn+"("+id+")", x.dt, x.shape)
		return nil
	}
	if op, ok := binaryOps[n.OpType]; ok {
		return t.binary(n, op)
	}
	h := handlers[n.OpType]
	if h == nil {
		return fmt.Errorf("operator %s is not supported", n.OpType)
	}
	return h(t, n)
}

// binary translates an elementwise op of two operands.
func (t *translator) binary(n *Node, op string) error {
	a, b, err := t.get2(n)
	if err != nil {
		return err
	}
	if b, err = t.legacyBroadcast(n, a, b); err != nil {
		return err
	}
	shape, err := broadcast(a.shape, b.shape)
	if err != nil {
		return err
	}
	if k := foldBinary(op, a.konst, b.konst, shape); k != nil {
		t.setConst(n, k)
		return nil
	}
	x, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	y, err := t.operandOf(input(n, 1), b)
	if err != nil {
		return err
	}
	dt := a.dt
	// .nn's arithmetic takes floats: integers compute in f64 (exact up to
	// 2^53) and convert back, division truncating toward zero as ONNX's.
	wide := !a.dt.IsFloat() || !b.dt.IsFloat()
	if wide {
		x, y = toF64(x, a.dt), toF64(y, b.dt)
	}
	var expr string
	switch op {
	case "pow":
		if !wide && a.dt != b.dt {
			y = "cast(" + y + ", " + a.dt.String() + ")"
		}
		expr = "pow(" + x + ", " + y + ")"
	case ">", "<", "==", ">=", "<=":
		// .nn comparisons give bools; ONNX's BOOL is held as 0 or 1 in
		// the operands' type here.
		if wide {
			dt = tensor.F64
		}
		expr, wide = "cast("+x+" "+op+" "+y+", "+dt.String()+")", false
	default:
		expr = x + " " + op + " " + y
	}
	if wide {
		expr = fromF64(expr, dt)
	}
	t.emit(n.Outputs[0], expr, dt, shape)
	return nil
}

// opIdentity is Identity, and Dropout as inference runs it: the input
// unchanged and a mask of ones.
func opIdentity(t *translator, n *Node) error {
	if n.OpType == "Dropout" && input(n, 2) != "" {
		if err := dropoutIdentity(t, n); err != nil {
			return err
		}
	}
	if err := t.alias(n.Outputs[0], input(n, 0)); err != nil {
		return err
	}
	if len(n.Outputs) > 1 && n.Outputs[1] != "" && t.uses[n.Outputs[1]] > 0 {
		x := t.vals[n.Outputs[0]]
		if err := concrete(x.shape); err != nil {
			return err
		}
		t.emit(n.Outputs[1], "ones("+intList(x.shape)+")", tensor.F32, x.shape)
	}
	return nil
}

func opCast(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	to := int32(attrInt(n, "to", 0))
	dt, ok := NNType(to)
	if !ok {
		return fmt.Errorf("cast to %s is not supported", DataTypeName(to))
	}
	if dt == x.dt {
		return t.alias(n.Outputs[0], input(n, 0))
	}
	if x.konst != nil {
		k := tensor.New(dt, x.konst.Shape...)
		for i := 0; i < k.Len(); i++ {
			k.Set(i, x.konst.At(i))
		}
		t.vals[n.Outputs[0]] = &value{dt: dt, shape: k.Shape, konst: k}
		return nil
	}
	id, _ := t.operand(input(n, 0))
	t.emit(n.Outputs[0], "cast("+id+", "+dt.String()+")", dt, x.shape)
	return nil
}

// setConst records a constant value for output 0.
func (t *translator) setConst(n *Node, k *tensor.Tensor) {
	t.vals[n.Outputs[0]] = &value{dt: k.DType, shape: k.Shape, konst: k}
}

func opConstant(t *translator, n *Node) error {
	if len(n.Attrs) != 1 {
		return fmt.Errorf("a Constant needs exactly one attribute")
	}
	a := n.Attrs[0]
	switch a.Name {
	case "value":
		if a.T == nil {
			return fmt.Errorf("value is not a tensor")
		}
		k, err := a.T.Values()
		if err != nil {
			return err
		}
		t.setConst(n, k)
	case "value_float":
		t.setConst(n, tensor.FromFloat64s(tensor.F32, nil, []float64{float64(a.F)}))
	case "value_int":
		k := tensor.New(tensor.I64)
		k.I64[0] = a.I
		t.setConst(n, k)
	case "value_floats":
		v := make([]float64, len(a.Floats))
		for i, f := range a.Floats {
			v[i] = float64(f)
		}
		t.setConst(n, tensor.FromFloat64s(tensor.F32, []int{len(v)}, v))
	case "value_ints":
		k := tensor.New(tensor.I64, len(a.Ints))
		copy(k.I64, a.Ints)
		t.setConst(n, k)
	default:
		return fmt.Errorf("attribute %s is not supported", a.Name)
	}
	return nil
}

func opConstantOfShape(t *translator, n *Node) error {
	shape, err := t.constInts(input(n, 0), "the shape")
	if err != nil {
		return err
	}
	if err := checkShape(shape); err != nil {
		return err
	}
	fill := tensor.FromFloat64s(tensor.F32, []int{1}, []float64{0})
	if a := n.Attr("value"); a != nil && a.T != nil {
		if fill, err = a.T.Values(); err != nil {
			return err
		}
		if fill.Len() != 1 {
			return fmt.Errorf("value must hold one element")
		}
	}
	k := tensor.New(fill.DType, shape...)
	v := fill.At(0)
	for i := 0; i < k.Len(); i++ {
		k.Set(i, v)
	}
	if fill.DType == tensor.I64 {
		for i := range k.I64 {
			k.I64[i] = fill.I64[0]
		}
	}
	t.setConst(n, k)
	return nil
}

func opShape(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	if err := concrete(x.shape); err != nil {
		return err
	}
	r := len(x.shape)
	start, end := int(attrInt(n, "start", 0)), int(attrInt(n, "end", int64(r)))
	start, end = clampAxis(start, r), clampAxis(end, r)
	k := tensor.New(tensor.I64, max(end-start, 0))
	for i := start; i < end; i++ {
		k.I64[i-start] = int64(x.shape[i])
	}
	t.setConst(n, k)
	return nil
}

// clampAxis is a Shape or Slice bound: negative counts from the end, then
// clamped to [0, r].
func clampAxis(a, r int) int {
	if a < 0 {
		a += r
	}
	return min(max(a, 0), r)
}

// reshapeTo makes output 0 x with a new shape: a folded constant when x is
// one, else reshape(x, shape) (or the given expression).
func (t *translator) reshapeTo(n *Node, x *value, shape []int, expr string) error {
	if x.konst != nil {
		if err := concrete(shape); err != nil {
			return err
		}
		t.setConst(n, reshaped(x.konst, shape))
		return nil
	}
	if expr == "" {
		if err := concrete(shape); err != nil {
			return err
		}
		id, _ := t.operand(input(n, 0))
		expr = "reshape(" + id + ", " + intList(shape) + ")"
	}
	t.emit(n.Outputs[0], expr, x.dt, shape)
	return nil
}

func opReshape(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	var want []int
	if t.opset < 5 {
		want, _, err = attrInts(n, "shape")
	} else {
		want, err = t.constInts(input(n, 1), "the shape")
	}
	if err != nil {
		return err
	}
	if err := concrete(x.shape); err != nil {
		return err
	}
	allowZero := attrInt(n, "allowzero", 0) == 1
	out := make([]int, len(want))
	infer := -1
	known := 1
	for i, d := range want {
		switch {
		case d == 0 && !allowZero:
			if i >= len(x.shape) {
				return fmt.Errorf("shape %v copies dimension %d of a rank-%d input", want, i, len(x.shape))
			}
			out[i] = x.shape[i]
		case d == -1:
			if infer >= 0 {
				return fmt.Errorf("shape %v has two -1", want)
			}
			infer = i
			continue
		case d < 0:
			return fmt.Errorf("shape %v has a negative dimension", want)
		default:
			out[i] = d
		}
		known *= max(out[i], 1)
	}
	total := numel(x.shape)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return fmt.Errorf("cannot infer the -1 of %v for %d elements", want, total)
		}
		out[infer] = total / known
	}
	if numel(out) != total {
		return fmt.Errorf("shape %v holds %d elements, the input %d", want, numel(out), total)
	}
	return t.reshapeTo(n, x, out, "")
}

func opFlatten(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	r := len(x.shape)
	a := int(attrInt(n, "axis", 1))
	if a < 0 {
		a += r
	}
	if a < 0 || a > r {
		return fmt.Errorf("axis %d is out of range for rank %d", a, r)
	}
	if a == 1 && r >= 2 && x.konst == nil && concrete(x.shape[1:]) == nil {
		id, _ := t.operand(input(n, 0))
		return t.reshapeTo(n, x, []int{x.shape[0], numel(x.shape[1:])}, "flatten("+id+")")
	}
	if err := concrete(x.shape); err != nil {
		return err
	}
	return t.reshapeTo(n, x, []int{numel(x.shape[:a]), numel(x.shape[a:])}, "")
}

// axesOf reads an axes attribute (before opset v) or input 1 (from v on),
// nil when neither is given.
func (t *translator) axesOf(n *Node, v int64) ([]int, error) {
	if t.opset < v {
		axes, _, err := attrInts(n, "axes")
		return axes, err
	}
	if input(n, 1) == "" {
		return nil, nil
	}
	return t.constInts(input(n, 1), "the axes")
}

func opSqueeze(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	axes, err := t.axesOf(n, 13)
	if err != nil {
		return err
	}
	drop := map[int]bool{}
	for _, a := range axes {
		a, err := axis(a, len(x.shape))
		if err != nil {
			return err
		}
		if x.shape[a] != 1 {
			return fmt.Errorf("axis %d has size %d, not 1", a, x.shape[a])
		}
		drop[a] = true
	}
	var out []int
	for i, d := range x.shape {
		if axes == nil && d == 1 || drop[i] {
			continue
		}
		out = append(out, d)
	}
	expr := ""
	if len(axes) == 1 && x.konst == nil {
		id, _ := t.operand(input(n, 0))
		a, _ := axis(axes[0], len(x.shape))
		expr = fmt.Sprintf("squeeze(%s, axis = %d)", id, a)
	}
	return t.reshapeTo(n, x, out, expr)
}

func opUnsqueeze(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	axes, err := t.axesOf(n, 13)
	if err != nil {
		return err
	}
	r := len(x.shape) + len(axes)
	ins := map[int]bool{}
	for _, a := range axes {
		a, err := axis(a, r)
		if err != nil {
			return err
		}
		if ins[a] {
			return fmt.Errorf("axis %d appears twice", a)
		}
		ins[a] = true
	}
	out := make([]int, 0, r)
	j := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			out = append(out, 1)
		} else {
			out = append(out, x.shape[j])
			j++
		}
	}
	expr := ""
	if len(axes) == 1 && x.konst == nil {
		id, _ := t.operand(input(n, 0))
		a, _ := axis(axes[0], r)
		expr = fmt.Sprintf("unsqueeze(%s, axis = %d)", id, a)
	}
	return t.reshapeTo(n, x, out, expr)
}

func opTranspose(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	r := len(x.shape)
	perm, ok, err := attrInts(n, "perm")
	if err != nil {
		return err
	}
	if !ok {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, i)
		}
	}
	if len(perm) != r {
		return fmt.Errorf("perm %v for rank %d", perm, r)
	}
	out := make([]int, r)
	seen := map[int]bool{}
	for i, p := range perm {
		if p < 0 || p >= r || seen[p] {
			return fmt.Errorf("perm %v is not a permutation", perm)
		}
		seen[p] = true
		out[i] = x.shape[p]
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	t.emit(n.Outputs[0], "transpose("+id+", "+intList(perm)+")", x.dt, out)
	return nil
}

func opConcat(t *translator, n *Node) error {
	first, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	r := len(first.shape)
	a, err := axis(int(attrInt(n, "axis", 1)), r)
	if err != nil {
		return err
	}
	out := append([]int(nil), first.shape...)
	ids := []string{}
	allConst := true
	for i, in := range n.Inputs {
		v, err := t.get(in)
		if err != nil {
			return err
		}
		if len(v.shape) != r {
			return fmt.Errorf("input %d has rank %d, not %d", i, len(v.shape), r)
		}
		if i > 0 {
			out[a] += v.shape[a]
		}
		allConst = allConst && v.konst != nil
	}
	if allConst && r == 1 {
		k := tensor.New(first.dt, out...)
		j := 0
		for _, in := range n.Inputs {
			c := t.vals[in].konst
			for e := 0; e < c.Len(); e++ {
				k.Set(j, c.At(e))
				if k.DType == tensor.I64 && c.DType == tensor.I64 {
					k.I64[j] = c.I64[e]
				}
				j++
			}
		}
		t.setConst(n, k)
		return nil
	}
	for _, in := range n.Inputs {
		id, err := t.operand(in)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	t.emit(n.Outputs[0], fmt.Sprintf("concat(%s, axis = %d)", strings.Join(ids, ", "), a), first.dt, out)
	return nil
}

func opSoftmax(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	fn := "softmax"
	if n.OpType == "LogSoftmax" {
		fn = "log_softmax"
	}
	r := len(x.shape)
	def := int64(-1)
	if t.opset < 13 {
		def = 1
	}
	a, err := axis(int(attrInt(n, "axis", def)), r)
	if err != nil {
		return err
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	if t.opset >= 13 || a == r-1 {
		t.emit(n.Outputs[0], fmt.Sprintf("%s(%s, axis = %d)", fn, id, a), x.dt, x.shape)
		return nil
	}
	// Before opset 13 the op flattens the axes from `axis` on into one.
	if err := concrete(x.shape); err != nil {
		return err
	}
	flat := intList([]int{numel(x.shape[:a]), numel(x.shape[a:])})
	t.emit(n.Outputs[0], fmt.Sprintf("reshape(%s(reshape(%s, %s), axis = 1), %s)", fn, id, flat, intList(x.shape)), x.dt, x.shape)
	return nil
}

func opVariadic(t *translator, n *Node) error {
	first, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	if k := t.foldVariadic(n); k != nil {
		t.setConst(n, k)
		return nil
	}
	shape := first.shape
	expr, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	wide := !first.dt.IsFloat()
	if wide {
		expr = toF64(expr, first.dt)
	}
	for _, in := range n.Inputs[1:] {
		v, err := t.get(in)
		if err != nil {
			return err
		}
		if shape, err = broadcast(shape, v.shape); err != nil {
			return err
		}
		id, err := t.operand(in)
		if err != nil {
			return err
		}
		if wide {
			id = toF64(id, v.dt)
		}
		switch n.OpType {
		case "Sum", "Mean":
			expr = expr + " + " + id
		case "Max":
			expr = "maximum(" + expr + ", " + id + ")"
		case "Min":
			expr = "minimum(" + expr + ", " + id + ")"
		}
	}
	if n.OpType == "Mean" && len(n.Inputs) > 1 {
		expr = fmt.Sprintf("(%s) / %d.0", expr, len(n.Inputs))
	}
	if wide {
		expr = fromF64(expr, first.dt)
	}
	t.emit(n.Outputs[0], expr, first.dt, shape)
	return nil
}

// foldVariadic folds Sum, Max and Min of integer constants.
func (t *translator) foldVariadic(n *Node) *tensor.Tensor {
	op := map[string]string{"Sum": "+", "Max": "max", "Min": "min"}[n.OpType]
	var acc *tensor.Tensor
	for _, in := range n.Inputs {
		v := t.vals[in]
		if op == "" || v == nil || v.konst == nil {
			return nil
		}
		if acc == nil {
			acc = v.konst
			continue
		}
		shape, err := broadcast(acc.Shape, v.shape)
		if err != nil {
			return nil
		}
		if acc = foldBinary(op, acc, v.konst, shape); acc == nil {
			return nil
		}
	}
	if acc == nil || acc.DType.IsFloat() || acc.DType == tensor.Bool {
		return nil
	}
	return acc
}

func opClip(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	wide := !x.dt.IsFloat()
	if wide {
		id = toF64(id, x.dt)
	}
	// The bounds: attributes before opset 11, optional inputs since.
	var bounds [2]string
	if t.opset < 11 {
		if lo := attrFloat(n, "min", math.Inf(-1)); !math.IsInf(lo, 0) {
			bounds[0] = floatLit(lo)
		}
		if hi := attrFloat(n, "max", math.Inf(1)); !math.IsInf(hi, 0) {
			bounds[1] = floatLit(hi)
		}
	} else {
		for i := range bounds {
			in := input(n, i+1)
			if in == "" {
				continue
			}
			v, err := t.get(in)
			if err != nil {
				return err
			}
			if bounds[i], err = t.operand(in); err != nil {
				return err
			}
			if wide {
				bounds[i] = toF64(bounds[i], v.dt)
			}
		}
	}
	expr := id
	if bounds[0] != "" {
		expr = "maximum(" + expr + ", " + bounds[0] + ")"
	}
	if bounds[1] != "" {
		expr = "minimum(" + expr + ", " + bounds[1] + ")"
	}
	if wide {
		expr = fromF64(expr, x.dt)
	}
	t.emit(n.Outputs[0], expr, x.dt, x.shape)
	return nil
}

func opWhere(t *translator, n *Node) error {
	var shape []int
	var ids []string
	var dt tensor.DType
	for i := 0; i < 3; i++ {
		v, err := t.get(input(n, i))
		if err != nil {
			return err
		}
		if i == 0 {
			shape = v.shape
		} else if shape, err = broadcast(shape, v.shape); err != nil {
			return err
		}
		if i == 1 {
			dt = v.dt
		}
		id, err := t.operand(input(n, i))
		if err != nil {
			return err
		}
		if i > 0 && !dt.IsFloat() {
			id = toF64(id, v.dt)
		}
		ids = append(ids, id)
	}
	expr := "where(" + strings.Join(ids, ", ") + ")"
	if !dt.IsFloat() {
		expr = fromF64(expr, dt)
	}
	t.emit(n.Outputs[0], expr, dt, shape)
	return nil
}
