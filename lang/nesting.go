package lang

import (
	"fmt"

	"github.com/alecthomas/participle/v2/lexer"
)

// maxNesting bounds how deeply source may nest: brackets ( [ {, blocks,
// prefix operators (- and !) in a row and chains of ** (which are right
// associative) all count one level each. The parser, the checker and the
// formatter recurse once or more per level, so the limit keeps their stacks
// small whatever the input; real programs stay far below it.
const maxNesting = 256

// operandKeywords are the keywords that an operand may follow.
var operandKeywords = map[string]bool{"return": true, "if": true, "in": true, "else": true}

// checkNesting scans the tokens for nesting deeper than maxNesting and
// reports the token that goes past it (E104). It runs before the parser,
// which would otherwise recurse as deep as the input.
func checkNesting(toks []lexer.Token) *Error {
	depth, chain := 0, 0
	var stack []int // the chain of prefix operators open at each bracket
	prevEnds := false
	for _, t := range toks {
		ends := false
		switch {
		case t.Type == tokPunct && (t.Value == "(" || t.Value == "[" || t.Value == "{"):
			stack = append(stack, chain)
			chain = 0
			depth++
		case t.Type == tokPunct && (t.Value == ")" || t.Value == "]" || t.Value == "}"):
			ends = true
			if len(stack) == 0 {
				break // unbalanced: the parser reports it
			}
			depth -= chain + 1
			chain = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		case t.Type == tokPunct && (t.Value == "**" || (t.Value == "-" || t.Value == "!") && !prevEnds):
			chain++
			depth++
		case t.Type == tokPunct && t.Value == ".":
			// an attribute: a postfix, inside the operand
		case t.Type == tokPunct || t.Type == tokNL:
			depth -= chain
			chain = 0
		case t.Type == tokIdent && operandKeywords[t.Value]:
			// a keyword before an operand: a minus after it is a prefix
		default: // names, numbers, strings
			ends = true
		}
		if depth > maxNesting {
			return &Error{Pos: toPos(t.Pos), Code: CodeNesting,
				Msg: fmt.Sprintf("the source is nested too deeply here: more than %d levels of brackets, blocks, prefix operators and ** chains", maxNesting)}
		}
		prevEnds = ends
	}
	return nil
}
