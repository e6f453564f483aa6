package lang

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nnclang/nnc/ops"
)

// sameAST reports how the syntax trees of a and b differ, ignoring
// positions ("" when they are the same).
func sameAST(a, b *sourceFile) string {
	return cmp.Diff(a, b, cmpopts.IgnoreTypes(ops.Pos{}))
}

// checkFormatted checks that src formats to want, that formatting is
// idempotent and that the result parses to src's syntax tree.
func checkFormatted(t *testing.T, name, src, want string) {
	t.Helper()
	got, err := Format(name, []byte(src))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if string(got) != want {
		t.Errorf("%s: formatted as\n%s\nwant\n%s", name, got, want)
	}
	again, err := Format(name, got)
	if err != nil || string(again) != string(got) {
		t.Errorf("%s: not idempotent (%v):\n%s", name, err, again)
	}
	f1, _ := parse(name, []byte(src))
	f2, err := parse(name, got)
	if err != nil {
		t.Fatalf("%s: output does not parse: %v", name, err)
	}
	if d := sameAST(f1, f2); d != "" {
		t.Errorf("%s: syntax tree changed (-src +formatted):\n%s", name, d)
	}
}

// firstLook is LANGUAGE.md's first program, which is canonical.
const firstLook = `// digits.nn: classify 8x8 handwritten digits.
import "std/nn"

model Classifier(hidden: int = 128, p: float = 0.1) {
    l1   = nn.Dense(64, hidden)
    head = nn.Dense(hidden, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        h = dropout(relu(l1(x)), p)
        return head(h)
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y) + 1e-4 * l2(params)
    }
}

train Classifier {
    optimizer = adam(lr = 1e-3)
    batch     = 64
    epochs    = 20
}
`

func TestFormatFirstLook(t *testing.T) {
	checkFormatted(t, "digits.nn", firstLook, firstLook)
}

func TestFormat(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"spacing", "const  C=1+2*3**-x\n", "const C = 1 + 2 * 3 ** -x\n"},
		{"parens kept where needed", "const C = (a+b)*c - (d-e) - -(f**g)**h\n",
			"const C = (a + b) * c - (d - e) - -(f ** g) ** h\n"},
		{"parens dropped", "const C = ((a*b))+(c)\n", "const C = a * b + c\n"},
		{"right operand of same class", "const C = a-(b-c)\n", "const C = a - (b - c)\n"},
		{"@ mixed with * keeps its parentheses", "const C = (x@W)*k + 2*x@W + x@(W*k) + a*b/c\n",
			"const C = (x @ W) * k + (2 * x) @ W + x @ (W * k) + a * b / c\n"},
		{"power chains", "const C = (a**b)**c + a**(b**c)\n", "const C = (a ** b) ** c + a ** b ** c\n"},
		{"logic", "const C = !(a<b)&&(c||d)\n", "const C = !(a < b) && (c || d)\n"},
		{"postfix on binary", "const C = (a+b).T[0]\n", "const C = (a + b).T[0]\n"},
		{"calls and kwargs", "const C = f( x,y , axis=1 ,)\n", "const C = f(x, y, axis = 1)\n"},
		{"indexing", "const C = x[ -1 , 1:3, ::2, :, ..., a:b:c, :n ]\n",
			"const C = x[-1, 1:3, ::2, :, ..., a:b:c, :n]\n"},
		{"literals", "const C = [[1,2],[3 , 4]] + (\"s\", true, 1e-3, 007, [])\n",
			"const C = [[1, 2], [3, 4]] + (\"s\", true, 1e-3, 7, [])\n"},
		{"import", "import   \"std/nn\"\nimport \"a.nn\"   as   a\n", "import \"std/nn\"\nimport \"a.nn\" as a\n"},
		{"statements joined and blank lines collapsed",
			"fn f(x: f32[B,\n   4], n: int = 2) -> (f32, f32[B]) {\n\n  y = x *\n        2.0\n\n\n\n  a, b = g(y,\n z)\n  return sum(\n y,\n ), a\n\n}\n",
			"fn f(x: f32[B, 4], n: int = 2) -> (f32, f32[B]) {\n    y = x * 2.0\n\n    a, b = g(y, z)\n    return sum(y), a\n}\n"},
		{"control flow",
			"fn f() {\nfor i in 0..n+1 {\nif training { x <- 1 } else { if a { y = 2 } else { y = 3 } }\n}\n}\n",
			"fn f() {\n    for i in 0..n + 1 {\n        if training {\n            x <- 1\n        } else if a {\n            y = 2\n        } else {\n            y = 3\n        }\n    }\n}\n"},
		{"else block with two statements",
			"fn f() {\n    if a {\n    } else { if b { }\n  c = 1 }\n}\n",
			"fn f() {\n    if a {} else {\n        if b {}\n        c = 1\n    }\n}\n"},
		{"empty blocks", "model M() {\n}\nfn f() {\n\n}\ntrain M {}\n", "model M() {}\nfn f() {}\ntrain M {}\n"},
		{"member alignment",
			"model M(n: int) {\n  a = D(1)\n  long_name = D(2)\n  param W: f32[n, n] = glorot_uniform()\n  state s: f32[n] = zeros()\n  param v: f32\n  c = D(3)\n\n  d = D(4)\n  // breaks the run\n  ee = D(5)\n  blocks = [D(i) for i in 0..n]\n  fn forward(x: f32) -> f32 { return x }\n  z = D(6)\n}\n",
			"model M(n: int) {\n    a         = D(1)\n    long_name = D(2)\n    param W: f32[n, n] = glorot_uniform()\n    state s: f32[n]    = zeros()\n    param v: f32\n    c         = D(3)\n\n    d = D(4)\n    // breaks the run\n    ee     = D(5)\n    blocks = [D(i) for i in 0..n]\n    fn forward(x: f32) -> f32 {\n        return x\n    }\n    z = D(6)\n}\n"},
		{"a comment moved out of a member ends the run",
			"model M() {\n    a = D(1)\n    long = D(2, // moved\n        3)\n    b = D(4)\n}\n",
			"model M() {\n    a = D(1)\n    // moved\n    long = D(2, 3)\n    b    = D(4)\n}\n"},
		{"a comment moved out of a train field ends the run",
			"train M {\n    a = f(1)\n    long = f(2, // moved\n        3)\n}\n",
			"train M {\n    a = f(1)\n    // moved\n    long = f(2, 3)\n}\n"},
		{"CRLF and tabs", "fn f(x: f32) -> f32 {\r\n\treturn x  // c  \r\n}\r\n",
			"fn f(x: f32) -> f32 {\n    return x // c\n}\n"},
		{"comments align by characters, not bytes",
			"train M {\n    data = \"é\" // σ\n    seed = 1 // b\n}\n",
			"train M {\n    data = \"é\" // σ\n    seed = 1   // b\n}\n"},
		{"short function form kept short",
			"fn sq(x: f32[N])->f32[N]=x*\n  x // c\nmodel M() {\n  fn g(x: f32) = (x+1)*2\n}\n",
			"fn sq(x: f32[N]) -> f32[N] = x * x // c\nmodel M() {\n    fn g(x: f32) = (x + 1) * 2\n}\n"},
		{"train alignment",
			"train M {\n  optimizer = sgd(lr=0.1, momentum=0.9)\n  batch = 32\n\n  epochs = 3\n  seed = 1\n}\n",
			"train M {\n    optimizer = sgd(lr = 0.1, momentum = 0.9)\n    batch     = 32\n\n    epochs = 3\n    seed   = 1\n}\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkFormatted(t, c.name, c.src, c.want) })
	}
}

