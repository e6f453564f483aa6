package lang

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// Each case states the complete error output of Load, one error per line.
var errorCases = []struct {
	name, file, src string
	want            string
}{
	{"matmul shape", "digits.nn", `// digits.nn: the first layer's weight has the wrong shape.
model Classifier(hidden: int = 128) {
    param W: f32[32, hidden] = glorot_uniform()

    // x has 64 features but W expects 32.


    fn forward(x: f32[B, 64]) -> f32[B, hidden] {
        return x @ W
    }
}
`, "digits.nn:9:18: matmul: inner dimensions differ: x is f32[B, 64], W is f32[32, 128]"},

	{"did you mean", "digits.nn", `import "std/nn"

model Classifier(hidden: int = 128) {
    l1 = nn.Dense(64, hiden)
}
`, `digits.nn:4:23: undefined name "hiden"; did you mean "hidden"?`},

	{"syntax", "s.nn", "fn f(x: f32[3]) -> f32 {\n    return sum(x +)\n}\n",
		`s.nn:2:19: syntax error: unexpected ")", expected an operand after "+"`},

	{"operand missing at the end of a line", "s.nn", "fn f(x: f32) -> f32 {\n    return x *\n}\n",
		`s.nn:3:1: syntax error: unexpected "}", expected an operand after "*"`},

	{"shape variable", "v.nn", `fn add2(x: f32[B, 3], y: f32[B, 3]) -> f32[B, 3] {
    return x + y
}

fn f(a: f32[32, 3], c: f32[64, 3]) -> f32[32, 3] {
    return add2(a, c)
}
`, "v.nn:6:20: add2: shape variable B is 32 in x but 64 in y"},

	{"return type", "r.nn", "fn f(x: f32[B, 3]) -> f32[B, 4] {\n    return x\n}\n",
		"r.nn:2:5: f returns f32[B, 3], declared f32[B, 4] (axis 1 is 3, not 4)"},

	{"argument type names the axis", "a.nn", "fn g(x: f32[N, 4]) -> f32[N, 4] { return x }\nfn f(x: f32[B, 3]) -> f32[B, 3] {\n    return g(x)\n}\n",
		"a.nn:3:14: g: x is f32[B, 3], want f32[B, 4] (axis 1 is 3, not 4)"},

	{"broadcast names the axis", "b.nn", "fn f(x: f32[B, 3], y: f32[C, 3]) -> f32[B, 3] {\n    return x + y\n}\n",
		"b.nn:2:14: add: shapes do not broadcast: x is f32[B, 3], y is f32[C, 3] (cannot broadcast [B, 3] with [C, 3]: axis 0 is B against C)"},

	{"normalized dimensions", "n.nn", "fn f(x: f32[n + 1, 2 * d / 2], y: f32[1 + n, d]) -> f32[1 + n, d] {\n    return x + y\n}\nfn g(x: f32[n + 1]) -> f32[n + 2] {\n    return x\n}\n",
		"n.nn:5:5: g returns f32[n + 1], declared f32[n + 2] (axis 0 is n + 1, not n + 2)"},

	{"transposed letters", "t.nn", "fn f(x: f32[3]) -> f32[3] {\n    return rleu(x)\n}\n",
		`t.nn:2:12: undefined name "rleu"; did you mean "relu"?`},

	{"all errors, sorted, no cascade", "m.nn", "fn f(x: f32[3]) -> f32[3] {\n    y = undefined1 + x\n    z = y * 2.0\n    return z + undefined2\n}\n",
		"m.nn:2:9: undefined name \"undefined1\"\nm.nn:4:16: undefined name \"undefined2\""},

	{"grad of integer", "g.nn", "fn f(x: f32[3], n: i32[3]) -> f32[3] {\n    return grad(sum(x), n)\n}\n",
		"g.nn:2:25: grad: cannot differentiate with respect to n of integer type i32[3]"},

	{"grad of non-scalar", "g.nn", "fn f(x: f32[3]) -> f32[3] {\n    return grad(x * 2.0, x)\n}\n",
		"g.nn:2:17: grad: x * 2.0 is f32[3]; grad differentiates a float scalar"},

	{"no cascade, all errors", "c.nn", `fn f(x: f32[3]) -> f32[3] {
    y = exp(z) * 2.0 + x
    w = relu(y) @ x
    return y + undefined_too
}

fn g(x: f32[2, 3], y: f32[4]) -> f32[2, 4] {
    return x @ y
}
`, `c.nn:2:13: undefined name "z"
c.nn:4:16: undefined name "undefined_too"
c.nn:8:14: matmul: inner dimensions differ: x is f32[2, 3], y is f32[4]`},

	{"sub-model argument", "d.nn", `import "std/nn"

model M() {
    l1 = nn.Dense(32, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        return l1(x)
    }
}
`, "d.nn:7:19: Dense.forward: x is f32[B, 64], want f32[B, 32]"},

	{"broadcast", "b.nn", "fn f(x: f32[B, 3], y: f32[4]) -> f32[B, 3] {\n    return x + y\n}\n",
		"b.nn:2:14: add: shapes do not broadcast: x is f32[B, 3], y is f32[4] (cannot broadcast [B, 3] with [4]: axis 1 is 3 against 4)"},

	{"param shape variable", "p.nn", "model M() {\n    param W: f32[B, 3] = zeros()\n}\n",
		"p.nn:2:18: param W: dimension B is not a model argument or constant (shape variables are not allowed in a param's shape)"},

	{"unknown initializer", "i.nn", "model M() {\n    param W: f32[2, 3] = glorot_unifrom()\n}\n",
		`i.nn:2:26: unknown initializer glorot_unifrom; did you mean "glorot_uniform"?`},

	{"unknown keyword", "k.nn", "fn f(x: f32[3]) -> f32 {\n    return sum(x, axes = 0)\n}\n",
		`k.nn:2:19: sum has no argument axes; did you mean "axis"?`},

	{"missing return", "m.nn", "fn f(x: f32[3]) -> f32 {\n    y = x\n}\n",
		"m.nn:1:1: f: missing return (declared result f32)"},

	{"non-constant condition", "n.nn", "fn f(x: f32[3]) -> f32[3] {\n    if x {\n        return x\n    }\n    return x\n}\n",
		"n.nn:2:8: if condition must be a compile-time bool, not a tensor of type f32[3]"},

	{"duplicate", "u.nn", "fn f(x: f32) -> f32 { return x }\nfn f(x: f32) -> f32 { return x }\n",
		"u.nn:2:1: f is already declared at u.nn:1:1"},

	{"train block for unknown model", "t.nn", "model Net() {\n}\n\ntrain Nett {\n    epochs = 3\n}\n",
		`t.nn:4:1: train block for undefined model "Nett"; did you mean "Net"?`},

	{"unknown std module", "x.nn", `import "std/nope"` + "\n",
		`x.nn:1:1: unknown standard library module "std/nope"`},

	{"recursion", "rec.nn", "fn g(x: f32) -> f32 { return g(x) + g(x) }\nfn f(x: f32) -> f32 { return g(x) }\n",
		"rec.nn:1:30: calls nested more than 64 deep (is g recursive?)"},

	{"unroll limit", "big.nn", "fn f(x: f32) -> f32 {\n    y = x\n    for i in 0..10000 {\n        for j in 0..10000 {\n            y = y + 1.0\n        }\n    }\n    return y\n}\n",
		"big.nn:4:9: the program is too large to unroll (more than 100000 steps of loops, inlined calls and differentiation)"},

	{"lexical", "l.nn", "fn f(x: f32) -> f32 {\n    return x # 2\n}\n",
		`l.nn:2:14: syntax error: unexpected character '#'`},
}

