package onnx

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// ExportOpset is the ONNX opset exported graphs declare (ONNX Runtime has
// run it since version 1.14).
const ExportOpset = 17

// exportIRVersion is the ONNX IR version that goes with ExportOpset.
const exportIRVersion = 8

// ExportGraph is an inference graph to export: its inputs and outputs in
// order, with the names the ONNX graph gives them, and the values of its
// parameters and states by name.
type ExportGraph struct {
	G           *ops.Graph
	Inputs      []*ops.Node
	Outputs     []*ops.Node
	OutputNames []string
	Values      map[string]*tensor.Tensor
	Name        string // the graph's name
}

// UnsupportedExportError lists every node of a graph that has no ONNX
// form, with its .nn position.
type UnsupportedExportError struct {
	Nodes []string
}

func (e *UnsupportedExportError) Error() string {
	what := fmt.Sprintf("%d nodes have", len(e.Nodes))
	if len(e.Nodes) == 1 {
		what = "1 node has"
	}
	return fmt.Sprintf("onnx export: %s no ONNX form (nodes reading them are not listed):\n  %s", what, strings.Join(e.Nodes, "\n  "))
}

// Export encodes g as an ONNX model (ModelProto, opset ExportOpset).
// Parameters and states become initializers; a symbolic dimension of an
// input stays symbolic (a dim_param) and shapes computed from it are read
// from the input when the model runs.
func Export(g ExportGraph) ([]byte, error) {
	if len(g.Outputs) != len(g.OutputNames) {
		return nil, errors.New("onnx export: outputs and their names differ in number")
	}
	x := &exporter{names: map[int]string{}, dimSrc: map[string]dimSource{}}
	var inputs []msg
	for _, in := range g.Inputs {
		name := in.Name()
		x.names[in.ID] = name
		vi, err := x.valueInfo(name, in.Type)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, vi)
		for axis, d := range in.Type.Shape {
			if _, isConst := d.IsConst(); !isConst && len(d.Vars()) == 1 && d.String() == d.Vars()[0] {
				if _, seen := x.dimSrc[d.String()]; !seen {
					x.dimSrc[d.String()] = dimSource{name, axis}
				}
			}
		}
	}
	needed := neededFrom(g.G, g.Outputs)
	var bad []string
	failed := make([]bool, len(g.G.Nodes))
	for _, n := range g.G.Nodes {
		if !needed[n.ID] || x.names[n.ID] != "" {
			continue
		}
		for _, in := range n.In {
			failed[n.ID] = failed[n.ID] || failed[in.ID] // reported at its cause
		}
		if failed[n.ID] {
			continue
		}
		if err := x.node(n, g.Values); err != nil {
			bad = append(bad, err.Error())
			failed[n.ID] = true
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, &UnsupportedExportError{Nodes: bad}
	}
	var outputs []msg
	for i, o := range g.Outputs {
		x.nodes = append(x.nodes, nodeMsg("", "Identity", []string{x.names[o.ID]}, []string{g.OutputNames[i]}))
		vi, err := x.valueInfo(g.OutputNames[i], o.Type)
		if err != nil {
			return nil, err
		}
		outputs = append(outputs, vi)
	}
	graph := msg{}
	for _, n := range x.nodes {
		graph = graph.bytes(1, n)
	}
	graph = graph.str(2, g.Name)
	for _, t := range x.inits {
		graph = graph.bytes(5, t)
	}
	for _, vi := range inputs {
		graph = graph.bytes(11, vi)
	}
	for _, vi := range outputs {
		graph = graph.bytes(12, vi)
	}
	model := msg{}.varint(1, exportIRVersion).str(2, "nnc")
	model = model.bytes(7, graph)
	model = model.bytes(8, msg{}.str(1, "").varint(2, ExportOpset))
	return model, nil
}

// neededFrom marks the nodes the outputs read, directly or not.
func neededFrom(g *ops.Graph, outs []*ops.Node) []bool {
	needed := make([]bool, len(g.Nodes))
	for _, o := range outs {
		needed[o.ID] = true
	}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		if needed[i] {
			for _, in := range g.Nodes[i].In {
				needed[in.ID] = true
			}
		}
	}
	return needed
}

