package lang

import (
	"path"
	"sort"

	"github.com/nnclang/nnc/ops"
)

// The index of a file for the query API (query.go): which expression each
// token stands for, which declaration each declared name is, and the scope
// of each position.

// index walks the file's syntax tree.
func (qf *queryFile) index() {
	qf.top = map[string]declRef{}
	qf.members = map[*modelDecl]map[string]declRef{}
	qf.locals = map[*fnDecl]map[string]declRef{}
	if qf.scope == nil || qf.scope.ast == nil {
		return
	}
	ast := qf.scope.ast
	for _, im := range ast.Imports {
		name, p := im.As, im.Pos
		if name == "" {
			name = path.Base(im.Path)
		} else {
			p = qf.namePos(im.Pos, im.As)
		}
		qf.declare(declRef{kind: "import", name: name, pos: p}, qf.top)
		qf.ranges = append(qf.ranges, scopeRange{start: im.Pos})
	}
	for _, c := range ast.Consts {
		qf.declare(declRef{kind: "const", name: c.Name, value: c.Value, pos: qf.namePos(c.Pos, c.Name)}, qf.top)
		qf.ranges = append(qf.ranges, scopeRange{start: c.Pos})
		qf.walkExpr(c.Value, scopeCtx{}, nil)
	}
	for _, f := range ast.Fns {
		qf.declare(declRef{kind: "function", name: f.Name, fn: f, pos: qf.namePos(f.Pos, f.Name)}, qf.top)
		qf.walkFn(f, scopeCtx{fn: f})
	}
	for _, m := range ast.Models {
		qf.declare(declRef{kind: "model", name: m.Name, model: m, pos: qf.namePos(m.Pos, m.Name)}, qf.top)
		qf.walkModel(m)
	}
	for _, t := range ast.Trains {
		ctx := scopeCtx{model: qf.scope.models[t.Model]}
		qf.ranges = append(qf.ranges, scopeRange{start: t.Pos, ctx: ctx})
		for _, fd := range t.Fields {
			qf.walkExpr(fd.Value, ctx, nil)
			qf.walkMapKeys(fd.Value, ctx)
		}
	}
	sort.SliceStable(qf.ranges, func(x, y int) bool { return posBefore(qf.ranges[x].start, qf.ranges[y].start) })
}

// walkMapKeys indexes the keys of a train setting's map that name members
// of the trained model (init_from = {teacher: "t.safetensors"}), so that
// hovering one describes the sub-model; other keys (the inputs of
// inputs = {ids: "x"}) stay unindexed.
func (qf *queryFile) walkMapKeys(e expr, ctx scopeCtx) {
	m, ok := e.(*MapLit)
	if !ok || ctx.model == nil {
		return
	}
	for i, k := range m.Keys {
		if _, member := qf.members[ctx.model][k]; member && i < len(m.KeyPos) {
			qf.walkExpr(&ident{Pos: m.KeyPos[i], Name: k}, ctx, nil)
		}
	}
}

// posBefore orders positions of one file.
func posBefore(p, q ops.Pos) bool { return p.Line < q.Line || p.Line == q.Line && p.Col < q.Col }

// declare records d by its name's token and, when the name is new, in by.
func (qf *queryFile) declare(d declRef, by map[string]declRef) {
	if _, dup := by[d.name]; !dup && by != nil {
		by[d.name] = d
	}
	if _, seen := qf.decls[d.pos]; !seen {
		qf.decls[d.pos] = d
	}
}

