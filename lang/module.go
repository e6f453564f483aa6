package lang

import (
	"embed"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nnclang/nnc/ops"
)

//go:embed std/*.nn
var stdFS embed.FS

// Module is a loaded and checked .nn file.
type Module struct {
	file   *fileScope
	trains map[string]*TrainSpec
	order  []string // models with a train block, in file order
	budget int      // the step budget of checking (per mode) and of lowering one entry; see stepBudget
}

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
}

// Lowered is an entry inlined into a graph.
type Lowered struct {
	B       *ops.Builder
	Inputs  []*ops.Node // the entry's parameters in order; input node names are parameter names (a tuple parameter p gives p.0, p.1, ...)
	Outputs []*ops.Node // the return values (a tuple gives several)
	Params  []*ops.Node // every param of the model instance, sorted by path
	States  []*ops.Node // every state of the model instance, sorted by path
}

// Load parses and checks a .nn file: every function with its declared
// symbolic signature and every model's methods with its argument defaults.
// The error, when not nil, is an ErrorList sorted by position.
func Load(filename string, src []byte) (m *Module, err error) {
	var errs ErrorList
	defer recoverInternal(filename, &err)
	ast, perr := Parse(filename, src)
	if perr != nil {
		return nil, perr
	}
	ls := &loadState{std: map[string]bool{}, chain: []string{filepath.Clean(filename)}, bytes: len(src)}
	fs := newFileScope(ast, path.Base(filename), &errs, ls)
	m = &Module{file: fs, trains: map[string]*TrainSpec{}, budget: stepBudget(ls.bytes)}
	m.checkAll(&errs)
	m.loadTrains(ast, &errs)
	if err := errs.errOrNil(); err != nil {
		return nil, err
	}
	return m, nil
}

// loadState is what loading a program knows about its imports: the
// standard library modules loaded (each once), and the chain of files
// being loaded, from the root, to report an import cycle.
type loadState struct {
	std   map[string]bool
	chain []string
	bytes int // the size of the sources read, for stepBudget
}

// cycle describes the import cycle that importing p closes, or "" when
// p is not being loaded: "a.nn imports b.nn, which imports a.nn".
func (ls *loadState) cycle(p string) string {
	start := -1
	for k, c := range ls.chain {
		if c == p {
			start = k
			break
		}
	}
	if start < 0 {
		return ""
	}
	dir := filepath.Dir(ls.chain[0])
	show := func(f string) string {
		if r, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return filepath.ToSlash(f)
	}
	files := append(append([]string(nil), ls.chain[start:]...), p)
	if len(files) == 2 {
		return show(p) + " imports itself"
	}
	var sb strings.Builder
	for k, f := range files {
		switch k {
		case 0:
		case 1:
			sb.WriteString(" imports ")
		default:
			sb.WriteString(", which imports ")
		}
		sb.WriteString(show(f))
	}
	return sb.String()
}

// newFileScope collects a file's declarations, resolves its imports and
// evaluates its constants.
func newFileScope(ast *File, name string, errs *ErrorList, loading *loadState) *fileScope {
	fs := &fileScope{name: name, ast: ast, consts: map[string]value{}, fns: map[string]*Fn{},
		models: map[string]*Model{}, imports: map[string]*fileScope{}}
	seen := map[string]ops.Pos{}
	declare := func(n string, p ops.Pos) bool {
		if prev, dup := seen[n]; dup {
			*errs = append(*errs, &Error{Pos: p, Code: CodeDuplicate, Msg: fmt.Sprintf("%s is already declared at %v", n, prev)})
			return false
		}
		seen[n] = p
		return true
	}
	for _, im := range ast.Imports {
		if !strings.HasPrefix(im.Path, "std/") {
			fs.importFile(im, errs, loading, declare)
			continue
		}
		n := im.As
		if n == "" {
			n = path.Base(im.Path)
		}
		if !declare(n, im.Pos) {
			continue
		}
		src, err := stdFS.ReadFile(im.Path + ".nn")
		if err != nil || strings.Contains(im.Path[4:], "/") {
			*errs = append(*errs, &Error{Pos: im.Pos, Code: CodeImport, Msg: fmt.Sprintf("unknown standard library module %q", im.Path)})
			fs.consts[n] = bad // no cascade of "undefined name"
			continue
		}
		if loading.std[im.Path] {
			continue
		}
		loading.std[im.Path] = true
		loading.bytes += len(src)
		sub, perr := parseStd(im.Path+".nn", src)
		if perr != nil {
			*errs = append(*errs, perr.(ErrorList)...)
			continue
		}
		fs.imports[n] = newFileScope(sub, n, errs, loading)
	}
	for _, f := range ast.Fns {
		if declare(f.Name, f.Pos) {
			fs.fns[f.Name] = f
		}
	}
	for _, md := range ast.Models {
		if declare(md.Name, md.Pos) {
			fs.models[md.Name] = md
		}
	}
	checkParamNames(ast, errs)
	i := &interp{b: ops.NewBuilder(), checking: true}
	for _, c := range ast.Consts {
		if !declare(c.Name, c.Pos) {
			continue
		}
		var v value = bad
		i.guard(func() { v = i.eval(&frame{vars: map[string]value{}, file: fs}, c.Value) })
		switch v.(type) {
		case intV, floatV, boolV, stringV, invalidV:
		default:
			i.errorf(startPos(c.Value), CodeNotConst, "const %s must be a compile-time int, float, bool or string, not %s", c.Name, kindOf(v))
			v = bad
		}
		fs.consts[c.Name] = v
	}
	*errs = append(*errs, i.errs...)
	return fs
}

