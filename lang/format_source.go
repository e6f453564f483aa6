package lang

import (
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/nnclang/nnc/ops"
)

// The formatter's view of the source text beyond the AST: the comments
// (which the lexer drops) and the tokens, from which it finds where braces
// open and close and on which line a statement ends.

// comment is one `//` comment.
type comment struct {
	line     int
	text     string // from "//", trailing white space removed
	trailing bool   // code precedes it on its line
}

// scanComments finds every `//` comment of src outside string literals.
func scanComments(src []byte) []comment {
	var out []comment
	line, code := 1, false
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\n':
			line++
			code = false
		case c == ' ' || c == '\t' || c == '\r':
		case c == '"':
			code = true
			for i++; i < len(src) && src[i] != '"' && src[i] != '\n'; i++ {
				if src[i] == '\\' && i+1 < len(src) && src[i+1] != '\n' {
					i++
				}
			}
			if i < len(src) && src[i] == '\n' {
				i-- // an unterminated string: the lexer rejects it anyway
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			j := i
			for j < len(src) && src[j] != '\n' {
				j++
			}
			out = append(out, comment{line: line, text: strings.TrimRight(string(src[i:j]), " \t\r"), trailing: code})
			i = j - 1
		default:
			code = true
		}
	}
	return out
}

// tokenIndex answers position questions about the token stream.
type tokenIndex struct {
	toks []lexer.Token
}

func before(t lexer.Position, p ops.Pos) bool {
	return t.Line < p.Line || t.Line == p.Line && t.Column < p.Col
}

// at returns the index of the first token at or after p.
func (ix *tokenIndex) at(p ops.Pos) int {
	lo, hi := 0, len(ix.toks)
	for lo < hi {
		m := (lo + hi) / 2
		if before(ix.toks[m].Pos, p) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// endLine is the line on which the simple statement or declaration starting
// at p ends: the line of the first newline token after it.
func (ix *tokenIndex) endLine(p ops.Pos) int {
	for i := ix.at(p); i < len(ix.toks); i++ {
		if ix.toks[i].Type == tokNL || ix.toks[i].Type == tokEOF {
			return ix.toks[i].Pos.Line
		}
	}
	return p.Line
}

// open returns the index of the first "{" at or after token i.
func (ix *tokenIndex) open(i int) int {
	for ; i < len(ix.toks); i++ {
		if t := ix.toks[i]; t.Type == tokPunct && t.Value == "{" {
			return i
		}
	}
	return len(ix.toks) - 1
}

// close returns the index of the "}" matching the "{" at token i.
func (ix *tokenIndex) close(i int) int {
	depth := 0
	for ; i < len(ix.toks); i++ {
		if t := ix.toks[i]; t.Type == tokPunct {
			switch t.Value {
			case "{":
				depth++
			case "}":
				depth--
				if depth == 0 {
					return i
				}
			}
		}
	}
	return len(ix.toks) - 1
}

// line is the line of token i.
func (ix *tokenIndex) line(i int) int {
	if i >= len(ix.toks) {
		i = len(ix.toks) - 1
	}
	return ix.toks[i].Pos.Line
}

// braces gives the lines of the "{" and the matching "}" of the block
// construct starting at p, and the index of the "}".
func (ix *tokenIndex) braces(p ops.Pos) (openLine, closeLine, closeIdx int) {
	o := ix.open(ix.at(p))
	c := ix.close(o)
	return ix.line(o), ix.line(c), c
}

// emptyBraces reports whether the block whose "}" is token closeIdx holds
// no token: "{}" or "{" and "}" apart with nothing between.
func (ix *tokenIndex) emptyBraces(p ops.Pos, closeIdx int) bool {
	return ix.open(ix.at(p))+1 == closeIdx
}
