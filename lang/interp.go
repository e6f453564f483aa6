package lang

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// fileScope holds one file's top-level declarations.
type fileScope struct {
	name    string // import name ("nn") or the file name
	ast     *File
	consts  map[string]value
	fns     map[string]*Fn
	models  map[string]*Model
	imports map[string]*fileScope
}

// interp interprets .nn code symbolically on an ops.Builder.
type interp struct {
	b        *ops.Builder
	training bool
	checking bool // checking declared signatures at Load: free model args are symbolic
	errs     ErrorList
	depth    int
	pos      ops.Pos // what is being interpreted (for internal errors)
	instPath string  // path of the next model instantiated (set by member declarations)
	instOK   bool
	steps    int  // expressions evaluated, against the budget
	budget   int  // the step budget (stepBudget); 0: maxSteps
	aborted  bool // maxSteps was exceeded and reported
	// types is set for lowering that only needs types (Signature): loops
	// and scans of symbolic length run once, as when checking.
	types  bool
	shapes map[string]int64 // LowerOptions.Shapes
	calls  []ops.Pos        // the positions of the calls being inlined
	// activeCustom are the functions whose gradient blocks are being
	// checked (customgrad.go).
	activeCustom map[*Fn]bool
	// anyFloat makes declared float element types match any float type
	// (a custom gradient differentiated in f64, see customgrad.go).
	anyFloat bool
	// valueDims are the names of the symbolic dimensions that stand for int
	// values not known yet: model arguments without a default and, while
	// checking, int parameters of an entry. Used as numbers in tensor
	// arithmetic while checking, they become placeholder scalars
	// (weakScalar); when lowering, they are errors that ask for the value.
	valueDims map[string]bool
	// undefined holds the message of an undefined name by position.
	undefined map[ops.Pos]string
}

// valueDim makes a symbolic dimension for the int value name, a model
// argument without a default or, while checking, an entry's int parameter
// (see valueDims).
func (i *interp) valueDim(name string) intV {
	if i.valueDims == nil {
		i.valueDims = map[string]bool{}
	}
	i.valueDims[name] = true
	return intV{ops.DimVar(name)}
}

// placeholderScalar stands for an int value d not known while checking
// (a model argument without a default): a scalar input of element type dt,
// so that the expression using it is checked for its types.
func (i *interp) placeholderScalar(d ops.Dim, dt ops.DType) (*ops.Node, bool) {
	if !i.checking {
		return nil, false
	}
	vars := d.Vars()
	for _, v := range vars {
		if !i.valueDims[v] {
			return nil, false
		}
	}
	if len(vars) == 0 {
		return nil, false
	}
	name := fmt.Sprintf("%%value/%v/%v", d, dt)
	if n, exists := i.b.Leaf(ops.Input, name); exists {
		return n, true
	}
	return i.b.Input(name, ops.Type{DType: dt}), true
}

// typesOnly reports whether the graph being built is only for its types
// (checking, Signature): then a loop or scan whose length is a shape
// variable runs its body once instead of being unrolled.
func (i *interp) typesOnly() bool { return i.checking || i.types }

// maxSteps bounds the work of checking a program (Load: one budget for all
// of it in each mode) and of lowering one entry (unrolled loops and
// inlined calls), so that no program can make the checker run for ever:
// every expression evaluated is one step, and the built-ins whose work
// grows with the graph (grad, jvp, vjp, hvp: the graph's nodes; params:
// the parameters) spend that many. The examples and conformance cases need
// under 3,000 at sequence lengths of 64; an unrolled scan over 1,000 steps
// of an LSTM about 40,000.
const maxSteps = 100_000

// stepsPerByte scales the step budget with the size of the source, so that
// checking is linear in it: a program of n bytes may spend
// max(maxSteps, stepsPerByte·n) steps (one expression is at least two
// bytes, "x+"; the rest of the budget is for loops and inlined calls).
const stepsPerByte = 4

// stepBudget is the step budget of a program whose sources are n bytes.
func stepBudget(n int) int { return max(maxSteps, stepsPerByte*n) }

// maxRank bounds the rank of a tensor (NumPy's is 64).
const maxRank = 64

