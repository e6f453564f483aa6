package lang

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nnclang/nnc/ops"
)

// Format returns the canonical form of a .nn source file, as `nnc fmt`
// prints it, or the file's syntax errors (an ErrorList, code E101).
//
// The canonical form:
//   - indentation is 4 spaces per block level; every statement, member and
//     declaration is on one line (a statement written over several lines is
//     joined);
//   - one space around every binary operator (`**` included), after commas
//     and colons of parameters, around `=` and `<-` and `->`; none inside
//     brackets, around the `:` of slices, the `..` of ranges, after a unary
//     operator or before a call's or an index's bracket; parentheses only
//     where precedence needs them;
//   - in a model, consecutive single-line members (no blank or comment line
//     between them) are aligned: the `=` of the sub-model declarations among
//     themselves, and the `=` of the param/state declarations among
//     themselves; in a train block, the `=` of consecutive fields;
//   - blank lines between declarations, members and statements are kept,
//     several collapsing to one; none at the start or end of a block;
//   - every comment is kept: a comment on its own line stays on its own
//     line, a trailing comment stays at the end of its line after one space.
//     A comment inside a statement or header written over several lines
//     moves above the statement (for a block's header: to the block's
//     first line);
//   - a function written in the short form (`fn f(x: T) -> T = expr`)
//     prints on one line; one written with a block keeps its block;
//   - `else { if ... }` with nothing else in the else block prints as
//     `else if ...`; a model without arguments prints as `model M() {`;
//     an empty block prints as `{}`;
//   - the trailing comments of consecutive lines at one indentation are
//     aligned, one space after the longest line's code.
//
// Formatting is idempotent, and the result parses to the same syntax tree
// as src.
func Format(filename string, src []byte) (out []byte, err error) {
	f, err := parse(filename, src)
	if err != nil {
		return nil, err
	}
	toks, err := tokenize(filename, src)
	if err != nil {
		return nil, ErrorList{syntaxError(filename, src, err)}
	}
	p := &printer{ix: &tokenIndex{toks: toks}, comments: scanComments(src), start: true}
	p.file(f)
	if p.err != nil {
		return nil, p.err
	}
	p.flushComments(1<<31-1, 0)
	b := bytes.TrimLeft(p.alignComments(), "\n")
	if len(b) > 0 {
		b = append(bytes.TrimRight(b, "\n"), '\n')
	}
	return b, nil
}

// printer writes the canonical text of a file.
type printer struct {
	buf      bytes.Buffer
	ix       *tokenIndex
	comments []comment // not yet printed, in source order
	indent   int
	trails   []int // offsets in buf of the " //" of trailing comments
	lastLine int   // source line of what was printed last
	start    bool  // at the start of a block: no blank line
	err      error
}

// alignComments returns the printed text with the trailing comments of
// each run of consecutive, equally indented lines aligned.
func (p *printer) alignComments() []byte {
	text := p.buf.Bytes()
	type row struct {
		code, comment string // comment "" when the line has none
		indent        int
	}
	var rows []row
	k := 0 // next trailing comment
	for start := 0; start <= len(text); {
		end := bytes.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		r := row{code: string(text[start:end])}
		if k < len(p.trails) && p.trails[k] >= start && p.trails[k] < end {
			r.code, r.comment = string(text[start:p.trails[k]]), string(text[p.trails[k]+1:end])
			k++
		}
		r.indent = len(r.code) - len(strings.TrimLeft(r.code, " "))
		rows = append(rows, r)
		start = end + 1
	}
	for i := 0; i < len(rows); {
		j := i + 1
		if rows[i].comment != "" {
			for j < len(rows) && rows[j].comment != "" && rows[j].indent == rows[i].indent {
				j++
			}
		}
		w := 0
		for _, r := range rows[i:j] {
			w = max(w, utf8.RuneCountInString(r.code))
		}
		for n := i; n < j; n++ {
			if rows[n].comment != "" {
				rows[n].code += strings.Repeat(" ", w-utf8.RuneCountInString(rows[n].code)+1) + rows[n].comment
			}
		}
		i = j
	}
	var out bytes.Buffer
	for i, r := range rows {
		if i > 0 {
			out.WriteByte('\n')
		}
		out.WriteString(r.code)
	}
	return out.Bytes()
}