func TestFormatComments(t *testing.T) {
	src := `// header

// about f
fn f(x: f32, // the input
     n: int) -> f32 {   // after the brace
    // leading
    y = g(x, // inside
          n)   // trailing
    z = y      // aligned

    // before return


    return y // done
    // at the end
} // after f
// between
model M() { // m
    a = D(1) // one
    // two
    bb = D(2)
}
train M {
    batch = 1   // b
    // last field
    epochs = 2
}
// the end
`
	want := `// header

// about f
fn f(x: f32, n: int) -> f32 { // after the brace
    // the input
    // leading
    // inside
    y = g(x, n) // trailing
    z = y       // aligned

    // before return

    return y // done
    // at the end
} // after f
// between
model M() { // m
    a = D(1) // one
    // two
    bb = D(2)
}
train M {
    batch = 1 // b
    // last field
    epochs = 2
}
// the end
`
	checkFormatted(t, "comments.nn", src, want)
	// No comment is lost: every comment text appears once.
	got, _ := Format("comments.nn", []byte(src))
	for _, c := range scanComments([]byte(src)) {
		if n := strings.Count(string(got), c.text+"\n"); n != 1 {
			t.Errorf("comment %q ends %d lines", c.text, n)
		}
	}
}

func TestFormatStringsWithSlashes(t *testing.T) {
	src := "train M {\n    data = \"a//b\\\"//c\" // real\n}\n"
	checkFormatted(t, "s.nn", src, src)
	if cs := scanComments([]byte(src)); len(cs) != 1 || cs[0].text != "// real" || !cs[0].trailing {
		t.Errorf("comments %+v", cs)
	}
}

func TestFormatErrors(t *testing.T) {
	for _, src := range []string{"fn f( {\n", "const C = \"open\n", "model M { x = }\n", "const C = 1 $\n"} {
		_, err := Format("e.nn", []byte(src))
		list, ok := err.(ErrorList)
		if !ok || len(list) == 0 || list[0].Code != CodeSyntax || list[0].Pos.Line != 1 {
			t.Errorf("%q: error %v, want a positioned E101", src, err)
		}
	}
	if out, err := Format("empty.nn", []byte("\n\n")); err != nil || len(out) != 0 {
		t.Errorf("empty file: %q, %v", out, err)
	}
	if out, err := Format("c.nn", []byte("\n// only\n\n")); err != nil || string(out) != "// only\n" {
		t.Errorf("comment-only file: %q, %v", out, err)
	}
}
