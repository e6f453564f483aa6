// Package codegen writes a Go package that runs one inference plan of nnc:
// the plan's kernel steps as straight-line calls, its values laid out in
// one arena per element type as the plan's memory plan places them, its
// parameters as a weights file (embedded with go:embed, or read at run
// time), and a typed API (Model, Predict, PredictTo) safe for concurrent use.
//
// The generated package imports only nnc's ops, kernels (the cache of
// packed weights, kernels.PackCache, kept as the runtime keeps it) and
// tensor packages (ops holds every op's kernel preparation, once, and
// imports only kernels and tensor): each step's node is rebuilt from its op's name, attributes,
// element type and concrete shape, and prepared with the op's own Kernel,
// so that the generated code runs the same kernels, on the same buffers,
// in the same order as runtime.Session, and its results are bitwise those
// of the plan. Any op the plan holds is handled alike; a node whose
// attributes the generator cannot write as Go is a build error naming it.
//
// codegen sits after runtime in the pipeline: it reads a runtime.Plan.
package codegen

import (
	"bytes"
	"fmt"
	"go/format"
	"go/token"
	"hash/fnv"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// ModulePath is the import path of nnc's module, which generated code
// imports ops, kernels and tensor from.
const ModulePath = "github.com/nnclang/nnc"

// WeightsFile is the name of the weights file in a generated package.
const WeightsFile = "weights.bin"

// Spec is what Generate needs: the plan and the values of its parameters.
type Spec struct {
	// Package is the generated package's name, a Go identifier.
	Package string
	// Plan is the inference plan, built for concrete shapes. Its graph must
	// have no updates.
	Plan *runtime.Plan
	// Params holds the value of every param and state the plan reads, by
	// name.
	Params map[string]*tensor.Tensor
	// Source and Entry name where the plan comes from, for the generated
	// documentation ("digits.nn", "Classifier.forward").
	Source, Entry string
	// Sample holds, by input, values the generated tests and example
	// pass (integer inputs must be in their ops' ranges); a missing or nil
	// entry, and every float input, passes zeros.
	Sample []*tensor.Tensor
	// External leaves the weights out of the binary: the package reads
	// them with Load (or takes them with NewFromWeights) instead of
	// embedding them with go:embed.
	External bool
	// Standalone makes the package a module of its own (go.mod, module
	// path Module) that needs only the standard library: nnc's ops,
	// kernels and tensor packages, read from Sources, are copied under
	// internal/ (their assembly too), so it runs the same kernels as nnc.
	Standalone bool
	// Module is a standalone package's module path; GoVersion its go.mod's
	// go line (nnc's own: "1.26.0").
	Module, GoVersion string
	// Sources holds nnc's sources for Standalone: ops/*.go, kernels/*.go,
	// kernels/*.s, kernels/*.h, tensor/*.go and LICENSE, as in nnc's
	// repository.
	Sources fs.FS
	// Dynamic names a shape variable of the inputs (B) left symbolic: the
	// package plans each value of it lazily, at its first call, and
	// Predict takes any value from 1 to MaxDynamic (the plan's own is
	// that of Plan). Some input must have it as a whole dimension, the
	// others constant, so that Predict can read it off that input's
	// length.
	Dynamic    string
	MaxDynamic int
	// Target "wasm" (which needs Standalone) adds wasm/main.go, a program
	// for GOOS=js GOARCH=wasm giving the Model to JavaScript, and
	// wasm/nnc_model.js, the script that loads it in a web page.
	Target string
}

// Files are the generated package's files, by slash-separated path:
// model.go, model_test.go, example_test.go and weights.bin; for a
// standalone package also go.mod and internal/...; for target wasm also
// wasm/main.go and wasm/nnc_model.js.
type Files map[string][]byte

// model is what the template of model.go reads.
type model struct {
	Package, Source, Entry, Shapes string
	Module, WeightsFile            string
	Root                           string // the package's import path (a standalone module's path)
	Dynamic                        string // the shape variable planned lazily, if any
	MaxDynamic, DynamicValue       int    // its largest value, and the plan's
	Key                            arg    // the input Dynamic is read off
	KeyRow                         int    // elements of Key per unit of Dynamic
	External                       bool
	Nodes                          []nodeDef
	Steps                          []stepDef
	Buffers                        []runtime.Buffer
	Inputs, Outputs                []arg
	Params                         []paramDef
	WeightsLen                     int
	WeightsHash                    string
	ArenaLen                       map[string]int // by element type name: elements
	Ops                            int            // kernel steps
}

type nodeDef struct {
	Op, DType, Shape, In, Attrs, Pos string
	Sym                              string // the symbolic shape (Dynamic)
	ID                               int
}

type stepDef struct {
	Node, Buffer, Offset int
	Alias                bool
	// Slice marks an alias step that is a slice: a view for the planned
	// shapes, which other values of Dynamic may make a copy (dynamic.go).
	Slice         bool
	Comment, Args string
}

type arg struct {
	Name, Go, DType, GoType, Field, Shape, Type string
	Sym, Dims                                   string // symbolic shape: Go, and as .nn writes it (Dynamic)
	Init                                        string // Go expression of the sample value
	Node, Len, Size                             int    // Size: bytes an element
}

type paramDef struct {
	Node       int
	Name       string
	Off, Bytes int
}

// Generate writes the package for spec. Its errors name the node (op and
// source position) that cannot be generated.
func Generate(spec Spec) (Files, error) {
	if !token.IsIdentifier(spec.Package) || token.IsKeyword(spec.Package) {
		return nil, fmt.Errorf("package name %q is not a Go identifier", spec.Package)
	}
	p := spec.Plan
	if p == nil || p.Graph == nil {
		return nil, fmt.Errorf("no plan")
	}
	if len(p.Graph.Updates) > 0 {
		return nil, fmt.Errorf("the graph updates %d params or states: nnc build writes inference entries only", len(p.Graph.Updates))
	}
	m := &model{Package: spec.Package, Source: spec.Source, Entry: spec.Entry, Module: ModulePath,
		WeightsFile: WeightsFile, External: spec.External, Buffers: p.Buffers, ArenaLen: map[string]int{}}
	files := Files{}
	if spec.Target != "" && spec.Target != "wasm" {
		return nil, fmt.Errorf("target %q: want wasm, or none for a Go package", spec.Target)
	}
	if spec.Target == "wasm" && !spec.Standalone {
		return nil, fmt.Errorf("target wasm needs a standalone package")
	}
	if spec.Standalone {
		if err := CheckModulePath(spec.Module); err != nil {
			return nil, err
		}
		if spec.GoVersion == "" {
			return nil, fmt.Errorf("a standalone package needs go.mod's go version")
		}
		if err := copySources(files, spec.Sources, spec.Module, spec.GoVersion); err != nil {
			return nil, err
		}
		m.Module, m.Root = spec.Module+"/internal", spec.Module
	}
	m.Shapes = envString(p.Env())
	if spec.Dynamic != "" {
		v, ok := p.Env()[spec.Dynamic]
		if !ok || spec.MaxDynamic < 1 || v < 1 || v > int64(spec.MaxDynamic) {
			return nil, fmt.Errorf("dynamic shape variable %s: not a variable of the plan, or its value %d is not in 1..%d", spec.Dynamic, v, spec.MaxDynamic)
		}
		m.Dynamic, m.MaxDynamic, m.DynamicValue = spec.Dynamic, spec.MaxDynamic, int(v)
		m.Shapes = strings.TrimPrefix(strings.ReplaceAll(", "+m.Shapes, ", "+spec.Dynamic+"="+strconv.FormatInt(v, 10), ""), ", ")
	}
	index, err := m.collectNodes(p)
	if err != nil {
		return nil, err
	}
	weights, err := m.collectParams(p, spec.Params, index)
	if err != nil {
		return nil, err
	}
	if err := m.collectSteps(p, index); err != nil {
		return nil, err
	}
	if err := m.collectArgs(p, index, spec.Sample); err != nil {
		return nil, err
	}
	if m.Dynamic != "" {
		if err := m.dynamicArgs(p); err != nil {
			return nil, err
		}
	}
	for _, b := range p.Buffers {
		k := b.DType.String()
		m.ArenaLen[k] = max(m.ArenaLen[k], b.Offset+b.Cap)
	}
	h := fnv.New64a()
	h.Write(weights)
	m.WeightsLen, m.WeightsHash = len(weights), fmt.Sprintf("%#016x", h.Sum64())

	files[WeightsFile] = weights
	tmpls := map[string]string{"model.go": modelTemplate, "model_test.go": testTemplate, "example_test.go": exampleTemplate}
	if spec.Target == "wasm" {
		tmpls["wasm/main.go"] = wasmMainTemplate
	}
	for name, tmpl := range tmpls {
		src, err := render(name, tmpl, m)
		if err != nil {
			return nil, err
		}
		files[name] = src
	}
	if spec.Target == "wasm" {
		js, err := renderText("wasm/nnc_model.js", wasmGlueTemplate, m)
		if err != nil {
			return nil, err
		}
		files["wasm/nnc_model.js"] = js
	}
	return files, nil
}

// render executes a template and formats the result with gofmt's rules.
func render(name, tmpl string, m *model) ([]byte, error) {
	var buf bytes.Buffer
	if err := parseTemplate(name, tmpl).Execute(&buf, m); err != nil {
		return nil, fmt.Errorf("codegen: %s: %v", name, err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("codegen: %s does not parse (a bug in nnc build): %v", name, err)
	}
	return src, nil
}

// renderText executes a template that is not Go source.
func renderText(name, tmpl string, m *model) ([]byte, error) {
	var buf bytes.Buffer
	if err := parseTemplate(name, tmpl).Execute(&buf, m); err != nil {
		return nil, fmt.Errorf("codegen: %s: %v", name, err)
	}
	return buf.Bytes(), nil
}

// collectNodes lists the nodes the plan binds or computes, in graph
// (topological) order, and returns each one's index in that list by ID.
func (m *model) collectNodes(p *runtime.Plan) (map[int]int, error) {
	in := map[int]bool{}
	for _, n := range p.Graph.Inputs() {
		in[n.ID] = true
	}
	for _, st := range p.Steps {
		in[st.Node.ID] = true
		for _, x := range st.Node.In {
			in[x.ID] = true
		}
	}
	for _, o := range p.Graph.Outputs {
		in[o.Node.ID] = true
	}
	index := map[int]int{}
	for _, n := range p.Graph.Nodes {
		if in[n.ID] {
			index[n.ID] = len(m.Nodes)
			m.Nodes = append(m.Nodes, nodeDef{ID: n.ID})
		}
	}
	for _, n := range p.Graph.Nodes {
		if k, ok := index[n.ID]; ok {
			if err := m.describe(&m.Nodes[k], n, p, index); err != nil {
				return nil, err
			}
		}
	}
	return index, nil
}

// describe fills d, the Go description of node n.
func (m *model) describe(d *nodeDef, n *ops.Node, p *runtime.Plan, index map[int]int) error {
	if !n.Op.Leaf && n.Op.Kernel == nil {
		return nodeErr(n, "op %s has no kernel", n.Op.Name)
	}
	if n.Op.Leaf && n.Op != ops.Input && n.Op != ops.Param && n.Op != ops.State {
		return nodeErr(n, "leaf op %s cannot be generated", n.Op.Name)
	}
	d.Op, d.DType = strconv.Quote(n.Op.Name), dtypeExpr(n.Type.DType)
	if d.DType == "" {
		return nodeErr(n, "element type %v cannot be generated", n.Type.DType)
	}
	s := p.Shape(n)
	if s == nil && len(n.Type.Shape) > 0 {
		return nodeErr(n, "the plan has no shape for it")
	}
	d.Shape = intsExpr(s)
	ins := make([]string, len(n.In))
	for i, x := range n.In {
		j, ok := index[x.ID]
		if !ok {
			return nodeErr(n, "operand %d (%v) is not in the plan", i, x)
		}
		ins[i] = strconv.Itoa(j)
	}
	d.In = "[]int{" + strings.Join(ins, ", ") + "}"
	attrs, err := attrsExpr(n.Attrs, p.Env())
	if m.Dynamic != "" {
		fixed := m.fixed(p)
		attrs, err = attrsExpr(substAttrs(n.Attrs, fixed), nil)
		if err == nil {
			d.Sym, err = symShapeExpr(n.Type.Shape.Subst(fixed))
		}
	}
	if err != nil {
		return nodeErr(n, "%v", err)
	}
	d.Attrs = attrs
	d.Pos = fmt.Sprintf("ops.Pos{File: %q, Line: %d, Col: %d}", n.Pos.File, n.Pos.Line, n.Pos.Col)
	return nil
}

// collectParams lists the params and states the plan reads and encodes
// their values, little-endian, one after another.
func (m *model) collectParams(p *runtime.Plan, vals map[string]*tensor.Tensor, index map[int]int) ([]byte, error) {
	var w []byte
	for _, n := range p.Graph.Nodes {
		k, ok := index[n.ID]
		if !ok || !n.Op.Leaf || n.Op == ops.Input {
			continue
		}
		t := vals[n.Name()]
		if t == nil {
			return nil, nodeErr(n, "%s %s has no value", n.Op.Name, n.Name())
		}
		if t.DType != n.Type.DType || !equalInts(t.Shape, p.Shape(n)) {
			return nil, nodeErr(n, "%s %s: the value is %v%v, the plan wants %v%v", n.Op.Name, n.Name(), t.DType, t.Shape, n.Type.DType, p.Shape(n))
		}
		off := len(w)
		w = tensor.AppendLE(w, t)
		m.Params = append(m.Params, paramDef{Node: k, Name: n.Name(), Off: off, Bytes: len(w) - off})
	}
	return w, nil
}

// collectSteps lists the plan's steps with their operands.
func (m *model) collectSteps(p *runtime.Plan, index map[int]int) error {
	for _, st := range p.Steps {
		n := st.Node
		args := make([]string, len(n.In))
		for i, x := range n.In {
			args[i] = "r.v[" + strconv.Itoa(index[x.ID]) + "]"
		}
		c := n.Op.Name
		if s := n.Pos.String(); s != "" {
			c += " at " + s
		}
		if st.Alias {
			c += ": a view of its operand's memory, nothing to run"
		} else {
			m.Ops++
		}
		m.Steps = append(m.Steps, stepDef{Node: index[n.ID], Buffer: st.Buffer, Offset: st.Offset, Alias: st.Alias,
			Slice:   st.Alias && n.Op == ops.Slice,
			Comment: strings.ReplaceAll(c, "\n", " "), Args: strings.Join(args, ", ")})
	}
	return nil
}

// collectArgs names the inputs and outputs in Go.
func (m *model) collectArgs(p *runtime.Plan, index map[int]int, sample []*tensor.Tensor) error {
	used := map[string]bool{"m": true, "r": true, "err": true, "t": true, "ok": true}
	mk := func(name string, n *ops.Node, out bool) (arg, error) {
		gt, field := goType(n.Type.DType)
		if gt == "" {
			return arg{}, nodeErr(n, "%s has element type %v, which nnc build cannot pass", name, n.Type.DType)
		}
		goName := goIdent(name, out, used)
		s := p.Shape(n)
		return arg{Name: name, Go: goName, DType: n.Type.DType.String(), GoType: gt, Field: field, Size: n.Type.DType.Size(),
			Shape: intsExpr(s), Type: fmt.Sprintf("%v%v", n.Type.DType, s), Node: index[n.ID], Len: tensor.NumElems(s)}, nil
	}
	for i, n := range p.Graph.Inputs() {
		a, err := mk(n.Name(), n, false)
		if err != nil {
			return err
		}
		a.Init = fmt.Sprintf("make([]%s, %d)", a.GoType, a.Len)
		if i < len(sample) && sample[i] != nil && !n.Type.DType.IsFloat() {
			if a.Init, err = sampleExpr(a, sample[i]); err != nil {
				return nodeErr(n, "%v", err)
			}
		}
		m.Inputs = append(m.Inputs, a)
	}
	for _, o := range p.Graph.Outputs {
		if _, ok := index[o.Node.ID]; !ok {
			return nodeErr(o.Node, "output %s is not in the plan", o.Name)
		}
		a, err := mk(o.Name, o.Node, true)
		if err != nil {
			return err
		}
		m.Outputs = append(m.Outputs, a)
	}
	if len(m.Outputs) == 0 {
		return fmt.Errorf("the entry has no output")
	}
	return nil
}

// sampleExpr writes an integer or bool input's sample as a Go literal.
func sampleExpr(a arg, t *tensor.Tensor) (string, error) {
	if t.DType.String() != a.DType || tensor.NumElems(t.Shape) != a.Len {
		return "", fmt.Errorf("input %s: the sample is %v%v, want %s", a.Name, t.DType, t.Shape, a.Type)
	}
	parts := make([]string, a.Len)
	for i := range parts {
		switch t.DType {
		case tensor.I32:
			parts[i] = strconv.FormatInt(int64(t.I32[i]), 10)
		case tensor.I64:
			parts[i] = strconv.FormatInt(t.I64[i], 10)
		case tensor.Bool:
			parts[i] = strconv.FormatBool(t.Bool[i])
		}
	}
	return "[]" + a.GoType + "{" + strings.Join(parts, ", ") + "}", nil
}

// goIdent turns a .nn name ("A.indptr") into an unexported Go identifier
// ("aIndptr") not in used, and adds it to used.
func goIdent(name string, out bool, used map[string]bool) string {
	var sb strings.Builder
	up := false
	for _, r := range name {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if sb.Len() == 0 {
				r = unicode.ToLower(r)
			} else if up {
				r = unicode.ToUpper(r)
			}
			sb.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	id := sb.String()
	if id == "" || unicode.IsDigit(rune(id[0])) {
		id = "v" + id
	}
	if out && !strings.HasPrefix(id, "out") {
		id = "out" + strings.ToUpper(id[:1]) + id[1:]
	}
	for base, i := id, 2; used[id] || token.IsKeyword(id) || predeclared[id]; i++ {
		id = base + strconv.Itoa(i)
	}
	used[id] = true
	return id
}

var predeclared = map[string]bool{"len": true, "copy": true, "make": true, "new": true, "nil": true, "true": true,
	"false": true, "error": true, "string": true, "int": true, "bool": true, "float32": true, "float64": true,
	"int32": true, "int64": true, "fmt": true, "ops": true, "tensor": true, "math": true, "binary": true,
	"sync": true, "os": true, "errors": true, "fnv": true, "append": true, "any": true, "cap": true}

func goType(dt tensor.DType) (typ, field string) {
	switch dt {
	case tensor.F32:
		return "float32", "F32"
	case tensor.F64:
		return "float64", "F64"
	case tensor.I32:
		return "int32", "I32"
	case tensor.I64:
		return "int64", "I64"
	case tensor.Bool:
		return "bool", "Bool"
	}
	return "", ""
}

func dtypeExpr(dt tensor.DType) string {
	if _, f := goType(dt); f != "" {
		return "tensor." + f
	}
	return ""
}

func intsExpr(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[]int{" + strings.Join(parts, ", ") + "}"
}

// attrsExpr writes attributes as a Go ops.Attrs literal, symbolic shapes
// evaluated with env.
func attrsExpr(a ops.Attrs, env map[string]int64) (string, error) {
	if len(a) == 0 {
		return "nil", nil
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v, err := valueExpr(a[k], env)
		if err != nil {
			return "", fmt.Errorf("attribute %s: %v", k, err)
		}
		parts[i] = strconv.Quote(k) + ": " + v
	}
	return "ops.Attrs{" + strings.Join(parts, ", ") + "}", nil
}

func valueExpr(v any, env map[string]int64) (string, error) {
	switch x := v.(type) {
	case nil:
		return "nil", nil
	case int:
		return strconv.Itoa(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case string:
		return strconv.Quote(x), nil
	case float64:
		return floatExpr(x), nil
	case []int:
		if x == nil {
			return "[]int(nil)", nil
		}
		return intsExpr(x), nil
	case tensor.DType:
		if e := dtypeExpr(x); e != "" {
			return e, nil
		}
	case ops.Shape:
		return shapeExpr(x, env)
	case ops.Type:
		s, err := shapeExpr(x.Shape, env)
		if err != nil {
			return "", err
		}
		if e := dtypeExpr(x.DType); e != "" {
			return "ops.Type{DType: " + e + ", Shape: " + s + "}", nil
		}
	}
	return "", fmt.Errorf("a value of Go type %T (%v), which nnc build cannot write", v, v)
}

func shapeExpr(s ops.Shape, env map[string]int64) (string, error) {
	if s == nil {
		return "ops.Shape(nil)", nil
	}
	if env == nil {
		return symShapeExpr(s)
	}
	dims, err := s.Eval(env)
	if err != nil {
		return "", err
	}
	return "ops.ShapeOf(" + strings.TrimSuffix(strings.TrimPrefix(intsExpr(dims), "[]int{"), "}") + ")", nil
}

// floatExpr writes x so that the Go compiler reads back the same bits:
// the shortest decimal for finite nonzero values and +0, the bits for -0,
// infinities and NaNs.
func floatExpr(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) || (x == 0 && math.Signbit(x)) {
		return fmt.Sprintf("math.Float64frombits(%#016x)", math.Float64bits(x))
	}
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return "float64(" + s + ")"
}

func envString(env map[string]int64) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.FormatInt(env[k], 10)
	}
	return strings.Join(parts, ", ")
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// nodeErr is an error naming node n by op and source position.
func nodeErr(n *ops.Node, format string, args ...any) error {
	at := ""
	if s := n.Pos.String(); s != "" {
		at = s + ": "
	}
	return fmt.Errorf("%snnc build: %s (node %v): %s", at, n.Op.Name, n, fmt.Sprintf(format, args...))
}
