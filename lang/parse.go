package lang

import (
	"fmt"
	"strconv"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
	"github.com/nnclang/nnc/ops"
)

var parser = participle.MustBuild[gFile](
	participle.Lexer(nnLexer{}),
)

// parse parses one .nn file into its AST. Errors are positioned (code E101).
func parse(filename string, src []byte) (f *sourceFile, err error) {
	if toks, lerr := tokenize(filename, src); lerr == nil {
		if e := checkNesting(toks); e != nil {
			return nil, ErrorList{e}
		}
	}
	g, perr := parser.ParseBytes(filename, src)
	if perr != nil {
		if e := missingOperand(filename, src); e != nil {
			return nil, ErrorList{e}
		}
		return nil, ErrorList{syntaxError(filename, src, perr)}
	}
	c := &converter{file: filename}
	f = c.file_(g)
	if len(c.errs) > 0 {
		return nil, c.errs.sortDedup()
	}
	return f, nil
}

// binaryOps are the operators that need an operand after them.
var binaryOpTokens = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "@": true, "**": true, "%": true,
	"<": true, ">": true, "<=": true, ">=": true, "==": true, "!=": true, "&&": true, "||": true,
}

// cannotStart are tokens that cannot begin an operand.
var cannotStart = map[string]bool{
	")": true, "]": true, "}": true, ",": true, ":": true, "=": true, "<-": true, "->": true, "..": true,
	"*": true, "/": true, "@": true, "**": true, "%": true, "<": true, ">": true, "<=": true,
	">=": true, "==": true, "!=": true, "&&": true, "||": true,
}

// missingOperand finds a binary operator followed by a token that cannot
// start its right operand (`x + )`) and reports that token: participle
// backtracks out of the operator and would blame the operator instead.
func missingOperand(filename string, src []byte) *Error {
	toks, err := tokenize(filename, src)
	if err != nil {
		return nil
	}
	for k := 0; k+1 < len(toks); k++ {
		op, next := toks[k], toks[k+1]
		if op.Type != tokPunct || !binaryOpTokens[op.Value] {
			continue
		}
		what := ""
		switch {
		case next.Type == tokEOF:
			what = "end of file"
		case next.Type == tokNL:
			what = "newline"
		case next.Type == tokPunct && cannotStart[next.Value]:
			what = strconv.Quote(next.Value)
		default:
			continue
		}
		return &Error{Pos: toPos(next.Pos), Code: CodeSyntax,
			Msg: fmt.Sprintf("syntax error: unexpected %s, expected an operand after %q", what, op.Value)}
	}
	return nil
}

func toPos(p lexer.Position) ops.Pos {
	return ops.Pos{File: p.Filename, Line: p.Line, Col: p.Column}
}

// converter builds the AST from the participle structs.
type converter struct {
	file string
	errs ErrorList
}

func (c *converter) errorf(p ops.Pos, msg string) {
	c.errs = append(c.errs, &Error{Pos: p, Code: CodeSyntax, Msg: msg})
}

func (c *converter) file_(g *gFile) *sourceFile {
	f := &sourceFile{Name: c.file}
	for _, d := range g.Decls {
		switch {
		case d.Import != nil:
			p, err := strconv.Unquote(d.Import.Path)
			if err != nil {
				c.errorf(toPos(d.Import.Pos), "malformed import path "+d.Import.Path)
			}
			f.Imports = append(f.Imports, &importDecl{Pos: toPos(d.Import.Pos), Path: p, As: d.Import.As})
		case d.Const != nil:
			f.Consts = append(f.Consts, &constDecl{Pos: toPos(d.Const.Pos), Name: d.Const.Name, Value: c.expr(d.Const.Value)})
		case d.Fn != nil:
			f.Fns = append(f.Fns, c.fn(d.Fn))
		case d.Model != nil:
			f.Models = append(f.Models, c.model(d.Model))
		case d.Train != nil:
			t := &trainDecl{Pos: toPos(d.Train.Pos), Model: d.Train.Model}
			for _, fl := range d.Train.Fields {
				t.Fields = append(t.Fields, &trainField{Pos: toPos(fl.Pos), Name: fl.Name, Value: c.fieldValue(fl)})
			}
			f.Trains = append(f.Trains, t)
		}
	}
	return f
}

func (c *converter) fn(g *gFn) *fnDecl {
	f := &fnDecl{Pos: toPos(g.Pos), Name: g.Name}
	if g.Short != nil {
		e := c.expr(g.Short)
		f.Short = true
		f.Body = []stmt{&returnStmt{Pos: startPos(e), Values: []expr{e}}}
	} else {
		f.Body = c.block(g.Body)
	}
	for _, p := range g.Params {
		f.Params = append(f.Params, c.param(p))
	}
	if g.Result != nil {
		f.Result = c.typ(g.Result)
	}
	if g.Grad != nil {
		f.Grad = &gradDecl{Pos: toPos(g.Grad.Pos), Names: g.Grad.Names, Body: c.block(g.Grad.Body)}
	}
	return f
}

