package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// samples reads web/samples.js: each sample's name and text (the
// samples are template literals without substitutions or backquotes).
func samples(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile("web/samples.js")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)name: \"([^\"]+)\",\\s*text: `([^`]*)`").FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	if len(out) < 3 {
		t.Fatalf("web/samples.js: %d samples read", len(out))
	}
	return out
}

// TestSamples: the samples other than "shape error" check, and have a
// graph to draw and a summary.
func TestSamples(t *testing.T) {
	for name, src := range samples(t) {
		r := check(src)
		if name == "shape error" {
			if len(r.Diagnostics) == 0 {
				t.Errorf("%s: no error", name)
			}
			continue
		}
		if s := summary(src, "B=8, T=16"); len(r.Diagnostics) > 0 || s.Error != "" || s.Summary == nil || len(r.Entries) == 0 {
			t.Errorf("%s: %+v, summary %+v", name, r, s)
			continue
		}
		if g := graph(src, r.Entries[0], true); g.Error != "" || g.Nodes == 0 {
			t.Errorf("%s: graph of %s: %+v", name, r.Entries[0], g)
		}
	}
}

// TestCheck: the shape error is reported on line 4 at the "@" (column 14
// of "    return h @ w"), with the checker's code for a shape mismatch; the
// good program checks, lists its entry and counts its FLOPs: for B=32 the
// product is 2·32·4·3 = 768 and relu 32·3 = 96.
func TestCheck(t *testing.T) {
	s := samples(t)
	tinySrc, brokenSrc := s["tiny"], s["shape error"]
	if !strings.Contains(tinySrc, "\n    h = x @ w\n") || !strings.Contains(brokenSrc, "\n    return h @ w\n") {
		t.Fatalf("the samples changed:\n%s\n%s", tinySrc, brokenSrc)
	}
	r := check(brokenSrc)
	if len(r.Diagnostics) != 1 {
		t.Fatalf("diagnostics %+v, want one", r.Diagnostics)
	}
	d := r.Diagnostics[0]
	if d.Line != 4 || d.Col != 14 || d.EndCol != 15 || d.Code != "E301" || !strings.Contains(d.Message, "inner dimensions") {
		t.Errorf("diagnostic %+v, want line 4, columns 14-15, E301 about inner dimensions", d)
	}
	if len(r.Entries) != 0 {
		t.Errorf("a program with errors has entries %v", r.Entries)
	}
	if s := summary(brokenSrc, "B=32"); s.Summary != nil || s.Error == "" {
		t.Errorf("a program with errors has a summary: %+v", s)
	}
	r = check(tinySrc)
	if len(r.Diagnostics) != 0 || strings.Join(r.Entries, ",") != "f" {
		t.Fatalf("tiny: %+v", r)
	}
	if s := summary(tinySrc, "B=32").Summary; s == nil || len(s.Entries) != 1 || s.Entries[0].Flops != 2*32*4*3+32*3 || s.Entries[0].PeakBytes <= 0 {
		t.Errorf("summary %+v, want FLOPs %d and a peak", s, 2*32*4*3+32*3)
	}
	for _, bad := range []string{"B=x", "B=0", "B=-1", "=3", "B=07", "B=99999999999"} {
		if s := summary(tinySrc, bad); s.Error == "" || s.Summary != nil {
			t.Errorf("shapes %q: %+v", bad, s)
		}
	}
	if s := summary(tinySrc, ""); s.Summary == nil || len(s.Summary.Entries[0].Missing) != 1 {
		t.Errorf("no shapes: %+v", s.Summary)
	}
	r = check("fn f(x: f32[N]) -> f32[N] {\n    return relu(x\n}\n")
	if len(r.Diagnostics) == 0 || r.Diagnostics[0].Code != "E101" {
		t.Errorf("syntax error: %+v", r.Diagnostics)
	}
}

// TestHover: the name h of line 3 is a local of type f32[B, 3] (x is
// [B, 4] times w [4, 3]); columns count UTF-16 units, in which a
// character outside the BMP takes two.
func TestHover(t *testing.T) {
	tinySrc := samples(t)["tiny"]
	h := hover(tinySrc, 3, 5)
	if !h.Found || h.Name != "h" || h.Type != "f32[B, 3]" || h.Kind != "local" || h.Line != 3 || h.Col != 5 || h.EndCol != 6 {
		t.Errorf("hover %+v, want h: f32[B, 3], a local at 3:5-6", h)
	}
	src := "// 𝔁\n" + strings.Replace(tinySrc, "    h = x @ w", "    h = x @ w // 𝔁", 1)
	if h := hover(src, 4, 5); !h.Found || h.Type != "f32[B, 3]" {
		t.Errorf("hover after a comment: %+v", h)
	}
	if h := hover(tinySrc, 3, 4); h.Found {
		t.Errorf("hover on a space: %+v", h)
	}
	for _, pos := range [][2]int{{0, 1}, {99, 1}, {3, -5}, {3, 999}} {
		if h := hover(tinySrc, pos[0], pos[1]); h.Found {
			t.Errorf("hover at %v: %+v", pos, h)
		}
	}
	if c, e := wordRange("a 𝔁 bc", 5); c != 6 || e != 8 {
		t.Errorf("wordRange after an astral character: %d-%d, want 6-8", c, e)
	}
	if c := runeCol("𝔁 bc", 4); c != 3 {
		t.Errorf("runeCol: %d, want 3", c)
	}
}

// TestFormat: the formatter's output, and a syntax error left as it was.
func TestFormat(t *testing.T) {
	f := format("fn   g(x: f32[N]) -> f32[N] {\nreturn   relu(x)\n}\n")
	if f.Text != "fn g(x: f32[N]) -> f32[N] {\n    return relu(x)\n}\n" || len(f.Diagnostics) != 0 {
		t.Errorf("format: %q %+v", f.Text, f.Diagnostics)
	}
	bad := "fn g(x: f32[N]) -> f32[N] {\n    return relu(x\n}\n"
	if f := format(bad); f.Text != bad || len(f.Diagnostics) == 0 {
		t.Errorf("format of a syntax error: %+v", f)
	}
}

// TestGraph: the tiny function's graph, counted by hand: inputs x and w,
// the product, relu, and the output; four edges (x and w into the product,
// it into relu, relu into the output).
func TestGraph(t *testing.T) {
	s := samples(t)
	tinySrc, brokenSrc := s["tiny"], s["shape error"]
	g := graph(tinySrc, "f", false)
	if g.Error != "" || g.Nodes != 5 || g.Edges != 4 {
		t.Fatalf("graph: %d nodes, %d edges, error %q; want 5 and 4", g.Nodes, g.Edges, g.Error)
	}
	if n := strings.Count(g.SVG, `<g class="node`); n != 5 {
		t.Errorf("the SVG has %d nodes", n)
	}
	for _, op := range []string{`data-op="input"`, `data-op="matmul"`, `data-op="relu"`, `data-op="out"`} {
		if !strings.Contains(g.SVG, op) {
			t.Errorf("the SVG has no %s", op)
		}
	}
	o := graph(tinySrc, "f", true)
	if o.Error != "" || o.Nodes < 3 || o.Nodes > g.Nodes {
		t.Errorf("optimized graph: %+v", o)
	}
	if e := graph(tinySrc, "nope", false); e.Error == "" {
		t.Error("an unknown entry draws a graph")
	}
	if e := graph(brokenSrc, "f", false); e.Error == "" {
		t.Error("a program with errors draws a graph")
	}
}