// walkModel indexes a model's arguments and members.
func (qf *queryFile) walkModel(m *modelDecl) {
	mem := map[string]declRef{}
	qf.members[m] = mem
	ctx := scopeCtx{model: m}
	qf.ranges = append(qf.ranges, scopeRange{start: m.Pos, ctx: ctx})
	for _, a := range m.Args {
		qf.declare(declRef{kind: "argument", name: a.Name, par: a, ctx: ctx, pos: qf.namePos(a.Pos, a.Name)}, mem)
		qf.walkType(a.Type, ctx)
		if a.Default != nil {
			qf.walkExpr(a.Default, ctx, nil)
		}
	}
	for _, x := range m.Members {
		switch x := x.(type) {
		case *leafDecl:
			kind := "param"
			if x.State {
				kind = "state"
			}
			qf.declare(declRef{kind: kind, name: x.Name, leaf: x, ctx: ctx, pos: qf.namePos(x.Pos, x.Name)}, mem)
			qf.walkType(x.Type, ctx)
			if x.Init != nil {
				qf.walkExpr(x.Init, ctx, nil)
			}
		case *subDecl:
			qf.declare(declRef{kind: "member", name: x.Name, sub: x, value: x.Value, ctx: ctx, pos: qf.namePos(x.Pos, x.Name)}, mem)
			qf.walkExpr(x.Value, ctx, nil)
		case *fnDecl:
			qf.declare(declRef{kind: "method", name: x.Name, fn: x, ctx: ctx, pos: qf.namePos(x.Pos, x.Name)}, mem)
			qf.walkFn(x, scopeCtx{fn: x, model: m})
		}
	}
}

// walkFn indexes a function's parameters, result and body.
func (qf *queryFile) walkFn(f *fnDecl, ctx scopeCtx) {
	qf.ranges = append(qf.ranges, scopeRange{start: f.Pos, ctx: ctx})
	loc := map[string]declRef{}
	qf.locals[f] = loc
	for _, p := range f.Params {
		qf.declare(declRef{kind: "parameter", name: p.Name, par: p, ctx: ctx, pos: qf.namePos(p.Pos, p.Name)}, loc)
		qf.walkType(p.Type, ctx)
		if p.Default != nil {
			qf.walkExpr(p.Default, ctx, nil)
		}
	}
	qf.walkType(f.Result, ctx)
	qf.walkStmts(f.Body, ctx, loc)
	if f.Grad != nil {
		qf.walkStmts(f.Grad.Body, ctx, loc)
	}
}

// walkType indexes the expressions of a written type's dimensions.
func (qf *queryFile) walkType(t *typeExpr, ctx scopeCtx) {
	if t == nil {
		return
	}
	for _, e := range t.Tuple {
		qf.walkType(e, ctx)
	}
	for _, d := range t.Dims {
		if d.Expr != nil {
			qf.walkExpr(d.Expr, ctx, nil)
			if u, ok := qf.uses[d.Expr.Position()]; ok && u.e == d.Expr {
				u.dim = true
				qf.uses[d.Expr.Position()] = u
			}
		}
	}
}

// walkStmts indexes statements; loc are the function's locals, each by
// its first assignment.
func (qf *queryFile) walkStmts(ss []stmt, ctx scopeCtx, loc map[string]declRef) {
	for _, s := range ss {
		switch s := s.(type) {
		case *assignStmt:
			at := s.Pos
			for k, n := range s.Names {
				p := qf.namePos(at, n)
				at = ops.Pos{File: p.File, Line: p.Line, Col: p.Col + 1}
				d := declRef{kind: "local", name: n, ctx: ctx, pos: p, elem: -1}
				if len(s.Names) == 1 {
					d.value = s.Value
				} else {
					d.value, d.elem = s.Value, k
				}
				if first, ok := loc[n]; ok {
					d.pos = first.pos // a later assignment: declared at the first
					qf.decls[p] = d
					continue
				}
				qf.declare(d, loc)
			}
			qf.walkExpr(s.Value, ctx, nil)
		case *forStmt:
			qf.declare(declRef{kind: "loop variable", name: s.Var, ctx: ctx, pos: qf.namePos(s.Pos, s.Var)}, loc)
			qf.walkExpr(s.From, ctx, nil)
			qf.walkExpr(s.To, ctx, nil)
			qf.walkStmts(s.Body, ctx, loc)
		case *ifStmt:
			qf.walkExpr(s.Cond, ctx, nil)
			qf.walkStmts(s.Then, ctx, loc)
			qf.walkStmts(s.Else, ctx, loc)
		case *returnStmt:
			for _, v := range s.Values {
				qf.walkExpr(v, ctx, nil)
			}
		case *updateStmt:
			qf.walkExpr(s.Value, ctx, nil)
		}
	}
}

