package main

import (
	"fmt"
	"html"
	"sort"
	"strconv"
	"strings"
)

// A dot graph is what nnc.Graph prints with Format "dot" (ops.FprintDot):
// one node per line with its label, edges "nA -> nB", outputs as
// doublecircle nodes and updates as dashed edges. parseDot reads that
// subset of DOT; it is not a general DOT parser.
type dotGraph struct {
	nodes []dotNode
	edges []dotEdge
}

// dotNode is one node: its DOT name, its label's lines, and its kind:
// "leaf" (an input, param or state), "output" or "op".
type dotNode struct {
	id    string
	lines []string
	kind  string
}

// dotEdge goes from node index from to node index to; update edges (a
// training step's param updates) are drawn dashed and left out of the
// layering.
type dotEdge struct {
	from, to int
	update   bool
}

// maxGraphNodes bounds the graphs drawn: a larger one is refused with an
// error that points at `nnc graph` (its layout would not be readable).
const maxGraphNodes = 1500

// parseDot reads ops.FprintDot's output.
func parseDot(src string) (*dotGraph, error) {
	g := &dotGraph{}
	index := map[string]int{}
	for i, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "}" || strings.HasPrefix(line, "digraph") ||
			strings.HasPrefix(line, "rankdir") || strings.HasPrefix(line, "node ") {
			continue
		}
		line = strings.TrimSuffix(line, ";")
		head, attrs, _ := strings.Cut(line, " [")
		if a, b, ok := strings.Cut(head, " -> "); ok {
			from, ok1 := index[a]
			to, ok2 := index[b]
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("graph line %d: edge %s between unknown nodes", i+1, head)
			}
			g.edges = append(g.edges, dotEdge{from: from, to: to, update: strings.Contains(attrs, "dashed")})
			continue
		}
		label, ok := dotLabel(attrs)
		if !ok || head == "" || strings.ContainsAny(head, " \"") {
			return nil, fmt.Errorf("graph line %d: cannot read %q", i+1, line)
		}
		if len(g.nodes) >= maxGraphNodes {
			return nil, fmt.Errorf("the graph has more than %d nodes, too many to draw here: use `nnc graph` (with --format dot for Graphviz)", maxGraphNodes)
		}
		kind := "op"
		switch {
		case strings.Contains(attrs, "doublecircle"):
			kind = "output"
		case strings.Contains(attrs, "style=filled"):
			kind = "leaf"
		}
		index[head] = len(g.nodes)
		g.nodes = append(g.nodes, dotNode{id: head, lines: strings.Split(label, `\n`), kind: kind})
	}
	return g, nil
}

// dotLabel returns the value of the label attribute in attrs, with its
// escaped quotes unescaped (its "\n" line breaks are kept as written).
func dotLabel(attrs string) (string, bool) {
	_, rest, ok := strings.Cut(attrs, `label="`)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		switch {
		case rest[i] == '"':
			return b.String(), true
		case rest[i] == '\\' && i+1 < len(rest) && rest[i+1] == '"':
			b.WriteByte('"')
			i++
		default:
			b.WriteByte(rest[i])
		}
	}
	return "", false
}

// Layout constants, in SVG pixels.
const (
	charW     = 6.6 // monospace at 11px
	lineH     = 13.0
	padX      = 8.0
	padY      = 6.0
	gapX      = 18.0
	gapY      = 34.0
	maxChars  = 40 // a label line longer than this is cut (the title keeps it)
	maxDummy  = 20000
	sweepsMax = 8
)

// item is one box of the layout: a node of the graph, or a dummy point
// that a long edge passes through.
type item struct {
	node  int // index in dotGraph.nodes, -1 for a dummy
	layer int
	w, h  float64
	x, y  float64 // the box's centre
	order float64
	in    []int // items of the layer above connected to this one
}

// layout is a laid-out graph: the items by layer and each edge's path.
type layout struct {
	g      *dotGraph
	items  []*item
	layers [][]int
	paths  [][]int // per edge of g: the items it passes through, in order
	width  float64
	height float64
}