// dimSource is where a symbolic dimension is read when the model runs: an
// axis of a graph input.
type dimSource struct {
	input string
	axis  int
}

// exporter collects the ONNX nodes and initializers of a graph; it is the
// ops.Exporter the ops' Export functions write with.
type exporter struct {
	nodes  []msg
	inits  []msg
	names  map[int]string // node ID → the ONNX value holding it
	dimSrc map[string]dimSource
	count  int
	shapes map[string]string // shape variable → its [1] int64 value, once read
}

// fresh returns a new value name.
func (x *exporter) fresh(prefix string) string {
	x.count++
	return fmt.Sprintf("%s_%d", prefix, x.count)
}

// node exports one node of the graph.
func (x *exporter) node(n *ops.Node, values map[string]*tensor.Tensor) error {
	switch n.Op {
	case ops.Param, ops.State:
		t := values[n.Name()]
		if t == nil {
			return fmt.Errorf("%s: %s %s has no value", n.Pos, n.Op.Name, n.Name())
		}
		init, err := tensorProto(n.Name(), t)
		if err != nil {
			return fmt.Errorf("%s: %s: %v", n.Pos, n.Name(), err)
		}
		x.inits = append(x.inits, init)
		x.names[n.ID] = n.Name()
		return nil
	case ops.Input:
		return fmt.Errorf("%s: input %s is not an input of the entry", n.Pos, n.Name())
	}
	f := ops.ExportOf(n.Op)
	if f == nil {
		return &ops.ExportError{Op: n.Op.Name, Pos: n.Pos, Msg: "has no ONNX form"}
	}
	in := make([]string, len(n.In))
	for i, o := range n.In {
		if in[i] = x.names[o.ID]; in[i] == "" {
			return fmt.Errorf("%s: %s: operand %d was not exported", n.Pos, n.Op.Name, i)
		}
	}
	out, err := f(x, n, in)
	if err != nil {
		return err
	}
	x.names[n.ID] = out
	return nil
}

// Node implements ops.Exporter.
func (x *exporter) Node(opType string, in []string, attrs map[string]any) string {
	return x.Nodes(opType, in, attrs, 1)[0]
}

// Nodes implements ops.Exporter.
func (x *exporter) Nodes(opType string, in []string, attrs map[string]any, results int) []string {
	outs := make([]string, results)
	for i := range outs {
		outs[i] = x.fresh(strings.ToLower(opType))
	}
	var as []msg
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		as = append(as, attrMsg(k, attrs[k]))
	}
	x.nodes = append(x.nodes, nodeMsg(outs[0], opType, in, outs, as...))
	return outs
}

// Ints implements ops.Exporter.
func (x *exporter) Ints(v ...int64) string {
	t := tensor.New(tensor.I64, len(v))
	copy(t.I64, v)
	return x.constant(t)
}

// Scalar implements ops.Exporter.
func (x *exporter) Scalar(v float64, dt ops.DType) string {
	t := tensor.New(dt)
	t.Set(0, v)
	return x.constant(t)
}

// constant adds an initializer holding t.
func (x *exporter) constant(t *tensor.Tensor) string {
	name := x.fresh("const")
	init, err := tensorProto(name, t)
	if err != nil {
		panic(err) // only the exporter's own dtypes reach here
	}
	x.inits = append(x.inits, init)
	return name
}

// DType implements ops.Exporter.
func (x *exporter) DType(dt ops.DType) (int64, error) { return onnxDType(dt) }

