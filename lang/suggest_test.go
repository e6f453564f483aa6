package lang

import (
	"strings"
	"testing"
	"time"
)

// TestEditDistance: optimal string alignment distance, worked by hand.
func TestEditDistance(t *testing.T) {
	cases := []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3},
		{"squeeze", "nsqueeze", 1}, // insertion
		{"relu", "rleu", 1},        // transposition
		{"kitten", "sitting", 3},   // substitution, substitution, insertion
		{"ca", "abc", 3},           // OSA (not Damerau): no edit of a transposed pair
		{"softmax", "softmax", 0},
		{"héllo", "hello", 1}, // runes, not bytes
	}
	for _, c := range cases {
		if d := editDistance(c.a, c.b); d != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
		if d := editDistance(c.b, c.a); d != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.b, c.a, d, c.d)
		}
	}
}

// TestSuggestBounded: suggestions keep working, a long name gets none, and
// an undefined name inside a long unrolled loop costs no more than a
// defined one (a fuzzed 10,000-step loop once spent 2.3 s computing the
// same suggestion at every step).
func TestSuggestBounded(t *testing.T) {
	if s := suggest("nsqueeze", []string{"squeeze", "sum", "sqrt"}); s != "squeeze" {
		t.Errorf("suggest(nsqueeze) = %q, want squeeze", s)
	}
	long := strings.Repeat("a", 100000)
	if s := suggest(long, []string{long + "b", "a"}); s != "" {
		t.Errorf("suggest of a 100,000-rune name = %q, want none", s)
	}
	loop := func(body string) time.Duration {
		src := "fn f(x: f32) -> f32 {\n    for i in 0..10000 {\n        x = " + body + "\n    }\n    return x\n}\n"
		var best time.Duration
		for r := 0; r < 2; r++ {
			start := cpuTime()
			_, err := Load("l.nn", []byte(src))
			if d := cpuTime() - start; r == 0 || d < best {
				best = d
			}
			if (err != nil) != strings.Contains(body, "nsqueeze") {
				t.Fatalf("Load(%s): %v", body, err)
			}
		}
		return best
	}
	ok, bad := loop("x * 1.5 + x"), loop("x * 1.5 + nsqueeze(x)")
	if bad > 3*ok+50*time.Millisecond {
		t.Errorf("a loop with an undefined name took %v of CPU, a loop without %v", bad, ok)
	}
}

// TestEmptyLoopsSpendSteps: nested ranges with empty bodies are charged
// per iteration (fn A(){for A in 0..10000{for A in 0..A{}}}, found by
// FuzzLoad, ran 50 million empty iterations in 14 s).
func TestEmptyLoopsSpendSteps(t *testing.T) {
	_, err := Load("l.nn", []byte("fn A(){for A in 0..10000{for A in 0..A{}}}"))
	if err == nil || !strings.Contains(err.Error(), "E308") && !strings.Contains(err.Error(), "too large to unroll") {
		t.Fatalf("Load = %v, want the step budget's E308", err)
	}
	el, ok := err.(ErrorList)
	if !ok || len(el) != 1 || el[0].Code != CodeValue || el[0].Pos.Line != 1 || el[0].Pos.Col != 26 {
		t.Errorf("errors %v, want one E308 at 1:26 (the inner for)", err)
	}
	// Loops within the budget still run: 400 + 79,800 iterations.
	if _, err := Load("l.nn", []byte("fn f(x: f32) -> f32 {\n    for i in 0..400 {\n        for j in 0..i {\n        }\n    }\n    return x\n}\n")); err != nil {
		t.Errorf("80,200 empty iterations (within the budget of 100,000): %v", err)
	}
}
