package main

import (
	"strconv"
	"strings"
	"testing"
)

// A graph as ops.FprintDot prints it, written by hand: x feeds a and c
// (a long edge past b), a param p is updated (a dashed edge), one label
// has an escaped quote.
const handDot = `digraph nnc {
  rankdir=TB;
  node [shape=box, fontname="monospace", fontsize=10];
  n0 [label="input x\nf32[4]\nplayground.nn:2:6", style=filled, fillcolor="#e8eef8"];
  n1 [label="param p\nf32[4]", style=filled, fillcolor="#e8eef8"];
  n2 [label="add\nf32[4]\nplayground.nn:3:7"];
  n0 -> n2;
  n1 -> n2;
  n3 [label="relu \"q\"\nf32[4]"];
  n2 -> n3;
  n4 [label="mul\nf32[4]\nplayground.nn:5:9"];
  n3 -> n4;
  n0 -> n4;
  out0 [label="y", shape=doublecircle];
  n4 -> out0;
  n4 -> n1 [style=dashed, label="update 0"];
}
`

// TestLayout: the nodes, kinds and labels read back; every edge but the
// update goes down at least one layer; boxes of a layer do not overlap;
// the long edge x -> mul passes through one point per layer between; the
// SVG has a group per node and a path per edge.
func TestLayout(t *testing.T) {
	g, err := parseDot(handDot)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.nodes) != 6 || len(g.edges) != 7 {
		t.Fatalf("%d nodes, %d edges; want 6 and 7", len(g.nodes), len(g.edges))
	}
	kinds := []string{"leaf", "leaf", "op", "op", "op", "output"}
	for i, n := range g.nodes {
		if n.kind != kinds[i] {
			t.Errorf("node %s is %s, want %s", n.id, n.kind, kinds[i])
		}
	}
	if g.nodes[3].lines[0] != `relu "q"` || len(g.nodes[0].lines) != 3 {
		t.Errorf("labels: %q, %q", g.nodes[3].lines, g.nodes[0].lines)
	}
	if !g.edges[6].update || g.edges[0].update {
		t.Errorf("update edges: %+v", g.edges)
	}
	l, err := layoutGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	wantLayer := []int{0, 0, 1, 2, 3, 4}
	for i, w := range wantLayer {
		if got := l.items[i].layer; got != w {
			t.Errorf("node %s in layer %d, want %d", g.nodes[i].id, got, w)
		}
	}
	for ei, e := range g.edges {
		from, to := l.items[e.from], l.items[e.to]
		if !e.update && to.y <= from.y {
			t.Errorf("edge %d goes up: %.0f to %.0f", ei, from.y, to.y)
		}
	}
	if p := l.paths[4]; len(p) != 4 || l.items[p[1]].node != -1 || l.items[p[2]].node != -1 {
		t.Errorf("the long edge x -> mul has path %v, want x, two points, mul", p)
	}
	for _, ly := range l.layers {
		for k := 1; k < len(ly); k++ {
			a, b := l.items[ly[k-1]], l.items[ly[k]]
			if a.x+a.w/2 > b.x-b.w/2 {
				t.Errorf("boxes overlap in layer %d: %.0f+%.0f and %.0f-%.0f", a.layer, a.x, a.w/2, b.x, b.w/2)
			}
		}
	}
	for _, it := range l.items {
		if it.x-it.w/2 < 0 || it.x+it.w/2 > l.width || it.y+it.h/2 > l.height {
			t.Errorf("item outside the drawing: %+v in %.0fx%.0f", it, l.width, l.height)
		}
	}
	svg := l.svg()
	if n := strings.Count(svg, `<g class="node`); n != 6 {
		t.Errorf("%d node groups, want 6", n)
	}
	if n := strings.Count(svg, `<path class="edge`); n != 7 {
		t.Errorf("%d edge paths, want 7", n)
	}
	for _, s := range []string{`data-op="relu"`, `relu &#34;q&#34;`, `data-line="5"`, `class="edge update"`, `class="node output"`} {
		if !strings.Contains(svg, s) {
			t.Errorf("the SVG has no %s", s)
		}
	}
}

// TestParseDotErrors: what is not FprintDot's output is refused.
func TestParseDotErrors(t *testing.T) {
	for _, src := range []string{
		"n0 -> n1;",                 // unknown nodes
		`n0 [label="unterminated];`, // label without its quote
		`n0 [shape=box];`,           // no label
		`n0 x [label="a"];`,         // a space in the name
		"n0 [label=\"a\"];\nn1 [label=\"b\"];\nn1 -> n1;\nn0 -> n1;\nn1 -> n0;", // a cycle
	} {
		g, err := parseDot(src)
		if err == nil {
			_, err = layoutGraph(g)
		}
		if err == nil {
			t.Errorf("%q: no error", src)
		}
	}
	var b strings.Builder
	for i := 0; i <= maxGraphNodes; i++ {
		b.WriteString("n" + strconv.Itoa(i) + " [label=\"op\"];\n")
	}
	if _, err := parseDot(b.String()); err == nil || !strings.Contains(err.Error(), "nnc graph") {
		t.Errorf("a graph of %d nodes: %v", maxGraphNodes+1, err)
	}
}
