package onnx

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// MinOpset and MaxOpset bound the default-domain opset versions Translate
// accepts. Opset 6 is the version of older PyTorch exports; its binary ops'
// legacy broadcast attribute is honoured.
const (
	MinOpset = 6
	MaxOpset = 22
)

// Options control Translate.
type Options struct {
	Model  string // the model's name in the .nn source (default "Net")
	Source string // the model file's name, for the header comment
	// Fixed gives graph inputs values at import: they become constants
	// rather than arguments (axes, shapes or split sizes a graph takes as
	// inputs must be known when the program is written).
	Fixed map[string]*tensor.Tensor
}

// Result is a translated model.
type Result struct {
	Source  []byte                    // the formatted .nn program
	Entry   string                    // the entry to run: "Net.forward"
	Params  map[string]*tensor.Tensor // the weights, by parameter path
	Inputs  []string                  // the entry's arguments, in order: .nn names
	Outputs []string                  // the ONNX names of the results, in order
	// InputNames are the ONNX names of the arguments, in Inputs' order.
	InputNames []string
}

// UnsupportedError lists every node the translator cannot express, with
// its operator, in graph order.
type UnsupportedError struct {
	Nodes []string // "name (OpType): why"
	// NeedFixed are graph inputs a node needs as constants: Options.Fixed
	// can give them values.
	NeedFixed []string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("onnx: %d nodes cannot be imported:\n  %s", len(e.Nodes), strings.Join(e.Nodes, "\n  "))
}

// value is an ONNX value as the translation knows it.
type value struct {
	id    string         // the .nn expression naming it ("" while a constant not yet declared)
	dt    tensor.DType   // element type
	shape []int          // dimensions; symbolic ones are negative (see translator.syms)
	konst *tensor.Tensor // its value, when known at import time
	bad   bool           // computed by a node that could not be translated
}

// translator holds one translation's state.
type translator struct {
	g         *Graph
	opset     int64
	o         Options
	vals      map[string]*value
	used      map[string]bool // identifiers taken
	syms      []string        // names of symbolic dimensions: dim -1-i is syms[i]
	symIDs    []string        // their shape variables in the source
	decls     []string        // model-level lines (params, layers)
	body      []string        // forward's lines
	methods   []string        // methods before forward (recurrent cells), each with its comment
	params    map[string]*tensor.Tensor
	uses      map[string]int // how many node inputs read each ONNX value
	bad       []string
	node      *Node            // the node being translated
	commented *Node            // the node whose comment was written last
	needFixed []string         // graph inputs wanted as constants
	folded    map[*Node]string // nodes folded into the layer before them: the value they alias
}

// Translate turns a decoded model into a .nn program and its weights.
func Translate(m *Model, o Options) (*Result, error) {
	if o.Model == "" {
		o.Model = "Net"
	}
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("onnx: the model has no graph")
	}
	opset := m.Opset()
	if opset < MinOpset || opset > MaxOpset {
		return nil, fmt.Errorf("onnx: the model imports opset %d of the ONNX domain; nnc imports opsets %d to %d", opset, MinOpset, MaxOpset)
	}
	t := &translator{g: m.Graph, opset: opset, o: o, vals: map[string]*value{}, used: map[string]bool{},
		params: map[string]*tensor.Tensor{}, uses: map[string]int{}, folded: map[*Node]string{}}
	for _, w := range reservedNames() {
		t.used[w] = true
	}
	t.used[o.Model] = true
	if !validIdent(o.Model) {
		return nil, fmt.Errorf("onnx: model name %q is not an identifier", o.Model)
	}
	return t.run()
}