// decl is a top-level declaration with its position, for sorting.
type decl struct {
	pos  ops.Pos
	node any
}

func (p *printer) file(f *sourceFile) {
	var ds []decl
	for _, d := range f.Imports {
		ds = append(ds, decl{d.Pos, d})
	}
	for _, d := range f.Consts {
		ds = append(ds, decl{d.Pos, d})
	}
	for _, d := range f.Fns {
		ds = append(ds, decl{d.Pos, d})
	}
	for _, d := range f.Models {
		ds = append(ds, decl{d.Pos, d})
	}
	for _, d := range f.Trains {
		ds = append(ds, decl{d.Pos, d})
	}
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].pos, ds[j].pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	for _, d := range ds {
		switch x := d.node.(type) {
		case *importDecl:
			s := "import " + quote(x.Path)
			if x.As != "" {
				s += " as " + x.As
			}
			p.simple(x.Pos, s)
		case *constDecl:
			p.simple(x.Pos, "const "+x.Name+" = "+p.expr(x.Value))
		case *fnDecl:
			p.fn(x)
		case *modelDecl:
			p.model(x)
		case *trainDecl:
			p.train(x)
		}
	}
}

// newline starts a new output line at the current indentation, with a blank
// line before it when the source had one before line l.
func (p *printer) newline(l int) {
	if !p.start && p.lastLine > 0 && l > p.lastLine+1 {
		p.buf.WriteByte('\n')
	}
	p.start = false
	p.buf.WriteByte('\n')
	p.buf.WriteString(strings.Repeat("    ", p.indent))
	if l > p.lastLine {
		p.lastLine = l
	}
}

// flushComments prints the comments before line l on their own lines (at
// the current indentation). With hoistAt > 0, they are printed as if on
// that line (no blank lines between them): they were inside a construct
// starting there.
func (p *printer) flushComments(l, hoistAt int) {
	for len(p.comments) > 0 && p.comments[0].line < l {
		c := p.comments[0]
		p.comments = p.comments[1:]
		if hoistAt > 0 {
			p.newline(hoistAt)
		} else {
			p.newline(c.line)
		}
		p.buf.WriteString(c.text)
	}
}

// trailing appends the comment on source line l, if any, to the output
// line.
func (p *printer) trailing(l int) {
	if len(p.comments) > 0 && p.comments[0].line == l {
		p.trails = append(p.trails, p.buf.Len())
		p.buf.WriteString(" " + p.comments[0].text)
		p.comments = p.comments[1:]
	}
	if l > p.lastLine {
		p.lastLine = l
	}
}

// line prints a one-line construct spanning source lines s..e.
func (p *printer) line(s, e int, text string) {
	p.flushComments(s, 0)
	p.flushComments(e, s)
	p.newline(s)
	p.buf.WriteString(text)
	p.trailing(e)
}

// simple prints the one-line statement or declaration starting at pos.
func (p *printer) simple(pos ops.Pos, text string) {
	p.line(pos.Line, p.ix.endLine(pos), text)
}

// header prints the first line of a block construct starting at pos,
// ending with "{", and returns the source lines of its braces.
func (p *printer) header(pos ops.Pos, text string, cont bool) (openLine, closeLine, closeIdx int) {
	openLine, closeLine, closeIdx = p.ix.braces(pos)
	if !cont {
		p.flushComments(pos.Line, 0)
		p.newline(pos.Line)
	}
	p.buf.WriteString(text + " {")
	// Comments inside a header written over several lines go to the top of
	// the block; the comment after "{" stays there.
	var inner []comment
	for len(p.comments) > 0 && p.comments[0].line < openLine {
		inner = append(inner, p.comments[0])
		p.comments = p.comments[1:]
	}
	if openLine != closeLine || !p.ix.emptyBraces(pos, closeIdx) {
		p.trailing(openLine)
	} else if openLine > p.lastLine {
		// The comment at the end of an empty block written on one line
		// follows its "}", where it was: taken after "{", a second
		// formatting would see it there and keep the block open ({ // c).
		p.lastLine = openLine
	}
	p.indent++
	p.start = true
	for _, c := range inner {
		p.newline(p.lastLine)
		p.buf.WriteString(c.text)
	}
	return openLine, closeLine, closeIdx
}

