package lang

import (
	"fmt"
	"testing"
)

// sexpr prints an expression's tree fully parenthesized.
func sexpr(e expr) string {
	switch x := e.(type) {
	case *binaryExpr:
		return fmt.Sprintf("(%s %s %s)", x.Op, sexpr(x.X), sexpr(x.Y))
	case *unaryExpr:
		return fmt.Sprintf("(%s %s)", x.Op, sexpr(x.X))
	case *attrExpr:
		return fmt.Sprintf("(. %s %s)", sexpr(x.X), x.Name)
	case *callExpr:
		s := "(call " + sexpr(x.Fn)
		for _, a := range x.Args {
			s += " " + sexpr(a)
		}
		for _, k := range x.Kwargs {
			s += " " + k.Name + "=" + sexpr(k.Value)
		}
		return s + ")"
	}
	return exprString(e)
}

func TestPrecedence(t *testing.T) {
	cases := map[string]string{
		"-x ** 2 + a @ b * c":        "(+ (- (** x 2)) (* (@ a b) c))",
		"a ** b ** c":                "(** a (** b c))",
		"2 ** -x":                    "(** 2 (- x))",
		"a - b - c":                  "(- (- a b) c)",
		"a < b && c == d || !e":      "(|| (&& (< a b) (== c d)) (! e))",
		"f(x, axis = 1).T @ W":       "(@ (. (call f x axis=1) T) W)",
		"l1.W + m(a)(b)":             "(+ (. l1 W) (call (call m a) b))",
		"x / y * z":                  "(* (/ x y) z)",
		"(a + b) * c":                "(* (+ a b) c)",
		"-a @ b":                     "(@ (- a) b)",
		"1e-4 * l2(params) + 0.5":    "(+ (* 1e-4 (call l2 params)) 0.5)",
		"cross_entropy(f(x), y) + 1": "(+ (call cross_entropy (call f x) y) 1)",
	}
	for src, want := range cases {
		f, err := parse("p.nn", []byte("const C = "+src+"\n"))
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		e := f.Consts[0].Value
		if got := sexpr(e); got != want {
			t.Errorf("%s: parsed as %s, want %s", src, got, want)
		}
		// Printing gives source that parses to the same tree.
		f2, err := parse("p.nn", []byte("const C = "+exprString(e)+"\n"))
		if err != nil || sexpr(f2.Consts[0].Value) != want {
			t.Errorf("%s: printed as %s, which does not round-trip (%v)", src, exprString(e), err)
		}
	}
}

func TestNewlines(t *testing.T) {
	src := `fn f(x: f32[B,
             4]) -> f32 {   // a comment
    y = x *
        2.0


    return sum(
        y,
    )
}`
	f, err := parse("n.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	body := f.Fns[0].Body
	if len(body) != 2 {
		t.Fatalf("%d statements", len(body))
	}
	if got := sexpr(body[1].(*returnStmt).Values[0]); got != "(call sum y)" {
		t.Errorf("return %s", got)
	}
	if p := body[1].(*returnStmt).Pos; p.Line != 7 || p.Col != 5 {
		t.Errorf("return at %v", p)
	}
}