func (t *translator) run() (*Result, error) {
	res := &Result{Entry: t.o.Model + ".forward", Params: t.params}
	for _, init := range t.g.Initializers {
		v, err := init.Values()
		if err != nil {
			return nil, fmt.Errorf("onnx: initializer: %v", err)
		}
		t.vals[init.Name] = &value{dt: v.DType, shape: v.Shape, konst: v}
	}
	produced := map[string]bool{}
	for _, n := range t.g.Nodes {
		for _, o := range n.Outputs {
			produced[o] = true
		}
	}
	var args []string
	for _, in := range t.g.Inputs {
		if k := t.o.Fixed[in.Name]; k != nil {
			t.vals[in.Name] = &value{dt: k.DType, shape: k.Shape, konst: k}
			continue
		}
		if _, isInit := t.vals[in.Name]; isInit || produced[in.Name] {
			// IR 3 lists initializers among the inputs; models whose
			// initializers became ConstantOfShape nodes keep them there.
			continue
		}
		typ, dt, shape, err := t.valueType(in)
		if err != nil {
			return nil, err
		}
		id := t.ident(in.Name)
		t.vals[in.Name] = &value{id: id, dt: dt, shape: shape}
		args = append(args, id+": "+typ)
		res.Inputs = append(res.Inputs, id)
		res.InputNames = append(res.InputNames, in.Name)
	}
	for _, n := range t.g.Nodes {
		for _, in := range n.Inputs {
			t.uses[in]++
		}
	}
	for _, o := range t.g.Outputs {
		t.uses[o.Name]++
	}
	for i, n := range t.g.Nodes {
		t.node = n
		if t.dependsOnBad(n) {
			t.markBad(n) // its input's node is listed already
			continue
		}
		if err := t.translateNode(i, n); err != nil {
			t.bad = append(t.bad, fmt.Sprintf("%s (%s): %v", nodeLabel(n), n.OpType, err))
			t.markBad(n)
		}
	}
	if len(t.bad) > 0 {
		return nil, &UnsupportedError{Nodes: t.bad, NeedFixed: t.needFixed}
	}
	var rets, types []string
	for _, o := range t.g.Outputs {
		v := t.vals[o.Name]
		if v == nil {
			return nil, fmt.Errorf("onnx: graph output %q is computed by no node", o.Name)
		}
		id, err := t.operand(o.Name)
		if err != nil {
			return nil, err
		}
		rets = append(rets, id)
		types = append(types, t.typeString(v.dt, v.shape))
		res.Outputs = append(res.Outputs, o.Name)
	}
	if len(rets) == 0 {
		return nil, fmt.Errorf("onnx: the graph has no outputs")
	}
	src := t.source(args, rets, types)
	out, err := lang.Format("import.nn", []byte(src))
	if err != nil {
		return nil, fmt.Errorf("onnx: internal error: the translation does not parse: %v\n%s", err, src)
	}
	res.Source = out
	return res, nil
}

// dependsOnBad reports whether a node reads the output of a node that
// could not be translated.
func (t *translator) dependsOnBad(n *Node) bool {
	for _, in := range n.Inputs {
		if v := t.vals[in]; v != nil && v.bad {
			return true
		}
	}
	return false
}

func (t *translator) markBad(n *Node) {
	for _, out := range n.Outputs {
		t.vals[out] = &value{id: "bad", dt: tensor.F32, bad: true}
	}
}

// source assembles the program.
func (t *translator) source(args, rets, types []string) string {
	var b strings.Builder
	name := t.o.Source
	if name == "" {
		name = "an ONNX model"
	}
	fmt.Fprintf(&b, "// Imported by nnc import from %s (opset %d).\n", commentSafe(name), t.opset)
	b.WriteString("// Each statement's comment names the ONNX node it comes from.\n")
	b.WriteString("import \"std/nn\"\n\n")
	fmt.Fprintf(&b, "model %s {\n", t.o.Model)
	for _, d := range t.decls {
		b.WriteString("    " + d + "\n")
	}
	if len(t.decls) > 0 {
		b.WriteString("\n")
	}
	for _, m := range t.methods {
		for _, l := range strings.Split(m, "\n") {
			b.WriteString("    " + l + "\n")
		}
		b.WriteString("\n")
	}
	ret := types[0]
	if len(types) > 1 {
		ret = "(" + strings.Join(types, ", ") + ")"
	}
	fmt.Fprintf(&b, "    fn forward(%s) -> %s {\n", strings.Join(args, ", "), ret)
	for _, l := range t.body {
		b.WriteString("        " + l + "\n")
	}
	fmt.Fprintf(&b, "        return %s\n    }\n}\n", strings.Join(rets, ", "))
	return b.String()
}

