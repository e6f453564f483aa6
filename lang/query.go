package lang

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/nnclang/nnc/ops"
)

// The query API: what an editor (the language server, package lsp) asks of
// a file being edited. Analyze checks a file as Load does but keeps what
// it learned when there are errors: the errors themselves, the syntax
// trees of the file and its imports, and the value each expression
// evaluated to while checking (the interpreter's one hook: interp.obs,
// called by eval). Positions are those of ops.Pos: 1-based lines and
// columns counted in characters (runes).
//
// An expression is found by its token: a name, a literal, an operator
// (the expression it applies), an attribute's name, a keyword argument's
// name. Where a name is declared is found by the scopes of the syntax
// tree: a function's parameters and assignments, the model's arguments and
// members, the file's declarations and imports, std/nn's.

// observer records, for the query API, the first valid value each
// expression evaluated to while checking (a function is first checked with
// its declared signature, so its expressions keep their symbolic types).
type observer struct {
	vals map[expr]value
	// inner is set while eval's body is entered from observer.eval, so
	// that it runs once (eval keeps no frame of its own for the hook, so
	// that checking without an observer uses no more stack).
	inner bool
}

// eval evaluates e with eval's body, whose subexpressions are observed in
// turn, and records its value.
func (o *observer) eval(i *interp, f *frame, e expr) value {
	o.inner = true
	v := i.eval(f, e)
	o.record(e, v)
	return v
}

// record is the hook called by eval for each expression evaluated.
func (o *observer) record(e expr, v value) {
	if _, bad := v.(invalidV); bad || v == nil {
		return
	}
	if _, seen := o.vals[e]; !seen {
		o.vals[e] = v
	}
}

// Analysis is a checked file with what an editor asks of it (Info,
// Definition, Symbols, Completions). It is read-only once made; its methods
// may be called from several goroutines.
type Analysis struct {
	// Errors are the errors of the file and its imports, sorted by
	// position, as Load reports them; nil when it checks.
	Errors ErrorList
	root   string
	files  map[string]*queryFile // by ops.Pos.File: the file and its imports
	obs    *observer
	mod    *Module // when the file checks: to lower an entry for its FLOPs
}

// queryFile is one file of an Analysis: its source, tokens and syntax
// tree, and what the tokens stand for.
type queryFile struct {
	name  string
	src   []byte     // the source, for its comments
	scope *fileScope // nil when the file did not parse
	toks  []lexer.Token
	// uses maps the position of a token to the expression it stands for
	// (see the package comment above) and the scope it is in.
	uses map[ops.Pos]use
	// decls maps the position of a declared name's token to its
	// declaration.
	decls map[ops.Pos]declRef
	// ranges are the top-level declarations and model methods, by
	// position, for the scope of a position that is not on a token.
	ranges []scopeRange
	// top are the file's declarations by name; members a model's
	// arguments and members by name.
	top     map[string]declRef
	members map[*modelDecl]map[string]declRef
	// locals are a function's parameters and locals (by their first
	// assignment) by name.
	locals map[*fnDecl]map[string]declRef
}

// use is an expression's token and the scope it appears in.
type use struct {
	e   expr
	kw  *kwarg    // set for a keyword argument's name
	in  *callExpr // the call whose callee e is, or whose keyword argument kw is
	ctx scopeCtx
	dim bool // in a written type's dimensions
}

// scopeCtx is where a token is: in which function and model.
type scopeCtx struct {
	fn    *fnDecl
	model *modelDecl
}

// declRef is a declaration: exactly one field is set, or name with kind
// for an assignment or loop variable.
type declRef struct {
	kind  string // "function", "model", "param", "state", "member", "argument", "parameter", "const", "import", "local", "loop variable"
	name  string
	fn    *fnDecl
	model *modelDecl
	leaf  *leafDecl
	sub   *subDecl
	par   *paramDecl
	value expr // a const's, member's or local's value, when one
	ctx   scopeCtx
	pos   ops.Pos // the name's token
	elem  int     // for a, b = value: the index of the name in the tuple
}

// scopeRange is the text of a declaration: from its position to the next
// one's.
type scopeRange struct {
	start ops.Pos
	ctx   scopeCtx
}