func (c *converter) param(g *gParam) *paramDecl {
	p := &paramDecl{Pos: toPos(g.Pos), Name: g.Name, Type: c.typ(g.Type)}
	if g.Default != nil {
		p.Default = c.expr(g.Default)
	}
	return p
}

func (c *converter) model(g *gModel) *modelDecl {
	m := &modelDecl{Pos: toPos(g.Pos), Name: g.Name}
	for _, a := range g.Args {
		m.Args = append(m.Args, c.param(a))
	}
	for _, mem := range g.Members {
		switch {
		case mem.Param != nil, mem.State != nil:
			l, state := mem.Param, false
			if l == nil {
				l, state = mem.State, true
			}
			d := &leafDecl{Pos: toPos(l.Pos), State: state, Name: l.Name, Type: c.typ(l.Type)}
			if l.Init != nil {
				d.Init = c.expr(l.Init)
			}
			m.Members = append(m.Members, d)
		case mem.Fn != nil:
			m.Members = append(m.Members, c.fn(mem.Fn))
		case mem.Sub != nil:
			m.Members = append(m.Members, &subDecl{Pos: toPos(mem.Sub.Pos), Name: mem.Sub.Name, Value: c.expr(mem.Sub.Value)})
		}
	}
	return m
}

func (c *converter) typ(g *gType) *typeExpr {
	if g == nil {
		return nil
	}
	t := &typeExpr{Pos: toPos(g.Pos), Name: g.Name, Sparse: g.Sparse}
	if g.Tuple != nil {
		for _, e := range g.Tuple {
			t.Tuple = append(t.Tuple, c.typ(e))
		}
		return t
	}
	if g.Dims != nil {
		t.HasDims = true
	}
	for _, d := range g.Dims {
		de := &dimExpr{Pos: toPos(d.Pos), Ellipsis: d.Ellipsis}
		if d.Expr != nil {
			de.Expr = c.expr(d.Expr)
		}
		t.Dims = append(t.Dims, de)
	}
	return t
}

func (c *converter) block(g *gBlock) []stmt {
	if g == nil {
		return nil
	}
	out := []stmt{}
	for _, s := range g.Stmts {
		if st := c.stmt(s); st != nil {
			out = append(out, st)
		}
	}
	return out
}

func (c *converter) stmt(g *gStmt) stmt {
	switch {
	case g.Return != nil:
		r := &returnStmt{Pos: toPos(g.Return.Pos)}
		for _, v := range g.Return.Values {
			r.Values = append(r.Values, c.expr(v))
		}
		return r
	case g.If != nil:
		return c.ifStmt(g.If)
	case g.For != nil:
		return &forStmt{Pos: toPos(g.For.Pos), Var: g.For.Var, From: c.expr(g.For.From), To: c.expr(g.For.To), Body: c.block(g.For.Body)}
	case g.Assign != nil:
		a := g.Assign
		if a.Update {
			if len(a.Names) != 1 {
				c.errorf(toPos(a.Pos), "a state update names one state")
			}
			return &updateStmt{Pos: toPos(a.Pos), Name: a.Names[0], Value: c.expr(a.Value)}
		}
		return &assignStmt{Pos: toPos(a.Pos), Names: a.Names, Value: c.expr(a.Value)}
	}
	return nil
}

func (c *converter) ifStmt(g *gIf) *ifStmt {
	s := &ifStmt{Pos: toPos(g.Pos), Cond: c.expr(g.Cond), Then: c.block(g.Then)}
	switch {
	case g.ElseIf != nil:
		s.Else = []stmt{c.ifStmt(g.ElseIf)}
	case g.Else != nil:
		s.Else = c.block(g.Else)
	}
	return s
}

func (c *converter) expr(g *gExpr) expr {
	x := c.and(g.Left)
	start := startPos(x)
	for _, r := range g.Rest {
		x = &binaryExpr{Pos: toPos(r.Pos), Op: r.Op, X: x, Y: c.and(r.Right), Start: start}
	}
	return x
}

func (c *converter) and(g *gAnd) expr {
	x := c.cmp(g.Left)
	start := startPos(x)
	for _, r := range g.Rest {
		x = &binaryExpr{Pos: toPos(r.Pos), Op: r.Op, X: x, Y: c.cmp(r.Right), Start: start}
	}
	return x
}

func (c *converter) cmp(g *gCmp) expr {
	x := c.add(g.Left)
	start := startPos(x)
	for _, r := range g.Rest {
		x = &binaryExpr{Pos: toPos(r.Pos), Op: r.Op, X: x, Y: c.add(r.Right), Start: start}
	}
	return x
}