// nodeLabel names a node for messages and comments.
func nodeLabel(n *Node) string {
	if n.Name != "" {
		return n.Name
	}
	for _, o := range n.Outputs {
		if o != "" {
			return "output " + o
		}
	}
	return "unnamed"
}

func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r < 0x20 {
			return ' '
		}
		return r
	}, s)
}

// valueType gives a graph input's .nn type.
func (t *translator) valueType(vi *ValueInfo) (string, tensor.DType, []int, error) {
	if !vi.IsTensor {
		return "", 0, nil, fmt.Errorf("onnx: input %q is not a tensor", vi.Name)
	}
	dt, ok := NNType(vi.ElemType)
	if !ok {
		return "", 0, nil, fmt.Errorf("onnx: input %q has element type %s, which nnc does not have", vi.Name, DataTypeName(vi.ElemType))
	}
	if !vi.HasShape {
		return "", 0, nil, fmt.Errorf("onnx: input %q has no shape", vi.Name)
	}
	shape := make([]int, len(vi.Dims))
	for i, d := range vi.Dims {
		switch {
		case d.HasValue && d.Value >= 0 && d.Value <= MaxElements:
			shape[i] = int(d.Value)
		case d.Param != "":
			shape[i] = t.sym(d.Param)
		default:
			return "", 0, nil, fmt.Errorf("onnx: input %q: dimension %d is unknown", vi.Name, i)
		}
	}
	return t.typeString(dt, shape), dt, shape, nil
}

// sym gives the negative dimension standing for a symbolic one, named in
// the source as a shape variable with a capital first letter.
func (t *translator) sym(name string) int {
	for i, s := range t.syms {
		if s == name {
			return -1 - i
		}
	}
	id := sanitize(name)
	switch {
	case id == "" || id[0] >= '0' && id[0] <= '9':
		id = "D" + id
	case id[0] >= 'a' && id[0] <= 'z':
		id = strings.ToUpper(id[:1]) + id[1:]
	}
	t.syms = append(t.syms, name)
	t.symIDs = append(t.symIDs, t.unique(id))
	return -len(t.syms)
}

func (t *translator) typeString(dt tensor.DType, shape []int) string {
	if len(shape) == 0 {
		return dt.String()
	}
	return dt.String() + "[" + t.dims(shape) + "]"
}

// dims spells a shape's dimensions, symbolic ones by name.
func (t *translator) dims(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		if d < 0 {
			parts[i] = t.symIDs[-1-d]
		} else {
			parts[i] = strconv.Itoa(d)
		}
	}
	return strings.Join(parts, ", ")
}

// concrete reports an error when a shape has symbolic dimensions.
func concrete(shape []int) error {
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("needs concrete dimensions, the shape has a symbolic one")
		}
	}
	return nil
}

// ident makes a fresh identifier from an ONNX name.
func (t *translator) ident(name string) string {
	id := sanitize(name)
	if id == "" || id[0] >= '0' && id[0] <= '9' {
		id = "v" + id
	}
	return t.unique(id)
}

func (t *translator) unique(id string) string {
	if !t.used[id] {
		t.used[id] = true
		return id
	}
	for i := 2; ; i++ {
		c := id + "_" + strconv.Itoa(i)
		if !t.used[c] {
			t.used[c] = true
			return c
		}
	}
}