// closeBlock prints the "}" on source line l, after the comments before it.
func (p *printer) closeBlock(l int, empty bool) {
	if empty && p.start && bytes.HasSuffix(p.buf.Bytes(), []byte("{")) && (len(p.comments) == 0 || p.comments[0].line >= l) {
		p.buf.WriteString("}")
		p.indent--
		p.start = false
		return
	}
	p.flushComments(l, 0)
	p.indent--
	p.start = true // no blank line before "}"
	p.newline(l)
	p.buf.WriteString("}")
	p.start = false
}

func (p *printer) fn(f *fnDecl) {
	s := "fn " + f.Name + "(" + p.params(f.Params) + ")"
	if f.Result != nil {
		s += " -> " + p.typ(f.Result)
	}
	if f.Short {
		p.simple(f.Pos, s+" = "+p.expr(f.Body[0].(*returnStmt).Values[0]))
		return
	}
	_, closeLine, _ := p.header(f.Pos, s, false)
	p.stmts(f.Body)
	p.closeBlock(closeLine, len(f.Body) == 0)
	if g := f.Grad; g != nil {
		// The gradient follows the body's "}" on its line, as else does.
		p.buf.WriteString(" ")
		_, closeLine, _ = p.header(g.Pos, "grad("+strings.Join(g.Names, ", ")+")", true)
		p.stmts(g.Body)
		p.closeBlock(closeLine, len(g.Body) == 0)
	}
	p.trailing(closeLine)
}

func (p *printer) params(ps []*paramDecl) string {
	parts := make([]string, len(ps))
	for i, a := range ps {
		parts[i] = a.Name + ": " + p.typ(a.Type)
		if a.Default != nil {
			parts[i] += " = " + p.expr(a.Default)
		}
	}
	return strings.Join(parts, ", ")
}

func (p *printer) stmts(body []stmt) {
	for _, s := range body {
		p.stmt(s, false)
	}
}

func (p *printer) stmt(s stmt, cont bool) {
	switch x := s.(type) {
	case *returnStmt:
		t := "return"
		if len(x.Values) > 0 {
			t += " " + p.exprs(x.Values)
		}
		p.simple(x.Pos, t)
	case *assignStmt:
		p.simple(x.Pos, strings.Join(x.Names, ", ")+" = "+p.expr(x.Value))
	case *updateStmt:
		p.simple(x.Pos, x.Name+" <- "+p.expr(x.Value))
	case *forStmt:
		_, closeLine, _ := p.header(x.Pos, "for "+x.Var+" in "+p.rangeExpr(x.From, x.To), false)
		p.stmts(x.Body)
		p.closeBlock(closeLine, len(x.Body) == 0)
		p.trailing(closeLine)
	case *ifStmt:
		p.ifStmt(x, cont)
	default:
		p.fail(fmt.Sprintf("statement %T", s))
	}
}

func (p *printer) ifStmt(x *ifStmt, cont bool) {
	_, closeLine, closeIdx := p.header(x.Pos, "if "+p.expr(x.Cond), cont)
	p.stmts(x.Then)
	p.closeBlock(closeLine, len(x.Then) == 0)
	if x.Else == nil {
		p.trailing(closeLine)
		return
	}
	p.buf.WriteString(" else ")
	if len(x.Else) == 1 {
		if nested, ok := x.Else[0].(*ifStmt); ok {
			p.ifStmt(nested, true)
			return
		}
	}
	// The else block's braces follow the then block's "}".
	ix := p.ix
	o := ix.open(closeIdx + 1)
	c := ix.close(o)
	p.buf.WriteString("{")
	p.trailing(ix.line(o))
	p.indent++
	p.start = true
	p.stmts(x.Else)
	p.closeBlock(ix.line(c), len(x.Else) == 0)
	p.trailing(ix.line(c))
}

func (p *printer) model(m *modelDecl) {
	s := "model " + m.Name
	s += "(" + p.params(m.Args) + ")"
	_, closeLine, _ := p.header(m.Pos, s, false)
	texts := p.alignMembers(m.Members)
	for i, mem := range m.Members {
		switch x := mem.(type) {
		case *fnDecl:
			p.fn(x)
		case *leafDecl:
			p.simple(x.Pos, texts[i])
		case *subDecl:
			p.simple(x.Pos, texts[i])
		default:
			p.fail(fmt.Sprintf("member %T", mem))
		}
	}
	p.closeBlock(closeLine, len(m.Members) == 0)
	p.trailing(closeLine)
}

