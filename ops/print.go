package ops

import (
	"fmt"
	"io"
	"strings"
)

// String prints the graph in the text form of Fprint.
func (g *Graph) String() string {
	var sb strings.Builder
	Fprint(&sb, g)
	return sb.String()
}

// Fprint writes g as text, one node a line, then its outputs and updates:
//
//	%0 = input "x" f32[B, 64]
//	%1 = param "l1.W" f32[64, 128] {init="glorot_uniform"}
//	%4 = matmul(%0, %1) f32[B, 128]  // digits.nn:9:18
//	%5 = sum(%4) {axes=[1], keepdims=false} f32[B]
//	output loss = %9
//	update l1.W <- %12
//
// A loop's body follows its node, indented and marked with "|"; what
// building the bodies left in the graph (Leftovers) is left out.
func Fprint(w io.Writer, g *Graph) {
	dead := Leftovers(g)
	for _, n := range g.Nodes {
		if dead[n.ID] {
			continue
		}
		fmt.Fprintln(w, formatNode(n))
		if body := LoopBody(n); body != nil {
			var sb strings.Builder
			fmt.Fprintf(&sb, "%s: %d carries, %d sequences, %d captures; outputs: the new carries, then the per-step results\n",
				body, body.Carries, body.Seqs, body.Captures())
			Fprint(&sb, body.G)
			for _, line := range strings.Split(strings.TrimSuffix(sb.String(), "\n"), "\n") {
				fmt.Fprintln(w, "    | "+line)
			}
		}
	}
	for _, o := range g.Outputs {
		fmt.Fprintf(w, "output %s = %v\n", o.Name, o.Node)
	}
	for _, u := range g.Updates {
		fmt.Fprintf(w, "update %s <- %v\n", u.Target.Name(), u.Value)
	}
}

func formatNode(n *Node) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v = %s", n, n.Op.Name)
	attrs := n.Attrs
	if n.Op.Leaf {
		fmt.Fprintf(&sb, " %q", n.Name())
		attrs = make(Attrs, len(n.Attrs))
		for k, v := range n.Attrs {
			if k != "name" {
				attrs[k] = v
			}
		}
	} else {
		sb.WriteByte('(')
		for i, x := range n.In {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(x.String())
		}
		sb.WriteByte(')')
	}
	if k := attrs.Key(); k != "" {
		sb.WriteString(" {" + k + "}")
	}
	sb.WriteString(" " + n.Type.String())
	if p := n.Pos.String(); p != "" {
		sb.WriteString("  // " + p)
	}
	return sb.String()
}