// layoutGraph lays g out in layers, top to bottom (a Sugiyama layout,
// simply): each node one layer below its lowest operand, leaves just above
// their first use; long edges through dummy points; the order in each
// layer by barycentres, swept down and up; x by the mean of the
// neighbours, pushed apart.
func layoutGraph(g *dotGraph) (*layout, error) {
	n := len(g.nodes)
	preds := make([][]int, n)
	succs := make([][]int, n)
	for _, e := range g.edges {
		if e.update || e.from == e.to {
			continue
		}
		preds[e.to] = append(preds[e.to], e.from)
		succs[e.from] = append(succs[e.from], e.to)
	}
	layer := make([]int, n)
	// The nodes come in topological order (FprintDot prints g.Nodes, then
	// the outputs), so one pass sets the longest-path layers.
	for i := range n {
		for _, p := range preds[i] {
			if p >= i {
				return nil, fmt.Errorf("graph: node %s uses %s, printed after it", g.nodes[i].id, g.nodes[p].id)
			}
			layer[i] = max(layer[i], layer[p]+1)
		}
	}
	for i := range n {
		if len(preds[i]) == 0 && len(succs[i]) > 0 {
			low := -1
			for _, s := range succs[i] {
				if low < 0 || layer[s] < low {
					low = layer[s]
				}
			}
			layer[i] = max(0, low-1)
		}
	}
	l := &layout{g: g}
	nLayers := 0
	for i, nd := range g.nodes {
		w, h := boxSize(nd.lines)
		l.items = append(l.items, &item{node: i, layer: layer[i], w: w, h: h})
		nLayers = max(nLayers, layer[i]+1)
	}
	l.paths = make([][]int, len(g.edges))
	dummies := 0
	for ei, e := range g.edges {
		path := []int{e.from}
		if !e.update {
			prev := e.from
			for ly := layer[e.from] + 1; ly < layer[e.to]; ly++ {
				if dummies++; dummies > maxDummy {
					return nil, fmt.Errorf("the graph has too many long edges to draw here: use `nnc graph`")
				}
				l.items = append(l.items, &item{node: -1, layer: ly, w: 2, h: lineH, in: []int{prev}})
				prev = len(l.items) - 1
				path = append(path, prev)
			}
			l.items[e.to].in = append(l.items[e.to].in, prev)
		}
		l.paths[ei] = append(path, e.to)
	}
	l.layers = make([][]int, nLayers)
	for i, it := range l.items {
		l.layers[it.layer] = append(l.layers[it.layer], i)
	}
	l.order()
	l.place()
	return l, nil
}

// boxSize is the size of a node's box for its label's lines.
func boxSize(lines []string) (w, h float64) {
	chars := 0
	for _, s := range lines {
		chars = max(chars, min(len([]rune(s)), maxChars))
	}
	return float64(chars)*charW + 2*padX, float64(len(lines))*lineH + 2*padY
}

// order sorts each layer by the barycentre of its items' neighbours in the
// layer above (sweeping down) and below (sweeping up).
func (l *layout) order() {
	out := make([][]int, len(l.items))
	for i, it := range l.items {
		for _, p := range it.in {
			out[p] = append(out[p], i)
		}
	}
	pos := make([]float64, len(l.items))
	setPos := func(ly []int) {
		for k, i := range ly {
			pos[i] = float64(k)
		}
	}
	for _, ly := range l.layers {
		setPos(ly)
	}
	sortBy := func(ly []int, nb func(int) []int) {
		for _, i := range ly {
			if ns := nb(i); len(ns) > 0 {
				s := 0.0
				for _, j := range ns {
					s += pos[j]
				}
				l.items[i].order = s / float64(len(ns))
			} else {
				l.items[i].order = pos[i]
			}
		}
		sort.SliceStable(ly, func(a, b int) bool { return l.items[ly[a]].order < l.items[ly[b]].order })
		setPos(ly)
	}
	for sweep := 0; sweep < sweepsMax; sweep++ {
		if sweep%2 == 0 {
			for k := 1; k < len(l.layers); k++ {
				sortBy(l.layers[k], func(i int) []int { return l.items[i].in })
			}
		} else {
			for k := len(l.layers) - 2; k >= 0; k-- {
				sortBy(l.layers[k], func(i int) []int { return out[i] })
			}
		}
	}
}

