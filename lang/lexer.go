package lang

import (
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token types of the .nn lexer.
const (
	tokEOF   lexer.TokenType = lexer.EOF
	tokIdent lexer.TokenType = -(iota + 2)
	tokInt
	tokFloat
	tokString
	tokPunct
	tokNL
)

// nnLexer is the lexer definition given to participle. Newlines are tokens
// (they end statements) except where a statement cannot end: inside ( ) and
// [ ], after an operator or a comma, and after "{". Before a "}" and at the
// end of the file a newline is supplied when missing, so that every statement
// and declaration ends with exactly one NL token.
type nnLexer struct{}

func (nnLexer) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF": tokEOF, "Ident": tokIdent, "Int": tokInt, "Float": tokFloat,
		"String": tokString, "Punct": tokPunct, "NL": tokNL,
	}
}

func (d nnLexer) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexBytes(filename, b)
}

// LexBytes tokenizes src completely, returning the first lexical error.
func (nnLexer) LexBytes(filename string, src []byte) (lexer.Lexer, error) {
	toks, err := tokenize(filename, src)
	if err != nil {
		return nil, err
	}
	return &tokenList{toks: toks}, nil
}

type tokenList struct {
	toks []lexer.Token
	i    int
}

func (l *tokenList) Next() (lexer.Token, error) {
	if l.i >= len(l.toks) {
		return l.toks[len(l.toks)-1], nil
	}
	t := l.toks[l.i]
	l.i++
	return t, nil
}

// lexError is a positioned lexical error (it satisfies participle.Error).
type lexError struct {
	pos lexer.Position
	msg string
}

func (e *lexError) Error() string            { return e.pos.String() + ": " + e.msg }
func (e *lexError) Message() string          { return e.msg }
func (e *lexError) Position() lexer.Position { return e.pos }

// puncts lists the punctuation tokens, longest first.
var puncts = []string{
	"...", "**", "->", "<-", "==", "!=", "<=", ">=", "&&", "||", "..",
	"+", "-", "*", "/", "@", "<", ">", "!", "=", "(", ")", "[", "]", "{", "}",
	",", ":", ".", "%",
}

// noNLAfter are tokens after which a newline does not end a statement.
var noNLAfter = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "@": true, "**": true, "<": true,
	">": true, "==": true, "!=": true, "<=": true, ">=": true, "&&": true, "||": true,
	"!": true, "=": true, "<-": true, ",": true, "->": true, "{": true, ":": true,
	"%": true,
}

func tokenize(filename string, src []byte) ([]lexer.Token, error) {
	var out []lexer.Token
	pos := lexer.Position{Filename: filename, Line: 1, Column: 1}
	depth := 0
	lastSig := func() (lexer.Token, bool) {
		if len(out) == 0 {
			return lexer.Token{}, false
		}
		return out[len(out)-1], true
	}
	emitNL := func(p lexer.Position) {
		last, ok := lastSig()
		if !ok || last.Type == tokNL {
			return
		}
		if last.Type == tokPunct && noNLAfter[last.Value] {
			return
		}
		out = append(out, lexer.Token{Type: tokNL, Value: "\n", Pos: p})
	}
	advance := func(s string) { pos.Advance(s) }
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			if depth == 0 {
				emitNL(pos)
			}
			advance("\n")
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r':
			advance(string(c))
			i++
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			j := i
			for j < len(src) && src[j] != '\n' {
				j++
			}
			advance(string(src[i:j]))
			i = j
			continue
		}
		start := pos
		var tok lexer.Token
		switch {
		case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || src[j] < utf8.RuneSelf && (unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j])))) {
				j++
			}
			tok = lexer.Token{Type: tokIdent, Value: string(src[i:j])}
		case c >= '0' && c <= '9':
			typ, j := scanNumber(src, i)
			tok = lexer.Token{Type: typ, Value: string(src[i:j])}
		case c == '"':
			j, ok := scanString(src, i)
			if !ok {
				return nil, &lexError{start, "string literal not terminated"}
			}
			tok = lexer.Token{Type: tokString, Value: string(src[i:j])}
		default:
			for _, p := range puncts {
				if i+len(p) <= len(src) && string(src[i:i+len(p)]) == p {
					tok = lexer.Token{Type: tokPunct, Value: p}
					break
				}
			}
			if tok.Value == "" {
				r, _ := utf8.DecodeRune(src[i:])
				return nil, &lexError{start, fmt.Sprintf("unexpected character %q", r)}
			}
			switch tok.Value {
			case "(", "[":
				depth++
			case ")", "]":
				if depth > 0 {
					depth--
				}
			case "}":
				if depth == 0 {
					if last, ok := lastSig(); ok && !(last.Type == tokPunct && last.Value == "{") {
						emitNL(start)
					}
				}
			}
		}
		tok.Pos = start
		advance(tok.Value)
		i += len(tok.Value)
		out = append(out, tok)
	}
	emitNL(pos)
	out = append(out, lexer.EOFToken(pos))
	return out, nil
}

// scanNumber returns the type and end of the number literal at src[i]
// (an int, or a float with a fraction or an exponent).
func scanNumber(src []byte, i int) (lexer.TokenType, int) {
	digits := func(j int) int {
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		return j
	}
	j := digits(i)
	typ := tokInt
	if j+1 < len(src) && src[j] == '.' && src[j+1] >= '0' && src[j+1] <= '9' {
		typ = tokFloat
		j = digits(j + 1)
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && src[k] >= '0' && src[k] <= '9' {
			typ = tokFloat
			j = digits(k)
		}
	}
	return typ, j
}

// scanString returns the end (after the closing quote) of the string
// literal at src[i], or false when the line or the source ends first.
func scanString(src []byte, i int) (int, bool) {
	j := i + 1
	for j < len(src) && src[j] != '"' && src[j] != '\n' {
		if src[j] == '\\' && j+1 < len(src) && src[j+1] != '\n' {
			j++
		}
		j++
	}
	if j >= len(src) || src[j] != '"' {
		return 0, false
	}
	return j + 1, true
}