// Analyze parses and checks a file like Load, keeping for queries what it
// learned. It never fails: a file that does not parse has only its
// syntax errors in Errors.
func Analyze(filename string, src []byte) *Analysis {
	a := &Analysis{root: filename, files: map[string]*queryFile{}, obs: &observer{vals: map[expr]value{}}}
	ast, perr := parse(filename, src)
	if perr != nil {
		a.Errors, _ = perr.(ErrorList)
		if a.Errors == nil {
			a.Errors = ErrorList{{Pos: ops.Pos{File: filename, Line: 1, Col: 1}, Code: CodeSyntax, Msg: perr.Error()}}
		}
		return a
	}
	var errs ErrorList
	ls := &loadState{std: map[string]*fileScope{}, chain: []string{filepath.Clean(filename)}, bytes: len(src)}
	fs := newFileScope(ast, path.Base(filename), &errs, ls)
	m := &Module{file: fs, trains: map[string]*TrainSpec{}, budget: stepBudget(ls.bytes), obs: a.obs}
	m.checkAll(&errs)
	m.loadTrains(ast, &errs)
	a.Errors = errs.sortDedup()
	if len(a.Errors) == 0 {
		a.mod = m
	}
	a.addFile(fs, src)
	return a
}

// addFile indexes fs (with src, or its source read again) and its imports.
func (a *Analysis) addFile(fs *fileScope, src []byte) {
	name := fs.ast.Name
	if _, done := a.files[name]; done {
		return
	}
	if src == nil {
		if strings.HasPrefix(name, "std/") {
			src, _ = stdFS.ReadFile(name)
		} else {
			src, _ = os.ReadFile(name)
		}
	}
	toks, err := tokenize(name, src)
	if err != nil {
		toks = nil
	}
	qf := &queryFile{name: name, src: src, scope: fs, uses: map[ops.Pos]use{}, decls: map[ops.Pos]declRef{}}
	for _, t := range toks {
		if t.Type != tokNL && t.Type != tokEOF {
			qf.toks = append(qf.toks, t)
		}
	}
	a.files[name] = qf
	qf.index()
	for _, im := range sortedKeys(fs.imports) {
		a.addFile(fs.imports[im], nil)
	}
}

// StdSource returns the source of a standard library file named as in
// positions ("std/nn.nn"), which is embedded in the binary.
func StdSource(name string) ([]byte, bool) {
	if !strings.HasPrefix(name, "std/") {
		return nil, false
	}
	b, err := stdFS.ReadFile(name)
	return b, err == nil
}

// tokenAt returns the token that covers line:col, if any.
func (qf *queryFile) tokenAt(line, col int) (lexer.Token, bool) {
	k := sort.Search(len(qf.toks), func(k int) bool {
		p := qf.toks[k].Pos
		return p.Line > line || p.Line == line && p.Column > col
	})
	if k == 0 {
		return lexer.Token{}, false
	}
	t := qf.toks[k-1]
	if t.Pos.Line == line && col < t.Pos.Column+utf8.RuneCountInString(t.Value) {
		return t, true
	}
	return lexer.Token{}, false
}

// tokenFrom returns the first token at or after p whose text is text.
func (qf *queryFile) tokenFrom(p ops.Pos, text string) (lexer.Token, bool) {
	k := sort.Search(len(qf.toks), func(k int) bool {
		q := qf.toks[k].Pos
		return q.Line > p.Line || q.Line == p.Line && q.Column >= p.Col
	})
	for ; k < len(qf.toks); k++ {
		if qf.toks[k].Value == text {
			return qf.toks[k], true
		}
	}
	return lexer.Token{}, false
}

// namePos is the position of the name token of a declaration at p.
func (qf *queryFile) namePos(p ops.Pos, name string) ops.Pos {
	if t, ok := qf.tokenFrom(p, name); ok {
		return tokPos(qf.name, t)
	}
	return p
}

func tokPos(file string, t lexer.Token) ops.Pos {
	return ops.Pos{File: file, Line: t.Pos.Line, Col: t.Pos.Column}
}

// Info is what the checker knows of the expression or name at a position.
type Info struct {
	// Pos and End delimit the token (End is exclusive, on Pos's line).
	Pos, End ops.Pos
	// Kind says what the token is: "local", "parameter" (of a function),
	// "argument" (of a model), "param", "state", "member", "function",
	// "method", "model", "module", "built-in", "const", "keyword argument",
	// "expression" (an operator, a literal, a call's bracket).
	Kind string
	// Name is the name, or the expression's text.
	Name string
	// Type is the value's type as checking found it: "f32[B, 128]",
	// "int = 64", "fn f(x: f32[N]) -> f32"; "" when the expression was not
	// checked (a function with errors).
	Type string
	// Detail holds further lines: a param's path, count and initializer, a
	// built-in's signature and documentation, a call's result type.
	Detail []string
	// Def is where the name is declared (the name's token), in this file,
	// an import or std ("std/nn.nn"); zero when built in or unknown.
	Def ops.Pos
}