// spend counts n steps of work at p against maxSteps; it reports false,
// with one E308 error per entry, once the budget is spent.
func (i *interp) spend(p ops.Pos, n int) bool {
	limit := i.budget
	if limit == 0 {
		limit = maxSteps
	}
	i.steps += n
	if i.steps <= limit {
		return true
	}
	if !i.aborted {
		i.aborted = true
		i.errorf(p, CodeValue, "the program is too large to unroll (more than %d steps of loops, inlined calls and differentiation)", limit)
	}
	return false
}

// frame is the scope of one function invocation.
type frame struct {
	vars    map[string]value
	inst    *instance // the model whose method runs; nil in a top-level fn
	file    *fileScope
	retPos  ops.Pos
	fnName  string
	inModel bool
}

func (i *interp) errorf(p ops.Pos, code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.HasPrefix(p.File, "std/") {
		// An error inside the standard library: say which call of the
		// user's code led there.
		for k := len(i.calls) - 1; k >= 0; k-- {
			if c := i.calls[k]; c.File != "" && !strings.HasPrefix(c.File, "std/") {
				msg += fmt.Sprintf(" (in the call at %v)", c)
				break
			}
		}
	}
	i.errs = append(i.errs, &Error{Pos: p, Code: code, Msg: msg})
}

// builtinNames are the built-in functions of this version.
var builtinNames = map[string]bool{
	"exp": true, "log": true, "tanh": true, "sigmoid": true, "relu": true, "sqrt": true,
	"abs": true, "square": true, "log1p": true, "neg": true,
	"sum": true, "mean": true, "max": true, "min": true,
	"maximum": true, "minimum": true, "pow": true,
	"reshape": true, "transpose": true, "softmax": true, "log_softmax": true,
	"cross_entropy": true, "dropout": true, "one_hot": true, "cast": true,
	"l1": true, "l2": true, "zeros": true, "ones": true, "full": true, "grad": true,
	"stop_gradient": true, "jvp": true, "vjp": true, "hvp": true,
}

// futureBuiltins are built-ins of the language that this version does not
// implement yet: using one is E401, not an undefined name. Every built-in of
// LANGUAGE.md is implemented now; the mechanism stays for additions.
var futureBuiltins = map[string]bool{}

// futureStd are std/nn models of the language not written yet (none now).
var futureStd = map[string]bool{}

// lookup resolves a name: locals, then the model's members and arguments,
// then the file's declarations, then built-ins.
func (i *interp) lookup(f *frame, id *Ident) value {
	if v, ok := f.vars[id.Name]; ok {
		return v
	}
	if f.inst != nil {
		if v, ok := f.inst.members[id.Name]; ok {
			return v
		}
		if v, ok := f.inst.args[id.Name]; ok {
			return v
		}
	}
	if v, ok := i.global(f.file, id.Name); ok {
		return v
	}
	switch id.Name {
	case "training":
		return boolV(i.training)
	case "params":
		if f.inst == nil {
			i.errorf(id.Pos, CodeUndefined, "params is only defined inside a model")
			return bad
		}
		return paramsV{f.inst}
	}
	if dt, ok := parseDType(id.Name); ok {
		return dtypeV(dt)
	}
	if builtinNames[id.Name] {
		return builtinV(id.Name)
	}
	if optionalUnary[id.Name] {
		if op, ok := ops.Lookup(id.Name); ok && op.Arity == 1 {
			return builtinV(id.Name)
		}
	}
	if futureBuiltins[id.Name] {
		i.errorf(id.Pos, CodeUnsupported, "built-in %s is not supported yet", id.Name)
		return bad
	}
	msg, ok := i.undefined[id.Pos]
	if !ok {
		// Computed once per position: an unrolled loop reaches it again.
		msg = fmt.Sprintf("undefined name %q", id.Name)
		if s := suggest(id.Name, i.namesInScope(f)); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		if i.undefined == nil {
			i.undefined = map[ops.Pos]string{}
		}
		i.undefined[id.Pos] = msg
	}
	i.errorf(id.Pos, CodeUndefined, "%s", msg)
	return bad
}

func (i *interp) global(fs *fileScope, name string) (value, bool) {
	if fs == nil {
		return nil, false
	}
	if v, ok := fs.consts[name]; ok {
		return v, true
	}
	if fn, ok := fs.fns[name]; ok {
		return fnV{fn, fs}, true
	}
	if m, ok := fs.models[name]; ok {
		return modelDeclV{m, fs}, true
	}
	if im, ok := fs.imports[name]; ok {
		return namespaceV{im}, true
	}
	return nil, false
}

