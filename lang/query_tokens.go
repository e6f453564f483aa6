package lang

import (
	"sort"
	"unicode/utf8"

	"github.com/nnclang/nnc/ops"
)

// Token is a token of a file classified for highlighting (semantic
// tokens): Len runes from Pos, on one line.
type Token struct {
	Pos ops.Pos
	Len int
	// Kind is one of TokenKinds.
	Kind string
	// Mods are some of TokenModifiers.
	Mods []string
}

// TokenKinds are the kinds of Token: "shapeVariable" is a dimension bound
// by a signature's types (B, T), distinct from "parameter" (a function's
// parameter or a model's argument) and "variable" (a local, loop variable
// or const); "model" a model's name; "member" a param, state or
// sub-model; "type" an element type (f32, int).
var TokenKinds = []string{"keyword", "comment", "string", "number", "type", "shapeVariable",
	"parameter", "variable", "function", "method", "model", "member", "namespace"}

// TokenModifiers are the modifiers of Token: "declaration" on a
// declared name, "readonly" on a const, "defaultLibrary" on a built-in or
// a name of the standard library.
var TokenModifiers = []string{"declaration", "readonly", "defaultLibrary"}

// tokenKindOf maps declarations' kinds to tokens'.
var tokenKindOf = map[string]string{
	"argument": "parameter", "parameter": "parameter", "local": "variable", "loop variable": "variable",
	"const": "variable", "function": "function", "method": "method", "model": "model",
	"param": "member", "state": "member", "member": "member", "import": "namespace",
}

// elementTypes are the names of element types and scalar types.
var elementTypes = map[string]bool{"f32": true, "f64": true, "i32": true, "i64": true, "bool": true, "int": true, "float": true}

// Tokens classifies the tokens of file (the analyzed file or one it
// imports), comments included, in source order. Names the checker does
// not know (undefined, a train block's fields) are left out.
func (a *Analysis) Tokens(file string) []Token {
	qf := a.files[file]
	if qf == nil {
		return nil
	}
	shapeVars := qf.shapeVars(a)
	var out []Token
	for _, t := range qf.toks {
		p := tokPos(file, t)
		tok := Token{Pos: p, Len: utf8.RuneCountInString(t.Value)}
		switch t.Type {
		case tokInt, tokFloat:
			tok.Kind = "number"
		case tokString:
			tok.Kind = "string"
		case tokIdent:
			tok.Kind, tok.Mods = a.identKind(qf, p, t.Value, shapeVars)
		}
		if tok.Kind != "" {
			out = append(out, tok)
		}
	}
	out = append(out, qf.comments()...)
	sort.SliceStable(out, func(x, y int) bool { return posBefore(out[x].Pos, out[y].Pos) })
	return out
}

// identKind classifies a name's token at p.
func (a *Analysis) identKind(qf *queryFile, p ops.Pos, name string, shapeVars map[scopeCtx]map[string]bool) (string, []string) {
	if isKeyword(name) {
		return "keyword", nil
	}
	if elementTypes[name] {
		return "type", nil
	}
	std := func(d declRef, mods []string) []string {
		if len(d.pos.File) > 4 && d.pos.File[:4] == "std/" {
			return append(mods, "defaultLibrary")
		}
		return mods
	}
	if d, ok := qf.decls[p]; ok {
		mods := []string{"declaration"}
		if d.kind == "const" {
			mods = append(mods, "readonly")
		}
		return tokenKindOf[d.kind], std(d, mods)
	}
	u, ok := qf.uses[p]
	if !ok {
		return "", nil
	}
	if u.kw != nil {
		return "parameter", nil
	}
	var d declRef
	switch e := u.e.(type) {
	case *ident:
		if d, ok = a.resolve(qf, e.Name, e.Pos, u.ctx); !ok {
			switch {
			case u.dim || shapeVars[u.ctx][name]:
				return "shapeVariable", nil
			case isBuiltin(name):
				return "function", []string{"defaultLibrary"}
			}
			return "", nil
		}
	case *attrExpr:
		if d, ok = a.member(qf, e); !ok {
			return "", nil
		}
	default:
		return "", nil
	}
	var mods []string
	if d.kind == "const" {
		mods = append(mods, "readonly")
	}
	return tokenKindOf[d.kind], std(d, mods)
}

// shapeVars are the names of each scope that its written types use as
// dimensions without declaring them.
func (qf *queryFile) shapeVars(a *Analysis) map[scopeCtx]map[string]bool {
	out := map[scopeCtx]map[string]bool{}
	for _, u := range qf.uses {
		id, ok := u.e.(*ident)
		if !ok || !u.dim {
			continue
		}
		if _, declared := a.resolve(qf, id.Name, id.Pos, u.ctx); declared {
			continue
		}
		if out[u.ctx] == nil {
			out[u.ctx] = map[string]bool{}
		}
		out[u.ctx][id.Name] = true
	}
	return out
}

// comments are the file's comments: from "//" outside a string to the
// end of the line (a string does not span lines).
func (qf *queryFile) comments() []Token {
	var out []Token
	line, col := 1, 1
	inStr := false
	src := qf.src
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		switch {
		case r == '\n':
			line, col, inStr = line+1, 1, false
			i++
			continue
		case inStr && r == '\\' && i+1 < len(src) && src[i+1] != '\n':
			_, m := utf8.DecodeRune(src[i+1:])
			i, col = i+1+m, col+2
			continue
		case r == '"':
			inStr = !inStr
		case !inStr && r == '/' && i+1 < len(src) && src[i+1] == '/':
			j := i
			for j < len(src) && src[j] != '\n' {
				j++
			}
			if src[j-1] == '\r' {
				j--
			}
			out = append(out, Token{Pos: ops.Pos{File: qf.name, Line: line, Col: col}, Len: utf8.RuneCount(src[i:j]), Kind: "comment"})
			i = j
			continue
		}
		i += n
		col++
	}
	return out
}

// LexTokens classifies the tokens of a source that does not parse, by
// their text alone: keywords, element types, numbers, strings and
// comments (names are left out). It is nil when the source does not lex
// (a string left open).
func LexTokens(file string, src []byte) []Token {
	toks, err := tokenize(file, src)
	if err != nil {
		return nil
	}
	qf := &queryFile{name: file, src: src}
	for _, t := range toks {
		if t.Type != tokNL && t.Type != tokEOF {
			qf.toks = append(qf.toks, t)
		}
	}
	a := &Analysis{root: file, files: map[string]*queryFile{file: qf}, obs: &observer{vals: map[expr]value{}}}
	return a.Tokens(file)
}
