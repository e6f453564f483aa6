package lang

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// Lowering an entry: the entry model is built with its arguments, graph
// inputs are made for the entry's parameters, and its body is inlined on
// the builder (Lower); Signature does the same for the types only.

// Arg is a named, typed input of an entry.
type Arg struct {
	Name string
	Type ops.Type
}

// LowerOptions control Lower.
type LowerOptions struct {
	Training  bool           // lower for a training step (dropout, state updates, `if training`)
	Builder   *ops.Builder   // the builder to add to; nil makes a new one
	ModelArgs map[string]any // values for the entry model's arguments (int, int64, float64, bool, string)
	// Shapes gives values to the entry's shape variables ("B": 64): the
	// inputs get those concrete dimensions. Loops (`for t in 0..T`) and
	// scans whose length is a shape variable are unrolled, so lowering
	// them needs the variable's value here; the session lowers once per
	// concrete input signature for such entries.
	Shapes map[string]int64
	// ScanUnroll is the longest scan unrolled into the graph (0: 256);
	// longer scans run as loops of the plan (see scan in docs/language.md).
	ScanUnroll int
}

// Lowered is an entry inlined into a graph.
type Lowered struct {
	B       *ops.Builder
	Inputs  []*ops.Node // the entry's parameters in order; input node names are parameter names (a tuple parameter p gives p.0, p.1, ...)
	Outputs []*ops.Node // the return values (a tuple gives several)
	Params  []*ops.Node // every param of the model instance, sorted by path
	States  []*ops.Node // every state of the model instance, sorted by path
}

