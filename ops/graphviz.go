package ops

import (
	"fmt"
	"io"
	"strings"
)

// FprintDot writes g in Graphviz DOT: one box per node labelled with its op,
// type and .nn position; leaves show their names, outputs are double circles.
func FprintDot(w io.Writer, g *Graph) {
	fmt.Fprintln(w, "digraph nnc {")
	fmt.Fprintln(w, "  rankdir=TB;")
	fmt.Fprintln(w, "  node [shape=box, fontname=\"monospace\", fontsize=10];")
	dead := Leftovers(g)
	for _, n := range g.Nodes {
		if dead[n.ID] {
			continue // what building loop bodies left behind
		}
		label := n.Op.Name
		if name := n.Name(); name != "" {
			label += " " + name
		}
		label += "\\n" + n.Type.String()
		if p := n.Pos.String(); p != "" {
			label += "\\n" + p
		}
		style := ""
		if n.Op.Leaf {
			style = ", style=filled, fillcolor=\"#e8eef8\""
		}
		fmt.Fprintf(w, "  n%d [label=\"%s\"%s];\n", n.ID, dotEscape(label), style)
		for _, in := range n.In {
			fmt.Fprintf(w, "  n%d -> n%d;\n", in.ID, n.ID)
		}
	}
	for i, o := range g.Outputs {
		fmt.Fprintf(w, "  out%d [label=\"%s\", shape=doublecircle];\n  n%d -> out%d;\n", i, dotEscape(o.Name), o.Node.ID, i)
	}
	for i, u := range g.Updates {
		fmt.Fprintf(w, "  n%d -> n%d [style=dashed, label=\"update %d\"];\n", u.Value.ID, u.Target.ID, i)
	}
	fmt.Fprintln(w, "}")
}

func dotEscape(s string) string {
	return strings.ReplaceAll(s, `"`, `\"`)
}