func TestErrors(t *testing.T) {
	for _, c := range errorCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.file, []byte(c.src))
			if err == nil {
				t.Fatalf("no error; want\n%s", c.want)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, not an ErrorList", err)
			}
			if got := err.Error(); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
			for _, e := range list {
				if e.Code == "" || e.Code == CodeInternal {
					t.Errorf("bad code %q for %v", e.Code, e)
				}
			}
		})
	}
}

func TestErrorCodes(t *testing.T) {
	check := func(src, code string) {
		t.Helper()
		_, err := Load("c.nn", []byte(src))
		list, ok := err.(ErrorList)
		if !ok || len(list) == 0 || list[0].Code != code {
			t.Errorf("%q: got %v, want code %s", src, err, code)
		}
	}
	check("fn f(x: f32[3]) -> f32 { return y }", CodeUndefined)
	check("fn f(x: f32[3], y: f32[4]) -> f32[3] { return x @ y }", CodeShape)
	check("fn f(x: f32[3] -> f32 { return x }", CodeSyntax)
	check("fn f(x: f32[B]) -> f32[B, 1] { return x }", CodeReturn)
	check("fn g(x: f32[N], y: f32[N]) -> f32[N] { return x }\nfn f(x: f32[2], y: f32[3]) -> f32[2] { return g(x, y) }", CodeShapeVar)
	check("fn f(x: f32[3], n: i32[3]) -> f32[3] { return grad(sum(x), n) }", CodeGrad)
	check("fn f(x: f32[3]) -> f32[3] { return conv2d(x) }", CodeArgs)
	check("fn f(x: f32[3, 4, 3], i: i32[2]) -> f32[2, 4] { return x[i, :, i] }", CodeUnsupported)
}

