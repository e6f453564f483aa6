package editors

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/lang"
)

// elementTypes may begin a tensor type: f32[B, 64].
var elementTypes = []string{"f32", "f64", "i32", "i64", "bool", "int", "float"}

// inType reports whether rune column col (from 1) of line is inside the
// dimensions of a tensor type: after an unmatched "[" that follows an
// element type.
func inType(line string, col int) bool {
	r := []rune(line)
	depth := 0
	for i := col - 2; i >= 0; i-- {
		switch r[i] {
		case ']':
			depth++
		case '[':
			if depth > 0 {
				depth--
				continue
			}
			j := i
			for j > 0 && r[j-1] == ' ' {
				j--
			}
			k := j
			for k > 0 && (r[k-1] == '_' || r[k-1] >= 'a' && r[k-1] <= 'z' || r[k-1] >= '0' && r[k-1] <= '9') {
				k--
			}
			if slices.Contains(elementTypes, string(r[k:j])) {
				return true
			}
		}
	}
	return false
}

// TestCheckedTokens checks, in the sample files, what the checker knows
// and the grammars can see (lang's Analyze and Tokens): each shape
// variable in a tensor type (f32[B, T]) is highlighted as one, and each
// declared model and function name as its kind.
func TestCheckedTokens(t *testing.T) {
	var toks []placed
	shapes := 0
	for _, f := range sampleFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(src), "\n")
		a := lang.Analyze(f, src)
		for _, tok := range a.Tokens(f) {
			line := lines[tok.Pos.Line-1]
			text := runeSlice(line, tok.Pos.Col, tok.Len)
			kind := ""
			switch {
			case tok.Kind == "shapeVariable" && inType(line, tok.Pos.Col):
				kind = "shape"
				shapes++
			case tok.Kind == "model" && slices.Contains(tok.Mods, "declaration"):
				kind = "model-name"
			case (tok.Kind == "function" || tok.Kind == "method") && slices.Contains(tok.Mods, "declaration"):
				kind = "fn-name"
			default:
				continue
			}
			toks = append(toks, placed{kind, query{f, tok.Pos.Line, tok.Pos.Col}, text})
		}
	}
	if shapes < 50 {
		t.Errorf("only %d shape variables in the samples' types", shapes)
	}
	for _, h := range highlighters {
		t.Run(h.name, func(t *testing.T) { check(t, h, toks) })
	}
}

// TestTextMateRegionsClose checks that the TextMate grammar leaves no
// region open at the end of each sample file (a parameter list, a shape,
// a train block or a call that never ends would color the rest of the
// file).
func TestTextMateRegionsClose(t *testing.T) {
	files := sampleFiles(t)
	for f, tm := range textMate(t, files) {
		if tm.depth != 1 {
			t.Errorf("%s: the rule stack is %d deep at the end", f, tm.depth)
		}
	}
}

func TestInType(t *testing.T) {
	line := "    fn f(x: f32[B, k[T]], y: i32[N]) -> f32[B] = x[N]"
	for _, c := range []struct {
		name string
		want bool
	}{{"B", true}, {"T", true}, {"N", true}, {"x", false}} {
		col := strings.Index(line, c.name) + 1
		if c.name == "N" {
			col = strings.LastIndex(line, "N") + 1
			c.want = false
		}
		if got := inType(line, col); got != c.want {
			t.Errorf("%s at %d: %v", c.name, col, got)
		}
	}
	if !inType(line, strings.Index(line, "N")+1) {
		t.Error("N of i32[N] is in a type")
	}
}
