package lang

import (
	"fmt"
	"strings"
	"testing"
)

// refSrc is a file with a name of each kind used several times.
const refSrc = `import "std/nn"

fn sq(x: f32[B, 4]) -> f32[B, 4] {
    y = x * x
    y = y + x
    return y
}

model M(n: int = 4) {
    l1 = nn.Dense(n, n_out = n)
    param W: f32[n, n] = zeros()

    fn forward(x: f32[B, 4]) -> f32[B, 4] {
        h = l1(x) @ W
        return sq(h) + sq(x @ W)
    }
}
`

// denseUses are the uses of Dense in std/nn.nn (grep -n "Dense(" lang/std/nn.nn).
const denseUses = "std/nn.nn:19:10 std/nn.nn:20:10 std/nn.nn:154:10 std/nn.nn:155:10 std/nn.nn:156:10 std/nn.nn:157:10 std/nn.nn:181:12 std/nn.nn:182:12"

// refs writes References' answer as "line:col" (with "*" on the
// declaration), file names other than r.nn before the position.
func refs(a *Analysis, line, col int, decl bool) string {
	var out []string
	for _, r := range a.References("r.nn", line, col, decl) {
		s := fmt.Sprintf("%d:%d", r.Pos.Line, r.Pos.Col)
		if r.Pos.File != "r.nn" {
			s = r.Pos.File + ":" + s
		}
		if r.Decl {
			s += "*"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// TestReferences asserts the references of each kind of name of refSrc,
// found by reading the source: functions, models from std/nn, sub-models,
// params, model arguments, locals (with their later assignments),
// function parameters and imports.
func TestReferences(t *testing.T) {
	a := Analyze("r.nn", []byte(refSrc))
	if len(a.Errors) > 0 {
		t.Fatal(a.Errors)
	}
	cases := []struct {
		line, col int
		decl      bool
		want      string
	}{
		{3, 4, true, "3:4* 15:16 15:24"},                                                       // sq, from its declaration
		{15, 24, false, "15:16 15:24"},                                                         // sq, from a use
		{4, 5, true, "4:5* 5:5 5:9 6:12"},                                                      // y: the later assignment is a reference
		{5, 13, true, "3:7* 4:9 4:13 5:13"},                                                    // the parameter x of sq
		{14, 16, true, "13:16* 14:16 15:27"},                                                   // the parameter x of forward
		{14, 13, true, "10:5* 14:13"},                                                          // the sub-model l1
		{14, 21, true, "11:11* 14:21 15:31"},                                                   // the param W
		{10, 19, false, "10:19 10:30 11:18 11:21"},                                             // the model argument n
		{9, 9, true, "9:9* 10:19 10:30 11:18 11:21"},                                           // n from its declaration
		{10, 22, true, "10:22 std/nn.nn:8:24* std/nn.nn:9:24 std/nn.nn:10:18 std/nn.nn:12:47"}, // a keyword argument: Dense's n_out
		{4, 5, false, "5:5 5:9 6:12"},                                                          // y without its declaration
		{10, 10, true, "1:1* 10:10"},                                                           // the import (declared by its keyword)
		{10, 13, true, "10:13 std/nn.nn:8:7* " + denseUses},                                    // nn.Dense and its declaration and uses in std/nn
		{13, 23, true, ""},                                                                     // B, a shape variable
		{4, 11, true, ""},                                                                      // an operator
	}
	for _, c := range cases {
		if got := refs(a, c.line, c.col, c.decl); got != c.want {
			t.Errorf("references at %d:%d (decl %v) = %q, want %q", c.line, c.col, c.decl, got, c.want)
		}
	}
	if d, ok := a.Definition("r.nn", 10, 22); !ok || d.File != "std/nn.nn" || d.Line != 8 || d.Col != 24 {
		t.Errorf("definition of the keyword argument n_out: %v %v, want std/nn.nn:8:24", d, ok)
	}
}

// TestSignatureAt asserts signature help in calls being typed: the
// callee's call form, the parameter ranges and the active parameter.
func TestSignatureAt(t *testing.T) {
	a := Analyze("r.nn", []byte(refSrc))
	cases := []struct {
		src          string // refSrc with its line 15 replaced; | is the cursor
		label, param string
		doc          string
	}{
		{"return sq(|", "sq(x: f32[B, 4]) -> f32[B, 4]", "x: f32[B, 4]", ""},
		{"return softmax(h, |", "softmax(x, axis = -1)", "axis = -1", "softmax"},
		{"return softmax(h, axis = |", "softmax(x, axis = -1)", "axis = -1", "softmax"},
		{"return softmax(h, axis = sq(|", "sq(x: f32[B, 4]) -> f32[B, 4]", "x: f32[B, 4]", ""},
		{"return softmax(sq(h), |", "softmax(x, axis = -1)", "axis = -1", "softmax"},
		{"return l1(|", "l1(x: f32[..., n_in]) -> f32[..., n_out]", "x: f32[..., n_in]", ""},
		{"return nn.Dense(4, |", "Dense(n_in: int, n_out: int)", "n_out: int", ""},
		{"return M(|", "M(n: int = 4)", "n: int = 4", ""},
		{"return M(n = 3, |", "M(n: int = 4)", "", ""},
		{"return l1.forward(|", "forward(x: f32[..., n_in]) -> f32[..., n_out]", "x: f32[..., n_in]", ""},
	}
	for _, c := range cases {
		lines := strings.Split(refSrc, "\n")
		cur := strings.Index(c.src, "|")
		lines[14] = "        " + strings.Replace(c.src, "|", "", 1)
		src := strings.Join(lines, "\n")
		s, ok := a.SignatureAt("r.nn", []byte(src), 15, 9+cur)
		if !ok {
			t.Errorf("%s: no signature", c.src)
			continue
		}
		param := ""
		if s.Active >= 0 {
			r := []rune(s.Label)
			param = string(r[s.Params[s.Active][0]:s.Params[s.Active][1]])
		}
		if s.Label != c.label || param != c.param || !strings.Contains(s.Doc, c.doc) {
			t.Errorf("%s: %q active %q doc %q, want %q active %q doc with %q", c.src, s.Label, param, s.Doc, c.label, c.param, c.doc)
		}
	}
	for _, src := range []string{"return x", "return (x", "return x[|", "fn g(|"} {
		lines := strings.Split(refSrc, "\n")
		cur := strings.Index(src+"|", "|")
		lines[14] = "        " + strings.Replace(src, "|", "", 1)
		if s, ok := a.SignatureAt("r.nn", []byte(strings.Join(lines, "\n")), 15, 9+cur); ok {
			t.Errorf("%s: signature %q, want none", src, s.Label)
		}
	}
}