// Info describes the token at line:col of file (a name of the Analysis'
// files: the analyzed file or one it imports), or reports false.
func (a *Analysis) Info(file string, line, col int) (*Info, bool) {
	qf := a.files[file]
	if qf == nil {
		return nil, false
	}
	t, ok := qf.tokenAt(line, col)
	if !ok {
		return nil, false
	}
	p := tokPos(file, t)
	info := &Info{Pos: p, End: ops.Pos{File: file, Line: p.Line, Col: p.Col + utf8.RuneCountInString(t.Value)}}
	if d, ok := qf.decls[p]; ok {
		a.describeDecl(qf, d, info)
		return info, true
	}
	u, ok := qf.uses[p]
	if !ok {
		return nil, false
	}
	if u.kw != nil {
		info.Kind, info.Name = "keyword argument", u.kw.Name
		if d, ok := a.kwDecl(qf, u); ok {
			info.Def = d.pos
		}
		if v, ok := a.obs.vals[u.kw.Value]; ok {
			info.Type = describe(v)
		}
		return info, true
	}
	a.describeUse(qf, u, info)
	return info, true
}

// Definition returns where the name at line:col of file is declared.
func (a *Analysis) Definition(file string, line, col int) (ops.Pos, bool) {
	info, ok := a.Info(file, line, col)
	if !ok || info.Def.Line == 0 {
		return ops.Pos{}, false
	}
	return info.Def, true
}

// describeUse fills info for an expression's token.
func (a *Analysis) describeUse(qf *queryFile, u use, info *Info) {
	v, checked := a.obs.vals[u.e]
	switch e := u.e.(type) {
	case *ident:
		info.Name, info.Kind = e.Name, "name"
		if d, ok := a.resolve(qf, e.Name, e.Pos, u.ctx); ok {
			info.Kind = d.kind
			info.Def = a.declPos(d)
		}
	case *attrExpr:
		info.Name, info.Kind = exprString(e), "member"
		if d, ok := a.member(qf, e); ok {
			info.Kind = d.kind
			info.Def = a.declPos(d)
		}
	default:
		info.Name, info.Kind = exprString(e), "expression"
	}
	id, isIdent := u.e.(*ident)
	switch {
	case checked:
		info.Type = describe(v)
		info.Detail = append(info.Detail, details(v)...)
	case isIdent && info.Def.Line != 0:
		// Not evaluated (a written type's dimension, a function that did
		// not check): what its declaration says.
		if d, ok := a.resolve(qf, id.Name, id.Pos, u.ctx); ok {
			var di Info
			a.describeDecl(qf, d, &di)
			info.Type, info.Detail = di.Type, di.Detail
		}
	case isIdent && isBuiltin(id.Name):
		info.Kind, info.Type = "built-in", describe(builtinV(id.Name))
		info.Detail = details(builtinV(id.Name))
	case isIdent && u.dim:
		info.Kind, info.Type = "shape variable", "a dimension bound by the arguments"
	case isIdent && u.in != nil && isInitializer(id.Name):
		info.Kind = "initializer"
		info.Type = "initializer " + id.Name + "(" + strings.Join(initializers[id.Name], ", ") + ")"
	case u.dim:
		info.Type = "int: a dimension"
	default:
		info.Type = literalType(u.e)
	}
	if _, isB := v.(builtinV); isB {
		info.Kind = "built-in"
	}
	if u.in != nil {
		if r, ok := a.obs.vals[u.in]; ok {
			info.Detail = append([]string{"call: " + exprString(u.in) + ": " + describe(r)}, info.Detail...)
		}
	}
}