func (c *converter) add(g *gAdd) expr {
	x := c.mul(g.Left)
	start := startPos(x)
	for _, r := range g.Rest {
		x = &binaryExpr{Pos: toPos(r.Pos), Op: r.Op, X: x, Y: c.mul(r.Right), Start: start}
	}
	return x
}

func (c *converter) mul(g *gMul) expr {
	x := c.unary(g.Left)
	start := startPos(x)
	for _, r := range g.Rest {
		x = &binaryExpr{Pos: toPos(r.Pos), Op: r.Op, X: x, Y: c.unary(r.Right), Start: start}
	}
	return x
}

func (c *converter) unary(g *gUnary) expr {
	if g.Power != nil {
		return c.power(g.Power)
	}
	return &unaryExpr{Pos: toPos(g.Pos), Op: g.Op, X: c.unary(g.Operand)}
}

func (c *converter) power(g *gPower) expr {
	x := c.postfix(g.Base)
	if g.Exp != nil {
		return &binaryExpr{Pos: toPos(g.Exp.Pos), Op: "**", X: x, Y: c.unary(g.Exp.Right), Start: startPos(x)}
	}
	return x
}

func (c *converter) postfix(g *gPostfix) expr {
	x := c.primary(g.Primary)
	start := toPos(g.Pos)
	first := startPos(x)
	for _, s := range g.Suffix {
		p := toPos(s.Pos)
		switch {
		case s.Call != nil:
			call := &callExpr{Pos: start, Fn: x}
			for _, a := range s.Call.Args {
				v := c.expr(a.Value)
				if a.Name != "" {
					call.Kwargs = append(call.Kwargs, &kwarg{Pos: toPos(a.Pos), Name: a.Name, Value: v})
					continue
				}
				if len(call.Kwargs) > 0 {
					c.errorf(v.Position(), "positional argument after a keyword argument")
				}
				call.Args = append(call.Args, v)
			}
			x = call
		case s.Index != nil:
			ix := &indexExpr{Pos: p, X: x, Start: first}
			for _, it := range s.Index {
				item := &indexItem{Pos: toPos(it.Pos), Ellipsis: it.Ellipsis}
				if it.Lo != nil {
					item.Lo = c.expr(it.Lo)
				}
				sl := it.Slice
				if it.Head != nil {
					sl = it.Head
				}
				if sl != nil {
					item.Slice = true
					if sl.Hi != nil {
						item.Hi = c.expr(sl.Hi)
					}
					if sl.Step != nil && sl.Step.Step != nil {
						item.Step = c.expr(sl.Step.Step)
					}
				}
				if !item.Ellipsis && !item.Slice && item.Lo == nil {
					c.errorf(item.Pos, "empty index")
				}
				ix.Indices = append(ix.Indices, item)
			}
			x = ix
		default:
			p.Col++ // the name after the dot
			x = &attrExpr{Pos: p, X: x, Name: s.Attr, Start: first}
		}
		first = startPos(x)
	}
	return x
}

func (c *converter) primary(g *gPrimary) expr {
	p := toPos(g.Pos)
	switch {
	case g.Float != nil:
		v, err := strconv.ParseFloat(*g.Float, 64)
		if err != nil {
			c.errorf(p, "malformed number "+*g.Float)
		}
		return &floatLit{Pos: p, Value: v, Text: *g.Float}
	case g.Int != nil:
		v, err := strconv.ParseInt(*g.Int, 10, 64)
		if err != nil {
			c.errorf(p, "integer literal "+*g.Int+" out of range")
		}
		return &intLit{Pos: p, Value: v}
	case g.Str != nil:
		v, err := strconv.Unquote(*g.Str)
		if err != nil {
			c.errorf(p, "malformed string literal")
		}
		return &stringLit{Pos: p, Value: v}
	case g.Bool != nil:
		return &boolLit{Pos: p, Value: *g.Bool == "true"}
	case g.Paren != nil:
		if len(g.Paren) == 1 {
			return c.expr(g.Paren[0])
		}
		t := &tupleLit{Pos: p}
		for _, e := range g.Paren {
			t.Elems = append(t.Elems, c.expr(e))
		}
		return t
	case g.List != nil:
		l := g.List
		if l.For != nil {
			return &listComp{Pos: p, Elem: c.expr(l.First), Var: l.For.Var, From: c.expr(l.For.From), To: c.expr(l.For.To)}
		}
		out := &listLit{Pos: p, Elems: []expr{}}
		if l.First != nil {
			out.Elems = append(out.Elems, c.expr(l.First))
		}
		for _, e := range l.More {
			out.Elems = append(out.Elems, c.expr(e))
		}
		return out
	}
	return &ident{Pos: p, Name: g.Ident}
}
