package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// FuzzPlay: no text makes the playground's functions panic; diagnostics
// and hover ranges lie within the text (UTF-16 columns of their line); a
// drawn graph has as many node groups as nodes. Seeds: the samples and
// models/*.nn.
func FuzzPlay(f *testing.F) {
	for _, src := range samples(f) {
		f.Add(src, uint8(3), uint8(5))
	}
	files, _ := filepath.Glob("../../models/*.nn")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(string(b), uint8(9), uint8(9))
		}
	}
	f.Fuzz(func(t *testing.T, src string, line, col uint8) {
		lines := strings.Split(src, "\n")
		width := func(l int) int { return len(utf16.Encode([]rune(lines[l-1]))) }
		r := check(src)
		for _, d := range r.Diagnostics {
			if d.Line < 1 || d.Line > len(lines) || d.EndLine != d.Line || d.Col < 1 || d.EndCol < d.Col || d.EndCol > width(d.Line)+1 {
				t.Fatalf("diagnostic %+v outside the text", d)
			}
		}
		if h := hover(src, int(line), int(col)); h.Found && (h.Line != int(line) || h.Col < 1 || h.EndCol < h.Col || h.EndCol > width(h.Line)+1) {
			t.Fatalf("hover %+v outside the text", h)
		}
		if fr := format(src); len(fr.Diagnostics) > 0 && fr.Text != src {
			t.Fatal("format changed a text with errors")
		}
		if s := summary(src, "B=2, T=3"); len(r.Entries) > 0 && s.Summary == nil && s.Error == "" {
			t.Fatalf("summary: neither a summary nor an error")
		}
		if len(r.Entries) > 0 {
			g := graph(src, r.Entries[0], line%2 == 0)
			if g.Error == "" && strings.Count(g.SVG, `<g class="node`) != g.Nodes {
				t.Fatalf("graph: %d nodes, %d drawn", g.Nodes, strings.Count(g.SVG, `<g class="node`))
			}
		}
	})
}