func (i *interp) namesInScope(f *frame) []string {
	var out []string
	for k := range f.vars {
		out = append(out, k)
	}
	if f.inst != nil {
		for k := range f.inst.members {
			out = append(out, k)
		}
		for k := range f.inst.args {
			out = append(out, k)
		}
		out = append(out, "params")
	}
	if fs := f.file; fs != nil {
		for k := range fs.consts {
			out = append(out, k)
		}
		for k := range fs.fns {
			out = append(out, k)
		}
		for k := range fs.models {
			out = append(out, k)
		}
		for k := range fs.imports {
			out = append(out, k)
		}
	}
	for k := range builtinNames {
		out = append(out, k)
	}
	out = append(out, "training", "f32", "f64", "i32", "i64", "bool")
	sort.Strings(out)
	return out
}

// badAxis matches the type-rule errors of ops that reject an axis
// attribute out of range: E308 rather than E301.
var badAxis = regexp.MustCompile(`^(\w+: )?axis -?\d+ is out of range`)

// apply adds an op at pos; a type error is reported with the operands
// labelled by their source text.
func (i *interp) apply(p ops.Pos, op string, attrs ops.Attrs, labels []string, in ...*ops.Node) value {
	return i.applyLabelled(p, op, attrs, func() []string { return labels }, in...)
}

// applyLabelled is apply with the operands' labels made only when an error
// needs them: operators, which are most of a long flat expression, would
// otherwise print two subexpressions each.
func (i *interp) applyLabelled(p ops.Pos, op string, attrs ops.Attrs, labels func() []string, in ...*ops.Node) value {
	o, ok := ops.Lookup(op)
	if !ok {
		i.errorf(p, CodeUnsupported, "%s is not supported yet (no op %q)", op, op)
		return bad
	}
	old := i.b.SetPos(p)
	defer i.b.SetPos(old)
	n, err := i.b.Apply(o, attrs, in...)
	if err != nil {
		code := CodeShape
		if se, ok := err.(*ops.SizeError); ok {
			i.errorf(p, CodeTooLarge, "%v", se)
			return bad
		}
		if badAxis.MatchString(err.Error()) {
			code = CodeValue // a compile-time axis out of range for the operand's rank
		}
		if ie, ok := err.(*ops.InferError); ok {
			i.errorf(p, code, "%s", ie.Format(labels()))
		} else {
			i.errorf(p, code, "%s: %v", op, err)
		}
		return bad
	}
	if len(n.Type.Shape) > maxRank {
		i.errorf(p, CodeValue, "%s: the result has rank %d, more than %d", op, len(n.Type.Shape), maxRank)
		return bad
	}
	return tensorV{n}
}

// ---- statements ----

// execBlock runs statements; it reports whether a return ran, and its value.
func (i *interp) execBlock(f *frame, stmts []Stmt) (value, bool) {
	for _, s := range stmts {
		if v, ret := i.exec(f, s); ret {
			return v, true
		}
	}
	return nil, false
}

const maxUnroll = 10000