// walkExpr records the token of e and of its subexpressions; in is the
// call whose callee e is.
func (qf *queryFile) walkExpr(e expr, ctx scopeCtx, in *callExpr) {
	if e == nil {
		return
	}
	if _, isCall := e.(*callExpr); !isCall {
		if _, seen := qf.uses[e.Position()]; !seen {
			qf.uses[e.Position()] = use{e: e, in: in, ctx: ctx}
		}
	}
	switch e := e.(type) {
	case *binaryExpr:
		qf.walkExpr(e.X, ctx, nil)
		qf.walkExpr(e.Y, ctx, nil)
	case *unaryExpr:
		qf.walkExpr(e.X, ctx, nil)
	case *callExpr:
		qf.walkExpr(e.Fn, ctx, e)
		for _, a := range e.Args {
			qf.walkExpr(a, ctx, nil)
		}
		for _, kw := range e.Kwargs {
			qf.uses[kw.Pos] = use{kw: kw, in: e, ctx: ctx}
			qf.walkExpr(kw.Value, ctx, nil)
		}
	case *attrExpr:
		qf.walkExpr(e.X, ctx, nil)
	case *indexExpr:
		qf.walkExpr(e.X, ctx, nil)
		for _, it := range e.Indices {
			qf.walkExpr(it.Lo, ctx, nil)
			qf.walkExpr(it.Hi, ctx, nil)
			qf.walkExpr(it.Step, ctx, nil)
		}
	case *tupleLit:
		for _, x := range e.Elems {
			qf.walkExpr(x, ctx, nil)
		}
	case *listLit:
		for _, x := range e.Elems {
			qf.walkExpr(x, ctx, nil)
		}
	case *listComp:
		qf.walkExpr(e.Elem, ctx, nil)
		qf.walkExpr(e.From, ctx, nil)
		qf.walkExpr(e.To, ctx, nil)
	}
}

// resolve finds the declaration of name used at p in ctx: the function's
// parameters and locals, the model's arguments and members, the file's
// declarations.
func (a *Analysis) resolve(qf *queryFile, name string, p ops.Pos, ctx scopeCtx) (declRef, bool) {
	if ctx.fn != nil {
		if d, ok := qf.locals[ctx.fn][name]; ok {
			return d, true
		}
	}
	if ctx.model != nil {
		if d, ok := qf.members[ctx.model][name]; ok {
			return d, true
		}
	}
	d, ok := qf.top[name]
	if ok && d.kind == "import" {
		d.value = nil
	}
	return d, ok
}

// member finds the declaration of x.name: a declaration of an imported
// module, or a member of a model instance.
func (a *Analysis) member(qf *queryFile, e *attrExpr) (declRef, bool) {
	switch x := a.obs.vals[e.X].(type) {
	case namespaceV:
		if of := a.files[x.file.ast.Name]; of != nil {
			d, ok := of.top[e.Name]
			return d, ok
		}
	case *instance:
		if of := a.files[x.file.ast.Name]; of != nil {
			d, ok := of.members[x.decl][e.Name]
			return d, ok
		}
	}
	if id, ok := e.X.(*ident); ok {
		if im := qf.scope.imports[id.Name]; im != nil {
			if of := a.files[im.ast.Name]; of != nil {
				d, ok := of.top[e.Name]
				return d, ok
			}
		}
	}
	return declRef{}, false
}

// scopeAt is the scope of a position: the declaration it falls in.
func (qf *queryFile) scopeAt(line, col int) scopeCtx {
	p := ops.Pos{Line: line, Col: col}
	k := sort.Search(len(qf.ranges), func(k int) bool { return posBefore(p, qf.ranges[k].start) })
	if k == 0 {
		return scopeCtx{}
	}
	return qf.ranges[k-1].ctx
}