// alignMembers gives the text of each one-line member, aligned within its
// section: a run of one-line members on consecutive source lines with no
// comment line between them once formatted (a comment inside a member
// written over several lines moves above it, so it ends the run too).
func (p *printer) alignMembers(ms []member) []string {
	type part struct{ left, right string }
	parts := make([]part, len(ms))
	texts := make([]string, len(ms))
	lines := make([][2]int, len(ms)) // source start and end lines
	for i, mem := range ms {
		switch x := mem.(type) {
		case *leafDecl:
			kw := "param "
			if x.State {
				kw = "state "
			}
			parts[i].left = kw + x.Name + ": " + p.typ(x.Type)
			if x.Init != nil {
				parts[i].right = p.expr(x.Init)
			}
			lines[i] = [2]int{x.Pos.Line, p.ix.endLine(x.Pos)}
		case *subDecl:
			parts[i] = part{x.Name, p.expr(x.Value)}
			lines[i] = [2]int{x.Pos.Line, p.ix.endLine(x.Pos)}
		}
	}
	oneLine := func(i int) bool {
		switch ms[i].(type) {
		case *leafDecl, *subDecl:
			return true
		}
		return false
	}
	for i := 0; i < len(ms); {
		if !oneLine(i) {
			i++
			continue
		}
		j := i + 1
		for j < len(ms) && oneLine(j) && lines[j][0] == lines[j-1][1]+1 && !p.commentBetween(lines[j-1][1], lines[j][1]) {
			j++
		}
		leafW, subW := 0, 0
		for k := i; k < j; k++ {
			if parts[k].right == "" {
				continue
			}
			if _, ok := ms[k].(*subDecl); ok {
				subW = max(subW, len(parts[k].left))
			} else {
				leafW = max(leafW, len(parts[k].left))
			}
		}
		for k := i; k < j; k++ {
			w := leafW
			if _, ok := ms[k].(*subDecl); ok {
				w = subW
			}
			texts[k] = parts[k].left
			if parts[k].right != "" {
				texts[k] += strings.Repeat(" ", w-len(parts[k].left)) + " = " + parts[k].right
			}
		}
		i = j
	}
	return texts
}

// commentBetween reports whether a comment not yet printed lies strictly
// between source lines prevEnd (where one member ends) and end (where the
// next ends): it will be printed on a line of its own between them.
func (p *printer) commentBetween(prevEnd, end int) bool {
	for _, c := range p.comments {
		if c.line > prevEnd && c.line < end {
			return true
		}
	}
	return false
}

func (p *printer) train(t *trainDecl) {
	_, closeLine, _ := p.header(t.Pos, "train "+t.Model, false)
	w := 0
	for i, f := range t.Fields {
		if i == 0 || !p.fieldsAdjacent(t.Fields[i-1], f) {
			w = 0
			for j := i; j < len(t.Fields); j++ {
				if j > i && !p.fieldsAdjacent(t.Fields[j-1], t.Fields[j]) {
					break
				}
				w = max(w, len(t.Fields[j].Name))
			}
		}
		p.line(f.Pos.Line, p.fieldEndLine(f), f.Name+strings.Repeat(" ", w-len(f.Name))+" = "+p.fieldValue(f.Value))
	}
	p.closeBlock(closeLine, len(t.Fields) == 0)
	p.trailing(closeLine)
}

// fieldsAdjacent reports whether train field b directly follows a in the
// source (no blank or comment line between them).
func (p *printer) fieldsAdjacent(a, b *trainField) bool {
	e := p.fieldEndLine(a)
	return b.Pos.Line == e+1 && !p.commentBetween(e, p.fieldEndLine(b))
}

// fail records an AST node the printer does not know (a broken invariant:
// the grammar grew without the formatter).
func (p *printer) fail(what string) {
	if p.err == nil {
		p.err = ErrorList{{Pos: ops.Pos{}, Code: CodeInternal, Msg: "format: unsupported " + what}}
	}
}