func (i *interp) exec(f *frame, s Stmt) (value, bool) {
	switch s := s.(type) {
	case *ReturnStmt:
		i.pos = s.Pos
		f.retPos = s.Pos
		switch len(s.Values) {
		case 0:
			return tupleV{}, true
		case 1:
			return i.eval(f, s.Values[0]), true
		}
		t := make(tupleV, len(s.Values))
		for k, e := range s.Values {
			t[k] = i.eval(f, e)
		}
		return t, true
	case *AssignStmt:
		i.pos = s.Pos
		v := i.eval(f, s.Value)
		if len(s.Names) == 1 {
			f.vars[s.Names[0]] = v
			return nil, false
		}
		t, ok := v.(tupleV)
		if !ok || len(t) != len(s.Names) {
			if !isBad(v) {
				i.errorf(s.Pos, CodeArgs, "cannot assign %s to %d names", kindOf(v), len(s.Names))
			}
			for _, n := range s.Names {
				f.vars[n] = bad
			}
			return nil, false
		}
		for k, n := range s.Names {
			f.vars[n] = t[k]
		}
	case *UpdateStmt:
		i.pos = s.Pos
		i.update(f, s)
	case *IfStmt:
		i.pos = s.Pos
		c := i.eval(f, s.Cond)
		if isBad(c) {
			return nil, false
		}
		b, ok := c.(boolV)
		if !ok {
			i.errorf(startPos(s.Cond), CodeNotConst, "if condition must be a compile-time bool, not %s", kindOf(c))
			return nil, false
		}
		if b {
			return i.execBlock(f, s.Then)
		}
		return i.execBlock(f, s.Else)
	case *ForStmt:
		i.pos = s.Pos
		lo, hi, ok := i.rangeBounds(f, s.From, s.To)
		if !ok {
			return nil, false
		}
		for k := lo; k < hi && !i.aborted; k++ {
			// Every iteration spends a step, even with an empty body:
			// nested ranges multiply (10,000 × 0..A once took 14 s).
			if !i.spend(s.Pos, 1) {
				break
			}
			f.vars[s.Var] = intV{ops.DimConst(k)}
			if v, ret := i.execBlock(f, s.Body); ret {
				return v, true
			}
		}
	}
	return nil, false
}

// rangeBounds evaluates lo..hi, both compile-time constant ints.
func (i *interp) rangeBounds(f *frame, from, to Expr) (int64, int64, bool) {
	a, b := i.eval(f, from), i.eval(f, to)
	if isBad(a, b) {
		return 0, 0, false
	}
	lo, ok1 := constInt(a)
	hi, ok2 := constInt(b)
	if ok1 && !ok2 && i.typesOnly() {
		if _, isInt := b.(intV); isInt {
			return lo, lo + 1, true // one representative iteration
		}
	}
	if ok1 && !ok2 {
		if d, isInt := b.(intV); isInt {
			i.errorf(startPos(to), CodeNeedShapes, "range bound %s is the shape variable %v: the loop is unrolled, so lower it with concrete shapes (LowerOptions.Shapes)", exprLabel(to), d.d)
			return 0, 0, false
		}
	}
	if !ok1 || !ok2 {
		e := from
		if ok1 {
			e = to
		}
		i.errorf(startPos(e), CodeNotConst, "range bound %s must be a constant int (unrolled at compile time)", exprLabel(e))
		return 0, 0, false
	}
	if hi-lo > maxUnroll {
		i.errorf(startPos(from), CodeValue, "range %d..%d is too long to unroll (more than %d)", lo, hi, maxUnroll)
		return 0, 0, false
	}
	return lo, hi, true
}

func (i *interp) update(f *frame, s *UpdateStmt) {
	v := i.eval(f, s.Value)
	if f.inst == nil {
		i.errorf(s.Pos, CodeNotCallable, "%s <- ...: state updates are only allowed in model methods", s.Name)
		return
	}
	var target *ops.Node
	for _, st := range f.inst.states {
		if st.Name() == joinPath(f.inst.path, s.Name) {
			target = st
		}
	}
	if target == nil {
		i.errorf(s.Pos, CodeUndefined, "%s is not a state of %s", s.Name, f.inst.decl.Name)
		return
	}
	if isBad(v) {
		return
	}
	t, ok := v.(tensorV)
	if !ok || !t.n.Type.Equal(target.Type) {
		i.errorf(startPos(s.Value), CodeArgType, "state %s is %v; cannot update it with %s", s.Name, target.Type, kindOf(v))
		return
	}
	if i.training {
		i.b.Update(target, t.n)
	}
}

// ---- expressions ----

func (i *interp) eval(f *frame, e Expr) value {
	i.pos = startPos(e)
	if !i.spend(i.pos, 1) {
		return bad
	}
	switch e := e.(type) {
	case *Ident:
		return i.lookup(f, e)
	case *IntLit:
		return intV{ops.DimConst(e.Value)}
	case *FloatLit:
		return floatV(e.Value)
	case *StringLit:
		return stringV(e.Value)
	case *BoolLit:
		return boolV(e.Value)
	case *Unary:
		return i.unary(f, e)
	case *Binary:
		return i.binary(f, e)
	case *CallExpr:
		return i.call(f, e)
	case *Attr:
		return i.attr(f, e)
	case *Index:
		return i.index(f, e)
	case *TupleLit:
		t := make(tupleV, len(e.Elems))
		for k, el := range e.Elems {
			t[k] = i.eval(f, el)
		}
		return t
	case *ListLit:
		l := make(listV, len(e.Elems))
		for k, el := range e.Elems {
			l[k] = i.eval(f, el)
		}
		return l
	case *ListComp:
		return i.listComp(f, e)
	}
	i.errorf(startPos(e), CodeInternal, "internal compiler error: unknown expression %T", e)
	return bad
}

