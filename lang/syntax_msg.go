package lang

import (
	"errors"
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
	"github.com/nnclang/nnc/ops"
)

// Syntax error messages. Participle reports the token it could not use and
// the rest of the grammar rule it was in (`")" ("->" GType)? ...`); the
// message says what could come next instead, in plain words:
// `syntax error: unexpected "->", expected ")"`.

// syntaxError turns a participle error into a positioned Error.
func syntaxError(filename string, src []byte, err error) *Error {
	var ut *participle.UnexpectedTokenError
	if errors.As(err, &ut) {
		msg := "syntax error: unexpected " + tokenWords(ut.Unexpected)
		var want []string
		if exp := expectation(ut.Message()); exp != "" {
			want = firstWords(exp)
		} else if atTopLevel(filename, src, ut.Unexpected.Pos) {
			want = []string{"a declaration (import, const, fn, model or train)"}
		}
		if len(want) > 0 {
			msg += ", expected " + orList(want)
		}
		return &Error{Pos: toPos(ut.Unexpected.Pos), Code: CodeSyntax, Msg: msg}
	}
	var le *lexError
	if errors.As(err, &le) {
		return &Error{Pos: toPos(le.Position()), Code: CodeSyntax, Msg: "syntax error: " + le.Message()}
	}
	var pe participle.Error
	if errors.As(err, &pe) {
		return &Error{Pos: toPos(pe.Position()), Code: CodeSyntax, Msg: "syntax error: " + plainGrammar(pe.Message())}
	}
	return &Error{Pos: ops.Pos{File: filename, Line: 1, Col: 1}, Code: CodeSyntax, Msg: "syntax error: " + err.Error()}
}

// tokenWords names a token in a message.
func tokenWords(t lexer.Token) string {
	switch {
	case t.EOF():
		return "end of file"
	case t.Type == tokNL:
		return "newline"
	case t.Type == tokString:
		return "string " + t.Value
	}
	return fmt.Sprintf("%q", t.Value)
}

// expectation extracts the grammar text of "(expected ...)" from a
// participle message, or "".
func expectation(msg string) string {
	const key = " (expected "
	k := strings.Index(msg, key)
	if k < 0 || !strings.HasSuffix(msg, ")") {
		return ""
	}
	return msg[k+len(key) : len(msg)-1]
}

// grammarWords are the plain words for the grammar's rules and token
// classes, as the first thing a rule needs.
var grammarWords = map[string]string{
	"GExpr": "an expression", "GAnd": "an expression", "GCmp": "an expression",
	"GAdd": "an expression", "GMul": "an expression", "GUnary": "an expression",
	"GPower": "an expression", "GPostfix": "an expression", "GPrimary": "an expression",
	"GList": "an expression", "GArgs": "an argument", "GArg": "an argument",
	"GType": "a type", "GDim": "a dimension", "GBlock": `"{"`, "GGrad": `"grad"`,
	"GParam": "a parameter", "GStmt": "a statement", "GReturn": `"return"`, "GIf": `"if"`,
	"GFor": `"for"`, "GComp": `"for"`, "GAssign": "a name", "GDecl": "a declaration",
	"GImport": `"import"`, "GConst": `"const"`, "GFn": `"fn"`, "GModel": `"model"`,
	"GTrain": `"train"`, "GMember": "a member", "GLeafDecl": "a name", "GSubDecl": "a name",
	"GField": "a name", "GIndex": "an index", "GSlice": `":"`, "GStep": `":"`,
	"GFile": "a declaration", "GOrRest": `"||"`, "GAndRest": `"&&"`,
	"<ident>": "a name", "<string>": "a string", "<int>": "an integer",
	"<float>": "a number", "<nl>": "newline", "<EOF>": "end of file",
	`"\n"`: "newline",
}

// plainGrammar replaces the grammar's rule names in a message by words.
func plainGrammar(msg string) string {
	for k, v := range grammarWords {
		if strings.HasPrefix(k, "G") || strings.HasPrefix(k, "<") {
			msg = strings.ReplaceAll(msg, k, v)
		}
	}
	return msg
}

// firstWords lists, in plain words, what can start the grammar sequence
// exp (participle's rendering of the rest of a rule): the first element,
// and the next ones while the elements before them may be left out.
func firstWords(exp string) []string {
	p := &expParser{toks: splitExpectation(exp)}
	set, _ := p.alt()
	var out []string
	seen := map[string]bool{}
	for _, s := range set {
		w, ok := grammarWords[s]
		if !ok {
			if strings.HasPrefix(s, "G") {
				w = strings.ToLower(s[1:])
			} else {
				w = s
			}
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// splitExpectation splits grammar text into its tokens: quoted literals,
// <classes>, rule names, and the punctuation ( ) | ? * +.
func splitExpectation(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			out = append(out, s[i:j])
			i = j
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				j = len(s) - i - 1
			}
			out = append(out, s[i:i+j+1])
			i += j + 1
		case strings.IndexByte("()|?*+", c) >= 0:
			out = append(out, string(c))
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(" ()|?*+\"<", s[j]) < 0 {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

// expParser computes first sets over split grammar text.
type expParser struct {
	toks []string
	k    int
}

func (p *expParser) peek() string {
	if p.k < len(p.toks) {
		return p.toks[p.k]
	}
	return ""
}

// alt parses seq ("|" seq)*; it returns the first set and whether the
// alternation can match nothing.
func (p *expParser) alt() ([]string, bool) {
	set, empty := p.seq()
	for p.peek() == "|" {
		p.k++
		s, e := p.seq()
		set = append(set, s...)
		empty = empty || e
	}
	return set, empty
}

// seq parses items up to ")" or "|" or the end.
func (p *expParser) seq() ([]string, bool) {
	var set []string
	empty, open := true, true // open: every item so far may be empty
	for {
		switch p.peek() {
		case "", ")", "|":
			return set, empty
		}
		s, e := p.item()
		if open {
			set = append(set, s...)
			if !e {
				open, empty = false, false
			}
		}
	}
}

// item parses an atom and its suffix.
func (p *expParser) item() ([]string, bool) {
	var set []string
	var empty bool
	switch t := p.peek(); t {
	case "(":
		p.k++
		set, empty = p.alt()
		if p.peek() == ")" {
			p.k++
		}
	default:
		p.k++
		set = []string{t}
	}
	switch p.peek() {
	case "?", "*":
		p.k++
		empty = true
	case "+":
		p.k++
	}
	return set, empty
}

// orList joins words as "a", "a or b", "a, b or c".
func orList(ws []string) string {
	if len(ws) == 1 {
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " or " + ws[len(ws)-1]
}

// atTopLevel reports whether pos is outside every brace of src, where a
// declaration would start.
func atTopLevel(filename string, src []byte, pos lexer.Position) bool {
	toks, err := tokenize(filename, src)
	if err != nil {
		return false
	}
	depth := 0
	for _, t := range toks {
		if !before(t.Pos, toPos(pos)) {
			break
		}
		if t.Type == tokPunct {
			switch t.Value {
			case "{":
				depth++
			case "}":
				depth--
			}
		}
	}
	return depth == 0
}
