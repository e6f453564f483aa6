package lang

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/nnclang/nnc/ops"
)

// Parsed reports whether the analyzed file parsed (its queries have a
// syntax tree to answer from).
func (a *Analysis) Parsed() bool { return a.files[a.root] != nil }

// Symbol is a declaration of a file, for an outline: an import, const,
// function, model (with its arguments, params, states, sub-models and
// methods as Children) or train block.
type Symbol struct {
	Name, Kind string // Kind as Info's, or "train"
	Detail     string // the declared type or signature
	Pos        ops.Pos
	// Start and End delimit the declaration's text: from its first token
	// to the end of its last (End exclusive).
	Start, End ops.Pos
	Children   []Symbol
}

// Symbols lists the declarations of file, in source order.
func (a *Analysis) Symbols(file string) []Symbol {
	qf := a.files[file]
	if qf == nil {
		return nil
	}
	var out []Symbol
	var starts []ops.Pos
	for _, d := range qf.decls {
		if d.ctx.model == nil && d.ctx.fn == nil && d.kind != "local" && d.kind != "loop variable" && d.kind != "parameter" {
			out = append(out, qf.symbol(d))
		}
	}
	for _, t := range qf.scope.ast.Trains {
		out = append(out, Symbol{Name: "train " + t.Model, Kind: "train", Pos: t.Pos, Start: t.Pos})
	}
	sort.Slice(out, func(x, y int) bool { return posBefore(out[x].Start, out[y].Start) })
	for _, s := range out {
		starts = append(starts, s.Start)
	}
	for k := range out {
		next := ops.Pos{Line: 1 << 30}
		if k+1 < len(out) {
			next = starts[k+1]
		}
		out[k].End = qf.endBefore(next)
		if out[k].Kind == "model" {
			out[k].Children = qf.memberSymbols(out[k].Name, out[k].End)
		}
	}
	return out
}

// symbol describes a declaration.
func (qf *queryFile) symbol(d declRef) Symbol {
	s := Symbol{Name: d.name, Kind: d.kind, Pos: d.pos, Start: d.pos}
	switch {
	case d.fn != nil:
		s.Detail, s.Start = signature(d.fn), d.fn.Pos
	case d.model != nil:
		s.Detail, s.Start = "("+paramsText(d.model.Args)+")", d.model.Pos
	case d.leaf != nil:
		s.Detail, s.Start = typeText(d.leaf.Type), d.leaf.Pos
	case d.sub != nil:
		s.Detail, s.Start = exprString(d.sub.Value), d.sub.Pos
	case d.par != nil:
		s.Detail, s.Start = typeText(d.par.Type), d.par.Pos
	case d.kind == "const" && d.value != nil:
		s.Detail = exprString(d.value)
	}
	if t, ok := qf.tokenBefore(s.Pos); ok && (t.Value == "const" || t.Value == "import") {
		s.Start = tokPos(qf.name, t)
	}
	return s
}

// memberSymbols lists a model's members, in source order.
func (qf *queryFile) memberSymbols(model string, end ops.Pos) []Symbol {
	m := qf.scope.models[model]
	if m == nil {
		return nil
	}
	var out []Symbol
	for _, d := range qf.members[m] {
		out = append(out, qf.symbol(d))
	}
	sort.Slice(out, func(x, y int) bool { return posBefore(out[x].Start, out[y].Start) })
	for k := range out {
		next := end
		if k+1 < len(out) {
			next = out[k+1].Start
		}
		out[k].End = qf.endBefore(next)
		if out[k].Kind != "method" {
			// A one-line member ends with its line.
			out[k].End = qf.endBefore(ops.Pos{Line: out[k].Start.Line + 1})
		}
	}
	return out
}

// tokenBefore is the token just before p.
func (qf *queryFile) tokenBefore(p ops.Pos) (lexer.Token, bool) {
	k := sort.Search(len(qf.toks), func(k int) bool {
		q := qf.toks[k].Pos
		return q.Line > p.Line || q.Line == p.Line && q.Column >= p.Col
	})
	if k == 0 {
		return lexer.Token{}, false
	}
	return qf.toks[k-1], true
}

// endBefore is the end of the last token before p.
func (qf *queryFile) endBefore(p ops.Pos) ops.Pos {
	t, ok := qf.tokenBefore(p)
	if !ok {
		return p
	}
	return ops.Pos{File: qf.name, Line: t.Pos.Line, Col: t.Pos.Column + utf8.RuneCountInString(t.Value)}
}

// Completion is a name that may be written at a position.
type Completion struct {
	Label  string
	Kind   string // as Info's, or "keyword", "element type"
	Detail string
}

// keywords of the language, offered by Completions.
var keywords = []string{"import", "as", "const", "fn", "model", "param", "state", "return", "if", "else", "for", "in", "train", "true", "false", "training", "params"}

// Completions lists the names that may be written at line:col of file,
// where before is the text of the line before the cursor: after "x." the
// members of x (a module's declarations or a model's members), otherwise
// the names in scope, the built-ins (with their keyword arguments in
// Detail), the element types and the keywords. The analysis may be of an
// older text (the last that parsed): the scope is found by position.
func (a *Analysis) Completions(file string, line, col int, before string) []Completion {
	qf := a.files[file]
	if qf == nil {
		return nil
	}
	ctx := qf.scopeAt(line, col)
	word := strings.TrimRightFunc(before, isNameRune)
	if qual, ok := strings.CutSuffix(word, "."); ok {
		q := qual[len(strings.TrimRightFunc(qual, isNameRune)):]
		return a.membersOf(qf, q, line, ctx)
	}
	var out []Completion
	add := func(m map[string]declRef) {
		for _, n := range sortedKeys(m) {
			d := m[n]
			c := Completion{Label: n, Kind: d.kind}
			if d.par != nil {
				c.Detail = typeText(d.par.Type)
			}
			out = append(out, c)
		}
	}
	if ctx.fn != nil {
		add(qf.locals[ctx.fn])
	}
	if ctx.model != nil {
		add(qf.members[ctx.model])
	}
	add(qf.top)
	for _, b := range builtinNames() {
		out = append(out, Completion{Label: b, Kind: "built-in", Detail: builtinSignature(b)})
	}
	for _, t := range []string{"f32", "f64", "i32", "i64", "bool", "int", "float"} {
		out = append(out, Completion{Label: t, Kind: "element type"})
	}
	for _, k := range keywords {
		out = append(out, Completion{Label: k, Kind: "keyword"})
	}
	return out
}

// membersOf lists the members of the name q: a module's declarations, a
// model instance's members.
func (a *Analysis) membersOf(qf *queryFile, q string, line int, ctx scopeCtx) []Completion {
	var of *queryFile
	var m map[string]declRef
	if d, ok := a.resolve(qf, q, ops.Pos{Line: line}, ctx); ok {
		switch {
		case d.kind == "import":
			if im := qf.scope.imports[q]; im != nil {
				of = a.files[im.ast.Name]
				m = of.top
			}
		case d.value != nil:
			if inst, ok := a.obs.vals[d.value].(*instance); ok {
				of = a.files[inst.file.ast.Name]
				m = of.members[inst.decl]
			}
		}
	}
	var out []Completion
	for _, n := range sortedKeys(m) {
		d := m[n]
		c := Completion{Label: n, Kind: d.kind}
		switch {
		case d.fn != nil:
			c.Detail = signature(d.fn)
		case d.model != nil:
			c.Detail = "(" + paramsText(d.model.Args) + ")"
		case d.leaf != nil:
			c.Detail = typeText(d.leaf.Type)
		}
		out = append(out, c)
	}
	return out
}

func isNameRune(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