// sanitize keeps letters, digits and underscores, other runs becoming one
// underscore, at most 48 characters.
func sanitize(s string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if ok {
			b.WriteRune(r)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	return strings.TrimRight(b.String(), "_")
}

func validIdent(s string) bool {
	return s != "" && sanitize(s) == s && (s[0] < '0' || s[0] > '9')
}

// reservedNames are the words an identifier must not be: keywords, types,
// built-in functions and the std/nn import.
func reservedNames() []string {
	words := strings.Fields(`model fn param state return if else for in import const train true false
		params training and or not f32 f64 i32 i64 bool int float str nn bad
		reshape transpose split pad flatten zeros ones full arange batch_norm attention dropout
		l1 l2 grad jvp vjp hvp scan cast stop_gradient concat stack squeeze unsqueeze broadcast_to
		take gather eye one_hot normal uniform where clip maximum minimum pow softmax log_softmax
		conv1d conv2d max_pool2d avg_pool2d layer_norm embedding sum mean max min prod var std norm
		logsumexp argmax argmin forward`)
	for _, op := range ops.Builtins() {
		words = append(words, op.Name)
	}
	sort.Strings(words)
	return words
}

// emit writes a statement computing ONNX value out: id = expr, with the
// node's name as a comment, and records its type.
func (t *translator) emit(out string, expr string, dt tensor.DType, shape []int) {
	id := t.ident(out)
	t.comment()
	t.body = append(t.body, id+" = "+expr)
	t.vals[out] = &value{id: id, dt: dt, shape: shape}
}

// comment writes the node's comment once per node.
func (t *translator) comment() {
	n := t.node
	if t.commented == n {
		return
	}
	t.commented = n
	t.body = append(t.body, "// "+commentSafe(nodeLabel(n))+" ("+n.OpType+")")
}

// alias makes ONNX value out the same as an existing one.
func (t *translator) alias(out, in string) error {
	v, err := t.get(in)
	if err != nil {
		return err
	}
	cp := *v
	t.vals[out] = &cp
	return nil
}

// get returns a node input's value.
// get2 is get of a node's first two inputs, the operands of most
// two-input operators.
func (t *translator) get2(n *Node) (a, b *value, err error) {
	if a, err = t.get(input(n, 0)); err != nil {
		return nil, nil, err
	}
	if b, err = t.get(input(n, 1)); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

func (t *translator) get(name string) (*value, error) {
	if name == "" {
		return nil, fmt.Errorf("a required input is missing")
	}
	v := t.vals[name]
	if v == nil {
		return nil, fmt.Errorf("input %q is not computed before this node", name)
	}
	return v, nil
}

// operand returns the .nn expression of a value, declaring a constant as a
// parameter of the model the first time it is used as an operand.
func (t *translator) operand(name string) (string, error) {
	v, err := t.get(name)
	if err != nil {
		return "", err
	}
	return t.operandOf(name, v)
}

// operandOf is operand for a value v standing for ONNX value name.
func (t *translator) operandOf(name string, v *value) (string, error) {
	if v.id != "" {
		return v.id, nil
	}
	if err := concrete(v.shape); err != nil {
		return "", err
	}
	if x := v.konst; x.Len() == 1 && len(v.shape) == 0 && v.dt.IsFloat() && !math.IsInf(x.At(0), 0) && !math.IsNaN(x.At(0)) {
		v.id = floatLit(v.konst.At(0))
		return v.id, nil
	}
	v.id = t.param(name, v.konst)
	return v.id, nil
}

// param declares a parameter holding k and returns its name.
func (t *translator) param(onnxName string, k *tensor.Tensor) string {
	id := t.ident(onnxName)
	t.decls = append(t.decls, fmt.Sprintf("param %s: %s = zeros()", id, t.typeString(k.DType, k.Shape)))
	t.params[id] = k
	return id
}

// floatLit spells a float so that .nn reads it back as a float.
func floatLit(x float64) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	if x < 0 {
		return "(" + s + ")"
	}
	return s
}