// describeDecl fills info for a declared name's token.
func (a *Analysis) describeDecl(qf *queryFile, d declRef, info *Info) {
	info.Kind, info.Name, info.Def = d.kind, d.name, a.declPos(d)
	switch {
	case d.fn != nil:
		info.Type = "fn " + signature(d.fn)
		entry := d.fn.Name
		if d.ctx.model != nil {
			info.Kind, entry = "method", d.ctx.model.Name+"."+d.fn.Name
		}
		if qf.name == a.root {
			if f := a.entryFlops(entry); f != "" {
				info.Detail = append(info.Detail, f)
			}
		}
	case d.model != nil:
		info.Type = "model " + d.model.Name + "(" + paramsText(d.model.Args) + ")"
	case d.leaf != nil:
		info.Type = typeText(d.leaf.Type)
		if d.leaf.Init != nil {
			info.Detail = append(info.Detail, "init: "+exprString(d.leaf.Init))
		}
	case d.par != nil:
		info.Type = typeText(d.par.Type)
	}
	if d.kind == "import" {
		info.Type = "module " + d.name
	}
	if d.kind == "loop variable" {
		info.Type = "int"
	}
	if d.value != nil {
		v, ok := a.obs.vals[d.value]
		if t, isT := v.(tupleV); ok && isT && d.elem >= 0 && d.elem < len(t) {
			v = t[d.elem]
		}
		if ok {
			info.Type = describe(v)
			info.Detail = append(info.Detail, details(v)...)
		} else if d.kind == "const" {
			if v, ok := qf.scope.consts[d.name]; ok {
				info.Type = describe(v)
			}
		}
	}
}

// declPos is the position of a declaration's name token.
func (a *Analysis) declPos(d declRef) ops.Pos { return d.pos }