// Shape implements ops.Exporter: constant dimensions as they are, a
// shape variable read from the input that has it, a product of such
// with Mul.
func (x *exporter) Shape(s ops.Shape) (string, error) {
	consts := make([]int64, len(s))
	allConst := true
	for i, d := range s {
		c, ok := d.IsConst()
		consts[i], allConst = c, allConst && ok
	}
	if allConst {
		return x.Ints(consts...), nil
	}
	parts := make([]string, len(s))
	for i, d := range s {
		p, err := x.dim(d)
		if err != nil {
			return "", err
		}
		parts[i] = p
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return x.Node("Concat", parts, map[string]any{"axis": int64(0)}), nil
}

// dim is a [1] int64 value holding d.
func (x *exporter) dim(d ops.Dim) (string, error) {
	if c, ok := d.IsConst(); ok {
		return x.Ints(c), nil
	}
	vars := d.Vars()
	if len(vars) == 1 && d.String() == vars[0] {
		if x.shapes == nil {
			x.shapes = map[string]string{}
		}
		if v, ok := x.shapes[vars[0]]; ok {
			return v, nil
		}
		src, ok := x.dimSrc[vars[0]]
		if !ok {
			return "", fmt.Errorf("the dimension %s is not the size of an axis of an input: give it a value (--shapes %s=N)", d, d)
		}
		shape := x.Node("Shape", []string{src.input}, nil)
		v := x.Node("Gather", []string{shape, x.Ints(int64(src.axis))}, map[string]any{"axis": int64(0)})
		x.shapes[vars[0]] = v
		return v, nil
	}
	for _, v := range vars {
		rest, err := d.Div(ops.DimVar(v))
		if err != nil {
			continue
		}
		a, err := x.dim(ops.DimVar(v))
		if err != nil {
			return "", err
		}
		b, err := x.dim(rest)
		if err != nil {
			return "", err
		}
		return x.Node("Mul", []string{a, b}, nil), nil
	}
	return "", fmt.Errorf("the dimension %s is not a product of input sizes: give its variables values (--shapes)", d)
}

// onnxDType is ONNX's TensorProto.DataType of dt.
func onnxDType(dt ops.DType) (int64, error) {
	switch dt {
	case tensor.F32:
		return TypeFloat, nil
	case tensor.F64:
		return TypeDouble, nil
	case tensor.I32:
		return TypeInt32, nil
	case tensor.I64:
		return TypeInt64, nil
	case tensor.Bool:
		return TypeBool, nil
	}
	return 0, fmt.Errorf("dtype %v has no ONNX form", dt)
}

// tensorProto encodes t as a TensorProto with raw little-endian data.
func tensorProto(name string, t *tensor.Tensor) (msg, error) {
	code, err := onnxDType(t.DType)
	if err != nil {
		return nil, err
	}
	m := msg{}
	for _, d := range t.Shape {
		m = m.varint(1, int64(d))
	}
	m = m.varint(2, code).str(8, name)
	return m.bytes(9, tensor.AppendLE(nil, t)), nil
}

// valueInfo is a ValueInfoProto of a tensor of type t, symbolic
// dimensions as dim_params.
func (x *exporter) valueInfo(name string, t ops.Type) (msg, error) {
	code, err := onnxDType(t.DType)
	if err != nil {
		return nil, fmt.Errorf("onnx export: %s: %v", name, err)
	}
	shape := msg{}
	for _, d := range t.Shape {
		if c, ok := d.IsConst(); ok {
			shape = shape.bytes(1, msg{}.varint(1, c))
		} else {
			shape = shape.bytes(1, msg{}.str(2, d.String()))
		}
	}
	tt := msg{}.varint(1, code).bytes(2, shape)
	return msg{}.str(1, name).bytes(2, msg{}.bytes(1, tt)), nil
}

// attrMsg is an AttributeProto.
func attrMsg(name string, v any) msg {
	m := msg{}.str(1, name)
	switch a := v.(type) {
	case int64:
		return m.varint(20, int64(AttrInt)).varint(3, a)
	case float32:
		return m.varint(20, int64(AttrFloat)).f32(2, a)
	case string:
		return m.varint(20, int64(AttrString)).str(4, a)
	case []int64:
		m = m.varint(20, int64(AttrInts))
		for _, i := range a {
			m = m.varint(8, i)
		}
		return m
	case []float32:
		m = m.varint(20, int64(AttrFloats))
		for _, f := range a {
			m = m.f32(7, f)
		}
		return m
	}
	panic(fmt.Sprintf("onnx export: attribute %s has type %T", name, v))
}
