package lang

import (
	"testing"
	"time"
)

// TestWorkLimits: programs whose checking would take seconds or minutes
// (found while fuzzing) stop at a cap with one E308 error at the
// construct that spent it, quickly.
func TestWorkLimits(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"grad in a long loop (each grad walks the graph)",
			"fn f(x: f32[4]) -> f32[4] {\n    for i in 0..10000 {\n        x = x + grad(sum(x * x), x)\n    }\n    return x\n}\n",
			"l.nn:3:17: the program is too large to unroll (more than 100000 steps of loops, inlined calls and differentiation)"},
		{"jvp in a long loop",
			"fn f(x: f32[4]) -> f32[4] {\n    for i in 0..10000 {\n        x = x + jvp(x * x, x, x)\n    }\n    return x\n}\n",
			"l.nn:3:17: the program is too large to unroll (more than 100000 steps of loops, inlined calls and differentiation)"},
		{"params of many sub-models in a loop",
			"import \"std/nn\"\nmodel M() {\n    l = [nn.Dense(4, 4) for i in 0..3000]\n    fn forward(x: f32[B, 4]) -> f32 {\n        s = sum(x)\n        for i in 0..3000 {\n            s = s + l2(params)\n        }\n        return s\n    }\n}\n",
			"l.nn:7:24: the program is too large to unroll (more than 100000 steps of loops, inlined calls and differentiation)"},
		{"rank growing in a loop",
			"fn f(x: f32[2]) -> f32 {\n    for i in 0..10000 {\n        x = unsqueeze(x, axis = 0)\n    }\n    return sum(x)\n}\n",
			"l.nn:3:13: unsqueeze: the result has rank 65, more than 64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := Load("l.nn", []byte(c.src))
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			list, ok := err.(ErrorList)
			if !ok || len(list) != 1 || list[0].Error() != c.want || list[0].Code != CodeValue {
				t.Errorf("got %v, want E308 %s", err, c.want)
			}
		})
	}
}

// TestWorkLimitPerProgram: checking a file has one budget for all of it;
// lowering one entry has its own.
func TestWorkLimitPerProgram(t *testing.T) {
	body := " {\n    y = x\n    for i in 0..200 {\n        for j in 0..100 {\n            y = y + 1.0\n        }\n    }\n    return y\n}\n"
	one := "fn a(x: f32) -> f32" + body
	if _, err := Load("p.nn", []byte(one)); err != nil {
		t.Fatalf("one function of 60,000 steps: %v", err)
	}
	_, err := Load("p.nn", []byte(one+"fn b(x: f32) -> f32"+body))
	list, ok := err.(ErrorList)
	if !ok || len(list) != 1 || list[0].Code != CodeValue || list[0].Pos.Line != 14 {
		t.Errorf("two functions of 60,000 steps: got %v, want one E308 in b (line 14)", err)
	}
}