func (i *interp) listComp(f *frame, e *ListComp) value {
	base, ok := i.instPath, i.instOK
	i.instOK = false
	lo, hi, good := i.rangeBounds(f, e.From, e.To)
	if !good {
		return bad
	}
	saved, had := f.vars[e.Var]
	out := listV{}
	for k := lo; k < hi; k++ {
		f.vars[e.Var] = intV{ops.DimConst(k)}
		if ok {
			i.instPath, i.instOK = fmt.Sprintf("%s.%d", base, k), true
		}
		out = append(out, i.eval(f, e.Elem))
		i.instOK = false
	}
	if had {
		f.vars[e.Var] = saved
	} else {
		delete(f.vars, e.Var)
	}
	return out
}

func (i *interp) unary(f *frame, e *Unary) value {
	x := i.eval(f, e.X)
	x = i.asTensorLike(e.X, x, ops.F32)
	if isBad(x) {
		return bad
	}
	switch e.Op {
	case "-":
		switch x := x.(type) {
		case intV:
			return intV{x.d.Neg()}
		case floatV:
			return -x
		case tensorV:
			return i.applyLabelled(e.Pos, "neg", nil, func() []string { return []string{exprLabel(e.X)} }, x.n)
		}
	case "!":
		if b, ok := x.(boolV); ok {
			return !b
		}
		if t, ok := x.(tensorV); ok {
			one := i.b.Scalar(t.n.Type.DType, 1)
			return i.applyLabelled(e.Pos, "sub", nil, func() []string { return []string{"1", exprLabel(e.X)} }, one, t.n)
		}
	}
	i.errorf(e.Pos, CodeNotCallable, "operator %s does not apply to %s", e.Op, kindOf(x))
	return bad
}

var binaryOps = map[string]string{
	"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul",
	"<": "less", ">": "greater", "==": "equal",
}

func (i *interp) binary(f *frame, e *Binary) value {
	x, y := i.eval(f, e.X), i.eval(f, e.Y)
	if isBad(x, y) {
		return bad
	}
	if _, xl := x.(listV); xl {
		x = i.asTensorLike(e.X, x, listDType(y))
	}
	if _, yl := y.(listV); yl {
		y = i.asTensorLike(e.Y, y, listDType(x))
	}
	if isBad(x, y) {
		return bad
	}
	xt, xIsT := x.(tensorV)
	yt, yIsT := y.(tensorV)
	if !xIsT && !yIsT {
		return i.constBinary(e, x, y)
	}
	labels := func() []string { return []string{exprLabel(e.X), exprLabel(e.Y)} }
	// Weak scalars: a compile-time number takes the tensor's element type.
	if !xIsT {
		n, ok := i.weakScalar(e.X, x, yt.n.Type.DType)
		if !ok {
			return bad
		}
		xt = tensorV{n}
	}
	if !yIsT {
		n, ok := i.weakScalar(e.Y, y, xt.n.Type.DType)
		if !ok {
			return bad
		}
		yt = tensorV{n}
	}
	switch e.Op {
	case "<=", ">=", "!=":
		inv := map[string]string{"<=": "greater", ">=": "less", "!=": "equal"}[e.Op]
		m := i.applyLabelled(e.Pos, inv, nil, labels, xt.n, yt.n)
		mt, ok := m.(tensorV)
		if !ok {
			return bad
		}
		one := i.b.Scalar(mt.n.Type.DType, 1)
		return i.applyLabelled(e.Pos, "sub", nil, func() []string { return []string{"1", exprLabel(e)} }, one, mt.n)
	case "&&":
		return i.applyLabelled(e.Pos, "mul", nil, labels, xt.n, yt.n)
	case "||":
		return i.applyLabelled(e.Pos, "maximum", nil, labels, xt.n, yt.n)
	case "%":
		i.errorf(e.Pos, CodeUnsupported, "operator %% on tensors is not supported yet")
		return bad
	}
	return i.applyLabelled(e.Pos, binaryOps[e.Op], nil, labels, xt.n, yt.n)
}