// place sets the items' coordinates: layers stacked with their tallest box,
// each item at the mean x of its operands where the boxes left of it allow.
func (l *layout) place() {
	y := gapY / 2
	for _, ly := range l.layers {
		h := 0.0
		for _, i := range ly {
			h = max(h, l.items[i].h)
		}
		x := 0.0
		for _, i := range ly {
			it := l.items[i]
			it.y = y + h/2
			want := x + it.w/2
			if len(it.in) > 0 {
				s := 0.0
				for _, p := range it.in {
					s += l.items[p].x
				}
				want = max(want, s/float64(len(it.in)))
			}
			it.x = want
			x = it.x + it.w/2 + gapX
		}
		y += h + gapY
	}
	minX := 0.0
	for i, it := range l.items {
		if i == 0 || it.x-it.w/2 < minX {
			minX = it.x - it.w/2
		}
	}
	for _, it := range l.items {
		it.x += gapX - minX
		l.width = max(l.width, it.x+it.w/2+gapX)
	}
	l.height = y - gapY/2
}

// svg draws the layout: a <g class="node"> per node (with data-op, the op
// or output name, and a <title> with the whole label) and a <path
// class="edge"> per edge.
func (l *layout) svg() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" data-nodes="%d" data-edges="%d">`,
		l.width, l.height, l.width, l.height, len(l.g.nodes), len(l.g.edges))
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L8,4L0,8z"/></marker></defs>`)
	for ei, path := range l.paths {
		cls := "edge"
		if l.g.edges[ei].update {
			cls = "edge update"
		}
		fmt.Fprintf(&b, `<path class="%s" marker-end="url(#arrow)" d="`, cls)
		for k, i := range path {
			it := l.items[i]
			y := it.y
			switch {
			case k == 0 && it.node >= 0:
				y += it.h / 2
			case k == len(path)-1 && it.node >= 0:
				y -= it.h / 2
			}
			if k == 0 {
				b.WriteString("M")
			} else {
				b.WriteString(" L")
			}
			fmt.Fprintf(&b, "%.1f,%.1f", it.x, y)
		}
		b.WriteString(`"/>`)
	}
	for _, it := range l.items {
		if it.node < 0 {
			continue
		}
		nd := l.g.nodes[it.node]
		op, _, _ := strings.Cut(nd.lines[0], " ")
		fmt.Fprintf(&b, `<g class="node %s" data-id="%s" data-op="%s"%s><title>%s</title>`,
			nd.kind, html.EscapeString(nd.id), html.EscapeString(op), lineAttr(nd.lines), html.EscapeString(strings.Join(nd.lines, "\n")))
		rx := 4
		if nd.kind == "output" {
			rx = 12
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="%d"/>`, it.x-it.w/2, it.y-it.h/2, it.w, it.h, rx)
		for k, s := range nd.lines {
			if r := []rune(s); len(r) > maxChars {
				s = string(r[:maxChars-1]) + "…"
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`, it.x, it.y-it.h/2+padY+lineH*float64(k+1)-3, html.EscapeString(s))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// lineAttr is a data-line attribute with the .nn line a node came from (its
// label's last line, "file:line:col"), or "".
func lineAttr(lines []string) string {
	last := lines[len(lines)-1]
	parts := strings.Split(last, ":")
	if len(lines) < 2 || len(parts) < 3 {
		return ""
	}
	if n, err := strconv.Atoi(parts[len(parts)-2]); err == nil && n > 0 {
		return fmt.Sprintf(` data-line="%d"`, n)
	}
	return ""
}
