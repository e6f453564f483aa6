package lang

import (
	"fmt"
	"strings"
	"testing"
)

// applyFix applies a fix to src (one line, ASCII columns).
func applyFix(src string, f Fix) string {
	lines := strings.SplitAfter(src, "\n")
	off := 0
	for _, l := range lines[:f.Pos.Line-1] {
		off += len(l)
	}
	end := off + f.End.Col - 1
	off += f.Pos.Col - 1
	if f.End.Line != f.Pos.Line {
		panic("multi-line fix")
	}
	return src[:off] + f.New + src[end:]
}

// TestFixes applies each certain fix to a file with one error and checks
// that the result checks (and is the text written by hand).
func TestFixes(t *testing.T) {
	cases := []struct{ src, title, want string }{
		{"fn f(x: f32[N]) -> f32[N] {\n    return rleu(x)\n}\n", "Change rleu to relu",
			"fn f(x: f32[N]) -> f32[N] {\n    return relu(x)\n}\n"},
		{"fn f(x: f32[N]) -> f32 {\n    return sum(x, axes = 0)\n}\n", "Change axes to axis",
			"fn f(x: f32[N]) -> f32 {\n    return sum(x, axis = 0)\n}\n"},
		{"import \"std/nn\"\nmodel M() {\n    l = nn.Dens(3, 4)\n    fn forward(x: f32[B, 3]) -> f32[B, 4] {\n        return l(x)\n    }\n}\n", "Change Dens to Dense",
			"import \"std/nn\"\nmodel M() {\n    l = nn.Dense(3, 4)\n    fn forward(x: f32[B, 3]) -> f32[B, 4] {\n        return l(x)\n    }\n}\n"},
		{"model M() {\n    param W: f32[3] = glorot_unifrom()\n    fn forward(x: f32[3]) -> f32[3] {\n        return x * W\n    }\n}\n", "Change glorot_unifrom to glorot_uniform",
			"model M() {\n    param W: f32[3] = glorot_uniform()\n    fn forward(x: f32[3]) -> f32[3] {\n        return x * W\n    }\n}\n"},
		{"// M uses nn.\nmodel M() {\n    l = nn.Dense(3, 4)\n    k = nn.Dense(4, 4)\n    fn forward(x: f32[B, 3]) -> f32[B, 4] {\n        return k(l(x))\n    }\n}\n", "Add import \"std/nn\"",
			"// M uses nn.\nimport \"std/nn\"\n\nmodel M() {\n    l = nn.Dense(3, 4)\n    k = nn.Dense(4, 4)\n    fn forward(x: f32[B, 3]) -> f32[B, 4] {\n        return k(l(x))\n    }\n}\n"},
	}
	for _, c := range cases {
		a := Analyze("t.nn", []byte(c.src))
		fixes := a.Fixes("t.nn")
		var titles []string
		for _, f := range fixes {
			titles = append(titles, f.Title)
		}
		if len(fixes) != 1 || fixes[0].Title != c.title {
			t.Errorf("%q: fixes %q, want [%q] (errors %v)", c.src, titles, c.title, a.Errors)
			continue
		}
		got := applyFix(c.src, fixes[0])
		if got != c.want {
			t.Errorf("%q fixed: %q, want %q", c.src, got, c.want)
		}
		if b := Analyze("t.nn", []byte(got)); len(b.Errors) != 0 {
			t.Errorf("%q fixed still has errors: %v", got, b.Errors)
		}
	}
	// No certain fix: an undefined name with no suggestion, nn not used as
	// a module.
	for _, src := range []string{
		"fn f(x: f32[N]) -> f32[N] {\n    return zzzqqq(x)\n}\n",
		"fn f(x: f32[N]) -> f32[N] {\n    return x * nn\n}\n",
	} {
		if fs := Analyze("t.nn", []byte(src)).Fixes("t.nn"); len(fs) != 0 {
			t.Errorf("%q: fixes %v", src, fmt.Sprint(fs))
		}
	}
}
