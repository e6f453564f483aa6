package lang

import (
	"sort"
	"unicode/utf8"

	"github.com/nnclang/nnc/ops"
)

// Ref is a name's token: where it is written, End exclusive on Pos's line.
type Ref struct {
	Pos, End ops.Pos
	// Decl is set on the declaration's own name.
	Decl bool
}

// References lists the tokens of the name at line:col of file and of
// every other name that stands for the same declaration, in the analyzed
// file and the files it imports (std/nn's included): each use, each later
// assignment of a local and, when includeDecl, the declaration's name.
// They are sorted by file, then position. A name that is not declared (a
// built-in, a shape variable) has none.
func (a *Analysis) References(file string, line, col int, includeDecl bool) []Ref {
	qf := a.files[file]
	if qf == nil {
		return nil
	}
	t, ok := qf.tokenAt(line, col)
	if !ok {
		return nil
	}
	target, ok := a.defAt(qf, tokPos(file, t))
	if !ok {
		return nil
	}
	var out []Ref
	for _, name := range sortedKeys(a.files) {
		of := a.files[name]
		for _, t := range of.toks {
			p := tokPos(name, t)
			d, ok := a.defAt(of, p)
			if !ok || d != target {
				continue
			}
			isDecl := p == target
			if isDecl && !includeDecl {
				continue
			}
			out = append(out, Ref{Pos: p, End: ops.Pos{File: name, Line: p.Line, Col: p.Col + utf8.RuneCountInString(t.Value)}, Decl: isDecl})
		}
	}
	sort.SliceStable(out, func(x, y int) bool {
		if out[x].Pos.File != out[y].Pos.File {
			return out[x].Pos.File < out[y].Pos.File
		}
		return posBefore(out[x].Pos, out[y].Pos)
	})
	return out
}

// defAt is the position of the declaration of the name token at p: a
// declared name's own (the first assignment's for a local), a name's or
// an attribute's declaration.
func (a *Analysis) defAt(qf *queryFile, p ops.Pos) (ops.Pos, bool) {
	if d, ok := qf.decls[p]; ok {
		return d.pos, d.pos.Line != 0
	}
	u, ok := qf.uses[p]
	if !ok {
		return ops.Pos{}, false
	}
	var d declRef
	if u.kw != nil {
		d, ok = a.kwDecl(qf, u)
		return d.pos, ok
	}
	switch e := u.e.(type) {
	case *ident:
		d, ok = a.resolve(qf, e.Name, e.Pos, u.ctx)
	case *attrExpr:
		d, ok = a.member(qf, e)
	default:
		return ops.Pos{}, false
	}
	return d.pos, ok && d.pos.Line != 0
}

// kwDecl is the declaration of a keyword argument's name: the parameter of
// the function, or the argument of the model, that the call calls.
func (a *Analysis) kwDecl(qf *queryFile, u use) (declRef, bool) {
	if u.kw == nil || u.in == nil {
		return declRef{}, false
	}
	var d declRef
	ok := false
	switch f := u.in.Fn.(type) {
	case *ident:
		d, ok = a.resolve(qf, f.Name, f.Pos, u.ctx)
	case *attrExpr:
		d, ok = a.member(qf, f)
	}
	of := a.files[d.pos.File]
	if !ok || of == nil {
		return declRef{}, false
	}
	var p declRef
	switch {
	case d.fn != nil:
		p, ok = of.locals[d.fn][u.kw.Name]
		ok = ok && p.kind == "parameter"
	case d.model != nil:
		p, ok = of.members[d.model][u.kw.Name]
		ok = ok && p.kind == "argument"
	default:
		ok = false
	}
	return p, ok && p.pos.Line != 0
}