// TestErrorCodePositions checks the code and the position of the one error
// of each program.
func TestErrorCodePositions(t *testing.T) {
	cases := []struct{ src, want, code string }{
		{"fn f(x: f32[3], x: f32[3]) -> f32[3] {\n    return x\n}",
			"c.nn:1:17: parameter x of f is already declared at c.nn:1:6", CodeDuplicate},
		{"model M() {\n    fn forward(a: f32, b: f32, a: f32) -> f32 = a\n}",
			"c.nn:2:32: parameter a of forward is already declared at c.nn:2:16", CodeDuplicate},
		{"fn f(x: f32[2, 3], a: i32) -> f32[2] {\n    return sum(x, axis = a)\n}",
			"c.nn:2:19: sum: axis must be an int or a list of ints, got a tensor of type i32", CodeNotConst},
		{"fn f(x: f32[2, 3]) -> f32[2] {\n    return sum(x, axis = 2)\n}",
			"c.nn:2:12: sum: axis 2 is out of range for x of type f32[2, 3]", CodeValue},
		{"fn f(x: f32[2, 3]) -> f32[2, 3] {\n    return softmax(x, axis = -3)\n}",
			"c.nn:2:12: softmax: axis -3 is out of range for x of type f32[2, 3]", CodeValue},
	}
	for _, c := range cases {
		_, err := Load("c.nn", []byte(c.src))
		list, ok := err.(ErrorList)
		if !ok || len(list) != 1 || list[0].Error() != c.want || list[0].Code != c.code {
			t.Errorf("%q: got %v (%T), want %s %s", c.src, err, err, c.code, c.want)
		}
	}
}

func TestLowerErrors(t *testing.T) {
	src, err := os.ReadFile("testdata/digits.nn")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load("digits.nn", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lower("Classifier.los", LowerOptions{}); err == nil || !strings.Contains(err.Error(), `did you mean "Classifier.loss"?`) {
		t.Errorf("unknown entry: %v", err)
	}
	if _, err := m.Lower("Classifier.forward", LowerOptions{ModelArgs: map[string]any{"hiden": 3}}); err == nil ||
		err.Error() != `digits.nn:4:1: model Classifier has no argument hiden; did you mean "hidden"?` {
		t.Errorf("unknown model argument: %v", err)
	}
}
