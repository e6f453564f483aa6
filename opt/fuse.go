package opt

import (
	"strconv"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// fusible ops are the elementwise float ops a fused_elementwise program can
// run.
var fusible = map[string]bool{}

func init() {
	un, bin := ops.FusedOps()
	for _, name := range append(un, bin...) {
		fusible[name] = true
	}
}

// group is a tree of fusible nodes computed by one fused_elementwise node:
// its root's value is the only one used outside it.
type group struct {
	root    *ops.Node
	members []*ops.Node // in graph order; the root is last
}

// Fuse turns trees of elementwise ops into fused_elementwise nodes. Walking
// the graph from its end, each fusible node not yet taken roots a group,
// which then takes every fusible operand all of whose readers are in the
// group, that is not an output or update, and whose element count is the
// root's (or 1: scalars are computed once per tile, so a member smaller than
// the root would otherwise be recomputed for every row it is broadcast to).
// Constants become immediates of the program; every other operand is read
// once per element. Groups of one op stay as they are.
func Fuse(g *ops.Graph) (*ops.Graph, error) {
	groups := findGroups(g)
	if len(groups) == 0 {
		return g, nil
	}
	byRoot := map[*ops.Node]*group{}
	for _, gr := range groups {
		byRoot[gr.root] = gr
	}
	return rebuild(g, func(b *ops.Builder, n *ops.Node, _, m []*ops.Node) *ops.Node {
		gr := byRoot[n]
		if gr == nil {
			return nil
		}
		prog, ext := program(gr)
		if len(ext) == 0 {
			return nil // only constants: nothing to read, leave it to folding
		}
		nin := make([]*ops.Node, len(ext))
		for i, x := range ext {
			nin[i] = m[x.ID]
		}
		return b.Must("fused_elementwise", ops.Attrs{
			"program": prog, "shape": n.Type.Shape, "dtype": n.Type.DType,
		}, nin...)
	})
}

// findGroups returns the groups of two or more nodes.
func findGroups(g *ops.Graph) []*group {
	readers := consumers(g)
	external := make([]bool, len(g.Nodes))
	for _, o := range g.Outputs {
		external[o.Node.ID] = true
	}
	for _, u := range g.Updates {
		external[u.Value.ID] = true
	}
	in := make([]*group, len(g.Nodes))
	var groups []*group
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		root := g.Nodes[i]
		if !fusible[root.Op.Name] || !root.Type.DType.IsFloat() || in[root.ID] != nil {
			continue
		}
		gr := &group{root: root}
		in[root.ID] = gr
		members := []*ops.Node{root}
		rootElems := root.Type.Shape.NumElems()
		for changed := true; changed; {
			changed = false
			for _, m := range members {
				for _, x := range m.In {
					if in[x.ID] != nil || external[x.ID] || !fusible[x.Op.Name] || x.Type.DType != root.Type.DType {
						continue
					}
					if e := x.Type.Shape.NumElems(); e != rootElems && e != ops.DimConst(1) {
						continue
					}
					all := true
					for _, r := range readers[x.ID] {
						all = all && in[r.ID] == gr
					}
					if all {
						in[x.ID] = gr
						members = append(members, x)
						changed = true
					}
				}
			}
		}
		if len(members) < 2 {
			in[root.ID] = nil
			continue
		}
		for _, n := range g.Nodes[:i+1] {
			if in[n.ID] == gr {
				gr.members = append(gr.members, n)
			}
		}
		groups = append(groups, gr)
	}
	return groups
}

// program writes gr as a fused_elementwise program and returns its external
// operands (nodes of the old graph) in the order of x0, x1, ...
func program(gr *group) (string, []*ops.Node) {
	tmp := map[*ops.Node]int{}
	opnd := map[*ops.Node]int{}
	var ext []*ops.Node
	var sb strings.Builder
	for i, m := range gr.members {
		tmp[m] = i
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString("t" + strconv.Itoa(i) + "=" + m.Op.Name + "(")
		for j, x := range m.In {
			if j > 0 {
				sb.WriteByte(',')
			}
			if k, ok := tmp[x]; ok {
				sb.WriteString("t" + strconv.Itoa(k))
				continue
			}
			if v, ok := constValue(x); ok {
				sb.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
				continue
			}
			k, ok := opnd[x]
			if !ok {
				k = len(ext)
				opnd[x] = k
				ext = append(ext, x)
			}
			sb.WriteString("x" + strconv.Itoa(k))
		}
		sb.WriteByte(')')
	}
	return sb.String(), ext
}