// importFile resolves `import "path.nn" as name`, relative to the
// directory of the importing file.
//
// An absolute path is an error (E102): a program names its files relative
// to itself, so that it can be moved as a folder and so that a source file
// cannot read arbitrary files of the machine it is compiled on.
func (fs *fileScope) importFile(im *Import, errs *ErrorList, loading *loadState, declare func(string, ops.Pos) bool) {
	fail := func(format string, a ...any) {
		*errs = append(*errs, &Error{Pos: im.Pos, Code: CodeImport, Msg: fmt.Sprintf(format, a...)})
		if im.As != "" {
			fs.consts[im.As] = bad
		}
	}
	if im.As == "" {
		fail("import %q needs a name: import %q as name", im.Path, im.Path)
		return
	}
	if !declare(im.As, im.Pos) {
		return
	}
	if im.Path == "" || path.IsAbs(im.Path) || filepath.IsAbs(im.Path) || filepath.VolumeName(im.Path) != "" || strings.HasPrefix(im.Path, `\\`) {
		fail("cannot import %q: an import path must be relative to the folder of the importing file (absolute paths are not allowed)", im.Path)
		return
	}
	p := filepath.Join(filepath.Dir(fs.ast.Name), filepath.FromSlash(im.Path))
	if c := loading.cycle(p); c != "" {
		fail("import cycle: %s", c)
		return
	}
	src, err := os.ReadFile(p)
	if err != nil {
		fail("cannot import %q: %v", im.Path, err)
		return
	}
	loading.bytes += len(src)
	sub, perr := Parse(p, src)
	if perr != nil {
		*errs = append(*errs, perr.(ErrorList)...)
		fs.consts[im.As] = bad
		return
	}
	loading.chain = append(loading.chain, p)
	fs.imports[im.As] = newFileScope(sub, im.As, errs, loading)
	loading.chain = loading.chain[:len(loading.chain)-1]
}

// checkAll checks every function and every model method of the file, in
// evaluation and training modes.
func (m *Module) checkAll(errs *ErrorList) {
	// One budget of maxSteps for checking the whole program in each mode:
	// once it is spent (and reported), the rest is not checked.
	for _, training := range []bool{false, true} {
		used := 0
		for _, f := range m.file.ast.Fns {
			if m.file.fns[f.Name] != f || used > m.budget {
				continue
			}
			i := &interp{b: ops.NewBuilder(), training: training, checking: true, steps: used, budget: m.budget}
			i.guard(func() { i.lowerFn(f, m.file, nil) })
			used = i.steps
			*errs = append(*errs, i.errs...)
		}
		for _, md := range m.file.ast.Models {
			if m.file.models[md.Name] != md || used > m.budget {
				continue
			}
			i := &interp{b: ops.NewBuilder(), training: training, checking: true, steps: used, budget: m.budget}
			i.guard(func() {
				inst := i.entryModel(md, m.file, nil)
				if inst == nil {
					return
				}
				for _, mem := range md.Members {
					if f, ok := mem.(*Fn); ok {
						i.guard(func() { i.lowerFn(f, m.file, inst) })
					}
				}
			})
			used = i.steps
			*errs = append(*errs, i.errs...)
		}
	}
}

// entryModel builds model md as the entry (path ""), with args given by
// the caller and symbolic dimensions for the rest.
func (i *interp) entryModel(md *Model, fs *fileScope, args map[string]any) *instance {
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
func (i *interp) lowerFn(f *Fn, fs *fileScope, inst *instance) (inputs []*ops.Node, outputs []*ops.Node) {
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
func (i *interp) entryInput(fr *frame, fnName string, p *Param, name string, t *TypeExpr) (value, []*ops.Node, bool) {
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
			if f, ok := mem.(*Fn); ok {
				out = append(out, md.Name+"."+f.Name)
			}
		}
	}
	return out
}

// findEntry resolves "f" or "Model.method".
func (m *Module) findEntry(entry string) (*Fn, *Model, error) {
	if mname, meth, ok := strings.Cut(entry, "."); ok {
		md := m.file.models[mname]
		if md != nil {
			for _, mem := range md.Members {
				if f, isFn := mem.(*Fn); isFn && f.Name == meth {
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
	i := &interp{b: b, training: opts.Training, pos: fn.Pos, types: types, shapes: opts.Shapes, budget: m.budget}
	defer func() {
		if r := recover(); r != nil {
			l, err = nil, ErrorList{{Pos: i.pos, Code: CodeInternal, Msg: fmt.Sprintf("internal compiler error: %v (please report this)", r)}}
		}
	}()
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

// checkParamNames reports a parameter name used twice in the signature of
// one function or method (E103, at the second).
func checkParamNames(ast *File, errs *ErrorList) {
	check := func(f *Fn) {
		seen := map[string]ops.Pos{}
		for _, p := range f.Params {
			if prev, dup := seen[p.Name]; dup {
				*errs = append(*errs, &Error{Pos: p.Pos, Code: CodeDuplicate,
					Msg: fmt.Sprintf("parameter %s of %s is already declared at %v", p.Name, f.Name, prev)})
				continue
			}
			seen[p.Name] = p.Pos
		}
	}
	for _, f := range ast.Fns {
		check(f)
	}
	for _, md := range ast.Models {
		for _, mem := range md.Members {
			if f, ok := mem.(*Fn); ok {
				check(f)
			}
		}
	}
}

// stdParsed caches the syntax trees of the embedded standard library files
// (the checker does not modify a tree), by path.
var stdParsed sync.Map

// parseStd parses an embedded standard library file once per process.
func parseStd(name string, src []byte) (*File, error) {
	if f, ok := stdParsed.Load(name); ok {
		return f.(*File), nil
	}
	f, err := Parse(name, src)
	if err != nil {
		return nil, err
	}
	stdParsed.Store(name, f)
	return f, nil
}
