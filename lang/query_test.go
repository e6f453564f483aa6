package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// at finds the column (1-based, runes; the files are ASCII) of the k-th
// occurrence (from 1) of sub in line of src.
func at(t *testing.T, src string, line int, sub string, k int) int {
	t.Helper()
	l := strings.Split(src, "\n")[line-1]
	off := 0
	for ; k > 0; k-- {
		i := strings.Index(l[off:], sub)
		if i < 0 {
			t.Fatalf("line %d %q has no %q", line, l, sub)
		}
		off += i + 1
	}
	return off
}

// TestInfoModels asserts the hover types of a sample of positions of
// models/*.nn, derived by hand from the declared signatures and the
// models' argument defaults.
func TestInfoModels(t *testing.T) {
	cases := []struct {
		file string
		line int
		sub  string
		k    int
		typ  string
		more string // a line of Detail, or ""
	}{
		{"deep_mlp.nn", 12, "x", 1, "f32[..., n_in]", ""},
		{"deep_mlp.nn", 12, "@", 1, "f32[..., n_out]", ""},
		{"deep_mlp.nn", 12, "W", 1, "f32[n_in, n_out]", "init: he_uniform"},
		{"deep_mlp.nn", 22, "h", 1, "f32[B, 64]", ""},
		{"deep_mlp.nn", 24, "h)", 1, "f32[B, 64]", ""},
		{"deep_mlp.nn", 26, "head", 1, "model Dense at head", "call: head(h): f32[B, 10]"},
		{"deep_mlp.nn", 30, "forward", 1, "fn DeepMLP.forward(x: f32[B, 64]) -> f32[B, 10]", "call: forward(x): f32[B, 10]"},
		{"deep_mlp.nn", 30, "cross_entropy", 1, "built-in cross_entropy(logits, labels, weights?, label_smoothing = 0, ignore_index?)", "call: cross_entropy(forward(x), y): f32"},
		// 2·(64·64 + 18·64·64 + 64·10) for the matmuls, 19·64 + 10 bias
		// adds, 19·64 relus, at B = 1.
		{"deep_mlp.nn", 21, "forward", 1, "fn forward(x: f32[B, 64]) -> f32[B, 10]", "FLOPs: 159370 at B = 1"},
		{"deep_mlp.nn", 21, "B", 1, "a dimension bound by the arguments", ""},
		{"deep_mlp.nn", 8, "n_in", 1, "int", ""},
		{"deep_mlp.nn", 8, "he_uniform", 1, "initializer he_uniform(gain)", ""},
		{"deep_mlp.nn", 23, "i", 1, "int", ""},
		{"deep_mlp.nn", 21, "64", 1, "int: a dimension", ""},
		{"deep_mlp.nn", 16, "18", 1, "int = 18", ""},
		{"digits.nn", 4, "0.1", 1, "float = 0.1", ""},
		{"digits.nn", 9, "h", 1, "f32[B, 128]", ""},
		{"digits.nn", 9, "l1", 1, "model Dense at l1", "call: l1(x): f32[B, 128]"},
		{"digits.nn", 9, "p)", 1, "float = 0.1", ""},
		{"digits.nn", 14, "*", 1, "f32", ""},
		{"gcn.nn", 30, "X", 1, "f32[N, 1433]", ""},
		{"gcn.nn", 30, "W1", 1, "f32[1433, 64]", "91712 values"},
		{"gcn.nn", 30, "@", 2, "f32[N, 64]", ""},
		{"gcn.nn", 31, "@", 1, "f32[N, 7]", ""},
		{"gcn.nn", 35, "logp", 1, "f32[N, 7]", ""},
		{"gcn.nn", 36, "nll", 1, "f32[N]", ""},
		{"gcn.nn", 39, "mask", 1, "f32[N]", ""},
	}
	analyses := map[string]*Analysis{}
	srcs := map[string]string{}
	for _, c := range cases {
		name := filepath.Join("..", "models", c.file)
		a := analyses[name]
		if a == nil {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			a = Analyze(name, src)
			if len(a.Errors) != 0 {
				t.Fatalf("%s: %v", name, a.Errors)
			}
			analyses[name], srcs[name] = a, string(src)
		}
		col := at(t, srcs[name], c.line, c.sub, c.k)
		info, ok := a.Info(name, c.line, col)
		if !ok {
			t.Errorf("%s:%d:%d %q: no info", c.file, c.line, col, c.sub)
			continue
		}
		if info.Type != c.typ {
			t.Errorf("%s:%d:%d %q: type %q, want %q", c.file, c.line, col, c.sub, info.Type, c.typ)
		}
		if c.more != "" && !strings.Contains(strings.Join(info.Detail, "\n"), c.more) {
			t.Errorf("%s:%d:%d %q: detail %q lacks %q", c.file, c.line, col, c.sub, info.Detail, c.more)
		}
	}
}

// TestInfoBroken: a file with errors keeps the types of what checked, and
// one that does not parse answers nothing, without failing.
func TestInfoBroken(t *testing.T) {
	src := "fn f(x: f32[N, 3]) -> f32[N] {\n    h = x * 2.0\n    y = h @ q\n    return sum(h, axis = 1)\n}\n"
	a := Analyze("b.nn", []byte(src))
	if len(a.Errors) != 1 || a.Errors[0].Code != CodeUndefined || a.Errors[0].Pos.Line != 3 {
		t.Fatalf("errors: %v", a.Errors)
	}
	info, ok := a.Info("b.nn", 2, 5)
	if !ok || info.Type != "f32[N, 3]" || info.Kind != "local" {
		t.Errorf("h: %+v", info)
	}
	if d, ok := a.Definition("b.nn", 4, 16); !ok || d.Line != 2 || d.Col != 5 {
		t.Errorf("definition of h: %v %v", d, ok)
	}
	info, ok = a.Info("b.nn", 4, 19)
	if !ok || info.Kind != "keyword argument" || info.Type != "int = 1" {
		t.Errorf("axis: %+v", info)
	}
	// An entry's FLOPs at B = 1: x @ w is 2·B·3·4 (a multiply and an add
	// per term of each of the B·4 results).
	m := Analyze("m.nn", []byte("fn f(x: f32[B, 3], w: f32[3, 4]) -> f32[B, 4] {\n    return x @ w\n}\n"))
	if info, ok := m.Info("m.nn", 1, 4); !ok || !strings.Contains(strings.Join(info.Detail, "\n"), "FLOPs: 24 at B = 1") {
		t.Errorf("FLOPs of f: %+v", info)
	}
	for _, broken := range []string{"fn f(x: f32[N, 3]) -> {\n", "model M(", "\"", "fn f() { return nn. }"} {
		a := Analyze("c.nn", []byte(broken))
		if len(a.Errors) == 0 || a.Parsed() {
			t.Errorf("%q: %v parsed %v", broken, a.Errors, a.Parsed())
		}
		if _, ok := a.Info("c.nn", 1, 1); ok {
			t.Errorf("%q: info without a syntax tree", broken)
		}
		_ = a.Completions("c.nn", 1, 1, "")
		_ = a.Symbols("c.nn")
	}
}