func (i *interp) attr(f *frame, e *Attr) value {
	x := i.eval(f, e.X)
	if isBad(x) {
		return bad
	}
	switch x := x.(type) {
	case namespaceV:
		if v, ok := i.global(x.file, e.Name); ok {
			return v
		}
		if x.file.name == "nn" && futureStd[e.Name] {
			i.errorf(e.Pos, CodeUnsupported, "nn.%s is not in the standard library yet", e.Name)
			return bad
		}
		return i.noMember(e, x.file.name, i.fileNames(x.file))
	case *instance:
		if v, ok := x.members[e.Name]; ok {
			return v
		}
		if v, ok := x.args[e.Name]; ok {
			return v
		}
		var names []string
		for k := range x.members {
			names = append(names, k)
		}
		for k := range x.args {
			names = append(names, k)
		}
		return i.noMember(e, x.decl.Name, names)
	case listV:
		if e.Name == "T" {
			if t, ok := i.asTensorLike(e.X, x, ops.F32).(tensorV); ok {
				return i.transpose(e.Pos, t, nil, exprLabel(e.X))
			}
			return bad
		}
	case tensorV:
		if e.Name == "T" {
			return i.transpose(e.Pos, x, nil, exprLabel(e.X))
		}
		return i.noMember(e, x.n.Type.String(), []string{"T"})
	}
	i.errorf(e.Pos, CodeNoMember, "%s has no attribute %s", kindOf(x), e.Name)
	return bad
}

func (i *interp) fileNames(fs *fileScope) []string {
	var out []string
	for k := range fs.consts {
		out = append(out, k)
	}
	for k := range fs.fns {
		out = append(out, k)
	}
	for k := range fs.models {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (i *interp) noMember(e *Attr, owner string, names []string) value {
	msg := fmt.Sprintf("%s has no member %s", owner, e.Name)
	if s := suggest(e.Name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	i.errorf(e.Pos, CodeNoMember, "%s", msg)
	return bad
}

func (i *interp) index(f *frame, e *Index) value {
	x := i.eval(f, e.X)
	if isBad(x) {
		return bad
	}
	switch xv := x.(type) {
	case listV, tupleV:
		var elems []value
		if l, ok := xv.(listV); ok {
			elems = l
		} else {
			elems = xv.(tupleV)
		}
		if len(e.Indices) != 1 || e.Indices[0].Slice || e.Indices[0].Ellipsis {
			i.errorf(e.Pos, CodeUnsupported, "lists are indexed by one compile-time int")
			return bad
		}
		k := i.eval(f, e.Indices[0].Lo)
		if isBad(k) {
			return bad
		}
		n, ok := constInt(k)
		if !ok {
			i.errorf(e.Indices[0].Pos, CodeNotConst, "index %s must be a compile-time int", exprLabel(e.Indices[0].Lo))
			return bad
		}
		if n < 0 {
			n += int64(len(elems))
		}
		if n < 0 || n >= int64(len(elems)) {
			i.errorf(e.Indices[0].Pos, CodeValue, "index %s out of range [0, %d)", exprLabel(e.Indices[0].Lo), len(elems))
			return bad
		}
		return elems[n]
	case tensorV:
		return i.indexTensor(f, e, xv.n)
	}
	i.errorf(e.Pos, CodeNotCallable, "%s cannot be indexed", kindOf(x))
	return bad
}

func (i *interp) transpose(p ops.Pos, x tensorV, perm []int, label string) value {
	r := len(x.n.Type.Shape)
	if perm == nil {
		if r < 2 {
			return x
		}
		perm = make([]int, r)
		for k := range perm {
			perm[k] = r - 1 - k
		}
	}
	return i.apply(p, "transpose", ops.Attrs{"perm": perm}, []string{label}, x.n)
}

// parseDType reads an element type name.
func parseDType(s string) (ops.DType, bool) {
	switch s {
	case "f32":
		return ops.F32, true
	case "f64":
		return ops.F64, true
	case "i32":
		return ops.I32, true
	case "i64":
		return ops.I64, true
	case "bool":
		return ops.Bool, true
	}
	return 0, false
}