// typeText writes a declared type as in the source.
func typeText(t *typeExpr) string {
	if t == nil {
		return ""
	}
	if t.Tuple != nil {
		parts := make([]string, len(t.Tuple))
		for k, e := range t.Tuple {
			parts[k] = typeText(e)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	s := t.Name
	if t.Sparse {
		s = "sparse " + s
	}
	if t.HasDims {
		dims := make([]string, len(t.Dims))
		for k, d := range t.Dims {
			if d.Ellipsis {
				dims[k] = "..."
			} else {
				dims[k] = exprString(d.Expr)
			}
		}
		s += "[" + strings.Join(dims, ", ") + "]"
	}
	return s
}

// paramsText writes a parameter list.
func paramsText(ps []*paramDecl) string {
	parts := make([]string, len(ps))
	for k, p := range ps {
		parts[k] = p.Name + ": " + typeText(p.Type)
		if p.Default != nil {
			parts[k] += " = " + exprString(p.Default)
		}
	}
	return strings.Join(parts, ", ")
}

// signature writes a function's signature: "name(x: f32[N]) -> f32".
func signature(f *fnDecl) string {
	s := f.Name + "(" + paramsText(f.Params) + ")"
	if f.Result != nil {
		s += " -> " + typeText(f.Result)
	}
	return s
}

// describe writes a value's type: "f32[B, 128]", "int = 64", "fn ...".
func describe(v value) string {
	switch x := v.(type) {
	case tensorV:
		return x.n.Type.String()
	case sparseV:
		return x.typeString()
	case intV:
		if c, ok := x.d.IsConst(); ok {
			return fmt.Sprintf("int = %d", c)
		}
		return "int = " + x.d.String()
	case floatV:
		return fmt.Sprintf("float = %g", float64(x))
	case boolV:
		return fmt.Sprintf("bool = %v", bool(x))
	case stringV:
		return fmt.Sprintf("string = %q", string(x))
	case dtypeV:
		return "element type " + ops.DType(x).String()
	case tupleV:
		parts := make([]string, len(x))
		for k, e := range x {
			parts[k] = describe(e)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case listV:
		if len(x) == 0 {
			return "list (empty)"
		}
		return fmt.Sprintf("list of %d: [%s, ...]", len(x), describe(x[0]))
	case fnV:
		return "fn " + signature(x.fn)
	case methodV:
		return "fn " + x.inst.decl.Name + "." + signature(x.fn)
	case builtinV:
		return "built-in " + builtinSignature(string(x))
	case modelDeclV:
		return "model " + x.m.Name + "(" + paramsText(x.m.Args) + ")"
	case *instance:
		s := "model " + x.decl.Name
		if x.path != "" {
			s += " at " + x.path
		}
		return s
	}
	return kindOf(v)
}

// details are the further lines of a value's description: a param's or
// state's path, count and initializer; a built-in's documentation; a
// model instance's parameter count.
func details(v value) []string {
	switch x := v.(type) {
	case tensorV:
		n := x.n
		if n.Op != ops.Param && n.Op != ops.State {
			return nil
		}
		kind := "param"
		if n.Op == ops.State {
			kind = "state"
		}
		out := []string{fmt.Sprintf("%s %s: %s", kind, n.Name(), n.Type)}
		if c, ok := count(n.Type.Shape); ok {
			out = append(out, fmt.Sprintf("%d values", c))
		}
		if init := n.Attrs.Str("init", ""); init != "" {
			out = append(out, "init: "+init)
		}
		return out
	case builtinV:
		if op := registryBuiltins()[string(x)]; op != nil && op.Doc != "" {
			return []string{op.Doc}
		}
	case *instance:
		total, known := int64(0), true
		for _, p := range x.allLeaves(false) {
			c, ok := count(p.Type.Shape)
			total, known = total+c, known && ok
		}
		if known {
			return []string{fmt.Sprintf("%d parameters", total)}
		}
	}
	return nil
}

// count is the number of elements of a constant shape.
func count(s ops.Shape) (int64, bool) {
	n := int64(1)
	for _, d := range s {
		c, ok := d.IsConst()
		if !ok || c < 0 || (c > 0 && n > (1<<62)/c) {
			return 0, false
		}
		n *= c
	}
	return n, true
}

// builtinSignature writes a built-in's call form: operands, then
// attributes with their defaults ("softmax(x, axis = -1)").
func builtinSignature(name string) string {
	op := registryBuiltins()[name]
	if op == nil || op.Builtin == nil {
		return name + "(...)"
	}
	var parts []string
	for _, o := range op.Builtin.Operands {
		s := o.Name
		if o.Kind == ops.VariadicOperand {
			s += "..."
		}
		if o.Optional {
			s += "?"
		}
		parts = append(parts, s)
	}
	for _, at := range op.Builtin.Attrs {
		s := at.Name
		if at.Default != nil {
			s += fmt.Sprintf(" = %v", at.Default)
		} else if !at.Required && at.Missing == "" {
			s += "?" // optional, without a default: left out unless given
		}
		parts = append(parts, s)
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

// entryFlops describes the FLOPs of one forward execution of an entry
// of the analyzed file (evaluation mode), its shape variables at 1:
// "FLOPs: 24 at B = 1" (per example when the one variable is the batch).
// It is "" when the file has errors or the entry does not lower (a model
// argument without a default).
func (a *Analysis) entryFlops(entry string) string {
	if a.mod == nil {
		return ""
	}
	env := a.shapeVarsAtOne(entry)
	l, err := a.mod.Lower(entry, LowerOptions{Shapes: env})
	if err != nil {
		return ""
	}
	for _, n := range l.Inputs {
		for _, d := range n.Type.Shape {
			for _, v := range d.Vars() {
				env[v] = 1
			}
		}
	}
	for k, o := range l.Outputs {
		l.B.Output(fmt.Sprintf("out%d", k), o)
	}
	fc, err := ops.CountFlops(l.B.G, env)
	if err != nil {
		return ""
	}
	s := fmt.Sprintf("FLOPs: %d", fc.Total)
	var at []string
	for _, v := range sortedKeys(env) {
		at = append(at, v+" = 1")
	}
	if len(at) > 0 {
		s += " at " + strings.Join(at, ", ")
	}
	if len(fc.Estimated) > 0 {
		s += " (estimated for " + strings.Join(fc.Estimated, ", ") + ")"
	}
	return s
}

// shapeVarsAtOne gives each shape variable of an entry's signature the
// value 1 (loops over a shape variable unroll once).
func (a *Analysis) shapeVarsAtOne(entry string) map[string]int64 {
	in, _, err := a.mod.Signature(entry)
	if err != nil {
		return nil
	}
	env := map[string]int64{}
	for _, arg := range in {
		for _, d := range arg.Type.Shape {
			for _, v := range d.Vars() {
				env[v] = 1
			}
		}
	}
	return env
}

// isInitializer reports whether name is a param initializer (zeros,
// glorot_uniform, ...).
func isInitializer(name string) bool {
	_, ok := initializers[name]
	return ok
}

// literalType describes a literal that checking did not evaluate (a
// model argument's default, a train setting's value): its type and value;
// "" for other expressions.
func literalType(e expr) string {
	switch e := e.(type) {
	case *intLit:
		return fmt.Sprintf("int = %d", e.Value)
	case *floatLit:
		if e.Text != "" {
			return "float = " + e.Text
		}
		return fmt.Sprintf("float = %g", e.Value)
	case *boolLit:
		return fmt.Sprintf("bool = %t", e.Value)
	case *stringLit:
		return fmt.Sprintf("string = %q", e.Value)
	}
	return ""
}
