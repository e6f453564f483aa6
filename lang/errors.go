package lang

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nnclang/nnc/ops"
)

// Error codes. Each user error carries one; the codes are stable so that
// tests, docs and tools can refer to them.
const (
	CodeSyntax      = "E101" // malformed source: the lexer or the parser rejected it
	CodeImport      = "E102" // an import that cannot be resolved
	CodeDuplicate   = "E103" // a name declared twice in one scope
	CodeNesting     = "E104" // source nested deeper than maxNesting (brackets, blocks, prefix operators, ** chains)
	CodeUndefined   = "E201" // a name that is not declared (with a did-you-mean hint)
	CodeNotCallable = "E202" // a value used as something it is not (calling a tensor, indexing a number)
	CodeNoMember    = "E203" // an attribute a model or module does not have
	CodeArgs        = "E204" // wrong number of arguments, unknown or missing keyword arguments
	CodeNotConst    = "E205" // a compile-time value was required (condition, loop bound, axis, shape)
	CodeEntry       = "E206" // an entry point that does not exist
	CodeNeedShapes  = "E207" // an unrolled loop or scan whose length is a shape variable, lowered without its value (LowerOptions.Shapes)
	CodeShape       = "E301" // an op's type rule rejected its operands (shapes or element types)
	CodeReturn      = "E302" // the result does not have the declared return type
	CodeShapeVar    = "E303" // a shape variable bound to different dimensions in one signature
	CodeArgType     = "E304" // an argument does not have the declared parameter type
	CodeGrad        = "E305" // grad or hvp of a non-scalar, with respect to an integer, or jvp/vjp/hvp vectors of the wrong types
	CodeParamShape  = "E306" // a param or state whose shape is not constant once the model is built
	CodeMissingRet  = "E307" // a function with a declared result that does not return
	CodeValue       = "E308" // a compile-time value out of range (negative dims, bad axis, division by zero)
	CodeCustomGrad  = "E309" // a function's own gradient (grad block) with the wrong names, count or types of cotangents
	CodeTooLarge    = "E310" // a tensor larger than ops.MaxTensorBytes (2^48 bytes), or integer arithmetic on dimensions that overflows int64
	CodeSparse      = "E311" // a sparse matrix used other than in A @ X, spmm(A, X) or as an argument declared sparse; a malformed sparse type
	CodeUnsupported = "E401" // a construct of the language this version does not implement yet
	CodeInternal    = "E901" // a bug in nnc found by one of its own checks; please report it
)

// Error is a user error with its source position and stable code.
type Error struct {
	Pos  ops.Pos
	Code string
	Msg  string
}

// Error renders "file:line:col: message".
func (e *Error) Error() string {
	if p := e.Pos.String(); p != "" {
		return p + ": " + e.Msg
	}
	return e.Msg
}

// ErrorList is a list of errors sorted by position.
type ErrorList []*Error

// Error joins the errors, one per line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// sortDedup sorts the list by position and drops exact duplicates (the body
// of a function inlined at several calls reports its errors once).
func (l ErrorList) sortDedup() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := l[:0]
	seen := map[string]bool{}
	for _, e := range l {
		k := e.Error()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// errOrNil returns the list as an error, or nil when it is empty.
func (l ErrorList) errOrNil() error {
	if len(l) == 0 {
		return nil
	}
	return l.sortDedup()
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// letters (rleu → relu) each count 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows of the table (the transposition looks two rows back).
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// maxSuggestLen bounds the names suggest compares: a longer name gets no
// suggestion (edit distance costs the product of the lengths).
const maxSuggestLen = 64

// suggest returns the candidate closest to name, if close enough to be a
// likely misspelling, or "".
func suggest(name string, candidates []string) string {
	best, bestD := "", 1<<30
	n := utf8.RuneCountInString(name)
	if n > maxSuggestLen {
		return ""
	}
	limit := max(1, n/3)
	for _, c := range candidates {
		if c == name || c == "" {
			continue
		}
		// The distance is at least the difference of the lengths.
		if m := utf8.RuneCountInString(c); m > maxSuggestLen || m-n > limit || n-m > limit {
			continue
		}
		d := editDistance(name, c)
		if d <= limit && d < len([]rune(name)) && (d < bestD || d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}