// entryModel builds model md as the entry (path ""), with args given by
// the caller and symbolic dimensions for the rest.
func (i *interp) entryModel(md *modelDecl, fs *fileScope, args map[string]any) *instance {
	as := argSet{vals: make([]value, len(md.Args)), pos: make([]ops.Pos, len(md.Args)), labels: make([]string, len(md.Args))}
	for _, k := range sortedKeys(args) {
		idx := -1
		var names []string
		for j, a := range md.Args {
			names = append(names, a.Name)
			if a.Name == k {
				idx = j
			}
		}
		if idx < 0 {
			msg := fmt.Sprintf("model %s has no argument %s", md.Name, k)
			if s := suggest(k, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			i.errorf(md.Pos, CodeArgs, "%s", msg)
			return nil
		}
		var v value
		switch x := args[k].(type) {
		case int:
			v = intV{ops.DimConst(int64(x))}
		case int64:
			v = intV{ops.DimConst(x)}
		case float64:
			v = floatV(x)
			if md.Args[idx].Type != nil && md.Args[idx].Type.Name == "int" && x == float64(int64(x)) {
				v = intV{ops.DimConst(int64(x))} // integral numbers decoded from JSON
			}
		case float32:
			v = floatV(x)
		case bool:
			v = boolV(x)
		case string:
			v = stringV(x)
		case ops.Dim:
			v = intV{x}
		default:
			i.errorf(md.Pos, CodeArgType, "model argument %s: unsupported Go value %T", k, x)
			return nil
		}
		as.vals[idx], as.pos[idx] = v, md.Pos
	}
	v := i.instantiate(md.Pos, md, fs, "", as, true)
	inst, _ := v.(*instance)
	return inst
}

// lowerFn makes graph inputs for fn's parameters and inlines its body.
func (i *interp) lowerFn(f *fnDecl, fs *fileScope, inst *instance) (inputs []*ops.Node, outputs []*ops.Node) {
	name := f.Name
	if inst != nil {
		name = inst.decl.Name + "." + f.Name
	}
	fr := &frame{vars: map[string]value{}, inst: inst, file: fs, fnName: name}
	as := argSet{vals: make([]value, len(f.Params)), pos: make([]ops.Pos, len(f.Params)), labels: make([]string, len(f.Params))}
	ok := true
	for k, p := range f.Params {
		as.pos[k], as.labels[k] = p.Pos, p.Name
		if isKind(p.Type) {
			switch {
			case p.Default != nil:
				continue // the default is used
			case i.checking && p.Type.Name == "int":
				as.vals[k] = i.valueDim(p.Name)
				fr.vars[p.Name] = as.vals[k]
			case i.checking && p.Type.Name == "bool":
				as.vals[k] = boolV(false)
			case i.checking && p.Type.Name == "float":
				as.vals[k] = floatV(0.5)
			case i.checking:
				as.vals[k] = stringV("")
			default:
				i.errorf(p.Pos, CodeArgType, "entry %s: parameter %s is a compile-time %s without a default; entries take tensors", name, p.Name, p.Type.Name)
				ok = false
			}
			continue
		}
		input := p.Name
		if i.checking {
			// Every method is checked in one builder (they share the
			// model's params); their inputs must not clash.
			input = name + "/" + p.Name
		}
		v, ns, good := i.entryInput(fr, name, p, input, p.Type)
		if !good {
			ok = false
			continue
		}
		inputs = append(inputs, ns...)
		as.vals[k] = v
	}
	if !ok {
		return inputs, nil
	}
	res := i.invoke(f.Pos, f, fs, inst, as, name)
	if isBad(res) {
		return inputs, nil
	}
	var flat []value
	var flatten func(v value)
	flatten = func(v value) {
		if t, isT := v.(tupleV); isT {
			for _, x := range t {
				flatten(x)
			}
			return
		}
		flat = append(flat, v)
	}
	flatten(res)
	for _, v := range flat {
		t, isT := v.(tensorV)
		if !isT {
			i.errorf(f.Pos, CodeReturn, "entry %s returns %s; entries return tensors", name, kindOf(v))
			return inputs, nil
		}
		outputs = append(outputs, t.n)
	}
	return inputs, outputs
}

// entryInput makes the graph input(s) of an entry's parameter p: one
// input named name for a tensor type; for a tuple type, one per element,
// named name.0, name.1, ... (recursively), given to the body as a tuple.
func (i *interp) entryInput(fr *frame, fnName string, p *paramDecl, name string, t *typeExpr) (value, []*ops.Node, bool) {
	if t.Tuple != nil {
		var out tupleV
		var all []*ops.Node
		for k, el := range t.Tuple {
			v, ns, ok := i.entryInput(fr, fnName, p, fmt.Sprintf("%s.%d", name, k), el)
			if !ok {
				return bad, all, false
			}
			out, all = append(out, v), append(all, ns...)
		}
		return out, all, true
	}
	if t.Sparse {
		return i.sparseInput(fr, fnName, p, name, t)
	}
	ty, ue := i.symbolicType(fr, t)
	if ue != nil {
		if ue.msg != silent {
			i.errorf(t.Pos, ue.code, "%s: parameter %s: %s", fnName, p.Name, ue.msg)
		}
		return bad, nil, false
	}
	if len(i.shapes) > 0 {
		env := map[string]ops.Dim{}
		for k, v := range i.shapes {
			env[k] = ops.DimConst(v)
		}
		for k, d := range ty.Shape {
			ty.Shape[k] = d.Subst(env)
		}
		if err := ty.CheckSize(); err != nil {
			i.errorf(t.Pos, CodeTooLarge, "%s: parameter %s: %v", fnName, p.Name, err)
			return bad, nil, false
		}
	}
	if n, exists := i.b.Leaf(ops.Input, name); exists && !n.Type.Equal(ty) {
		i.errorf(p.Pos, CodeArgType, "input %s is %v here but %v in the graph being built", name, ty, n.Type)
		return bad, nil, false
	}
	old := i.b.SetPos(p.Pos)
	n := i.b.Input(name, ty)
	i.b.SetPos(old)
	return tensorV{n}, []*ops.Node{n}, true
}

// Entries lists the entry points: top-level functions ("f") and model
// methods ("Classifier.forward"), in file order.
func (m *Module) Entries() []string {
	var out []string
	for _, f := range m.file.ast.Fns {
		out = append(out, f.Name)
	}
	for _, md := range m.file.ast.Models {
		for _, mem := range md.Members {
			if f, ok := mem.(*fnDecl); ok {
				out = append(out, md.Name+"."+f.Name)
			}
		}
	}
	return out
}

// findEntry resolves "f" or "Model.method".
func (m *Module) findEntry(entry string) (*fnDecl, *modelDecl, error) {
	if mname, meth, ok := strings.Cut(entry, "."); ok {
		md := m.file.models[mname]
		if md != nil {
			for _, mem := range md.Members {
				if f, isFn := mem.(*fnDecl); isFn && f.Name == meth {
					return f, md, nil
				}
			}
		}
	} else if f := m.file.fns[entry]; f != nil {
		return f, nil, nil
	}
	msg := fmt.Sprintf("no entry %q", entry)
	if s := suggest(entry, m.Entries()); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else {
		msg += fmt.Sprintf(" (entries: %s)", strings.Join(m.Entries(), ", "))
	}
	return nil, nil, ErrorList{{Pos: ops.Pos{File: m.file.ast.Name}, Code: CodeEntry, Msg: msg}}
}

// Lower inlines entry ("f" or "Model.method") into a graph. A model entry
// is built with its argument defaults, overridden by opts.ModelArgs.
// Lowering the same entry twice into one builder reuses its params.
func (m *Module) Lower(entry string, opts LowerOptions) (l *Lowered, err error) {
	return m.lower(entry, opts, false)
}

// lower is Lower; with types, loops and scans of symbolic length are
// checked with one iteration (the graph is good for its types only).
func (m *Module) lower(entry string, opts LowerOptions, types bool) (l *Lowered, err error) {
	fn, md, err := m.findEntry(entry)
	if err != nil {
		return nil, err
	}
	b := opts.Builder
	if b == nil {
		b = ops.NewBuilder()
	}
	i := &interp{b: b, training: opts.Training, pos: fn.Pos, types: types, shapes: opts.Shapes, budget: m.budget, scanUnroll: opts.ScanUnroll}
	l = &Lowered{B: b}
	var inst *instance
	if md != nil {
		inst = i.entryModel(md, m.file, opts.ModelArgs)
		if inst == nil {
			return nil, i.errs.errOrNil()
		}
		l.Params, l.States = inst.allLeaves(false), inst.allLeaves(true)
	} else if len(opts.ModelArgs) > 0 {
		return nil, ErrorList{{Pos: fn.Pos, Code: CodeArgs, Msg: fmt.Sprintf("%s is a function, not a model method: it takes no model arguments", entry)}}
	}
	l.Inputs, l.Outputs = i.lowerFn(fn, m.file, inst)
	if err := i.errs.errOrNil(); err != nil {
		return nil, err
	}
	return l, nil
}

// Signature gives an entry's inputs and result types (shape variables are
// symbolic dimensions of their own name).
func (m *Module) Signature(entry string) (inputs []Arg, results []ops.Type, err error) {
	l, err := m.lower(entry, LowerOptions{}, true)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range l.Inputs {
		inputs = append(inputs, Arg{Name: n.Name(), Type: n.Type})
	}
	for _, n := range l.Outputs {
		results = append(results, n.Type)
	}
	return inputs, results, nil
}

// ModelArgs lists the argument names of model, in declaration order (nil for
// an unknown model): the names LowerOptions.ModelArgs may set.
func (m *Module) ModelArgs(model string) []string {
	md := m.file.models[model]
	if md == nil {
		return nil
	}
	var out []string
	for _, a := range md.Args {
		out = append(out, a.Name)
	}
	return out
}
