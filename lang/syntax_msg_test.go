package lang

import "testing"

// TestSyntaxMessages: syntax errors name the unexpected token and what
// could come instead, in words, at the unexpected token.
func TestSyntaxMessages(t *testing.T) {
	cases := []struct{ src, want string }{
		{"fn f(x:f32[3]->f32{\n return x\n}\n", `s.nn:1:14: syntax error: unexpected "->", expected ")"`},
		{"fn f(x: f32[3) -> f32 { return x }", `s.nn:1:14: syntax error: unexpected ")", expected "]"`},
		{"fn f(x: f32[3]) -> f32 {\n    return x\n", `s.nn:3:1: syntax error: unexpected end of file, expected "}"`},
		{"fn f(x: f32[3]) -> f32 {\n    y = x)\n}\n", `s.nn:2:10: syntax error: unexpected ")", expected newline`},
		{"model M { param W f32[3] }", `s.nn:1:19: syntax error: unexpected "f32", expected ":"`},
		{"import std", `s.nn:1:8: syntax error: unexpected "std", expected a string`},
		{"fn 3()", `s.nn:1:4: syntax error: unexpected "3", expected a name`},
		{"x = 3", `s.nn:1:1: syntax error: unexpected "x", expected a declaration (import, const, fn, model or train)`},
		{"fn f() { for i in 0 { } }", `s.nn:1:21: syntax error: unexpected "{", expected ".."`},
		{"fn f() -> f32 = ", `s.nn:1:17: syntax error: unexpected end of file, expected an expression`},
		{"fn f(x: f32) -> f32 { return x + }", `s.nn:1:34: syntax error: unexpected "}", expected an operand after "+"`},
		{"fn f() { return \"s\" \"t\" }", `s.nn:1:21: syntax error: unexpected string "t", expected newline`},
		{"fn f() { return x # 1 }", `s.nn:1:19: syntax error: unexpected character '#'`},
	}
	for _, c := range cases {
		_, err := parse("s.nn", []byte(c.src))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
		list, _ := err.(ErrorList)
		if len(list) != 1 || list[0].Code != CodeSyntax {
			t.Errorf("%q: %v is not one E101", c.src, err)
		}
	}
}

// TestFirstWords: what may start the rest of a rule, as participle prints
// it: optional parts let the next element in; alternatives all count.
func TestFirstWords(t *testing.T) {
	cases := map[string]string{
		`")" ("->" GType)? (("=" GExpr) | (GBlock GGrad?))`: `")"`,
		`("->" GType)? (("=" GExpr) | (GBlock GGrad?))`:     `"->", "=" or "{"`,
		`(GParam ("," GParam)*)? ","? ")"`:                  `a parameter, "," or ")"`,
		`<string> ("as" <ident>)?`:                          `a string`,
		`<nl>`:                                              `newline`,
		`GStmt* "}"`:                                        `a statement or "}"`,
	}
	for exp, want := range cases {
		if got := orList(firstWords(exp)); got != want {
			t.Errorf("%s: got %s, want %s", exp, got, want)
		}
	}
}
