package opt

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// findGroupsReference is findGroups as first written: clear, and quadratic
// on long chains (every round of its loop scans every member again, and
// every group scans the graph for its members). TestFindGroupsReference
// checks that findGroups forms exactly the groups it forms.
func (f *fuser) findGroupsReference(g *ops.Graph) {
	readers, external := f.readers, f.external
	in := make([]*group, len(g.Nodes))
	f.in, f.byRoot = in, map[*ops.Node]*group{}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		root := g.Nodes[i]
		if !fusible(root.Op) || !root.Type.DType.IsFloat() || in[root.ID] != nil || f.inlined(root) {
			continue
		}
		gr := &group{root: root, dup: map[*ops.Node]bool{}}
		in[root.ID] = gr
		members := []*ops.Node{root}
		rootElems := root.Type.Shape.NumElems()
		for changed := true; changed; {
			changed = false
			for _, m := range members {
				for _, x := range m.In {
					if in[x.ID] != nil || gr.dup[x] || external[x.ID] || !fusible(x.Op) || x.Type.DType != root.Type.DType {
						continue
					}
					e := x.Type.Shape.NumElems()
					if e != rootElems && e != ops.DimConst(1) {
						continue
					}
					all := true
					for _, r := range readers[x.ID] {
						all = all && in[r.ID] == gr
					}
					switch {
					case all:
						in[x.ID] = gr
					case e == rootElems && f.duplicable(x):
						gr.dup[x] = true
					default:
						continue
					}
					members = append(members, x)
					changed = true
				}
			}
		}
		for _, n := range g.Nodes[:i+1] {
			if in[n.ID] == gr || gr.dup[n] {
				gr.members = append(gr.members, n)
			}
		}
		f.byRoot[root] = gr
	}
}

// groupsText prints the groups findGroups (or findGroupsReference) formed
// on g: for each group, in the order of the roots, its members in graph
// order with the recomputed ones starred.
func groupsText(g *ops.Graph, reference bool) string {
	f := &fuser{readers: consumers(g), external: make([]bool, len(g.Nodes)), cheapDup: make([]int8, len(g.Nodes))}
	for _, o := range g.Outputs {
		f.external[o.Node.ID] = true
	}
	for _, u := range g.Updates {
		f.external[u.Value.ID] = true
	}
	if reference {
		f.findGroupsReference(g)
	} else {
		f.findGroups(g)
	}
	var sb strings.Builder
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		gr := f.byRoot[g.Nodes[i]]
		if gr == nil {
			continue
		}
		fmt.Fprintf(&sb, "%v:", gr.root)
		for _, m := range gr.members {
			star := ""
			if gr.dup[m] {
				star = "*"
			} else if f.in[m.ID] != gr {
				star = "?" // neither in the group nor recomputed: a bug
			}
			fmt.Fprintf(&sb, " %v%s", m, star)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// sharedGraph is a random DAG of elementwise ops over two shapes and a
// scalar in which values are read by several later nodes, so that groups
// meet shared cheap ops (recomputed or taken, depending on the order in
// which the loop visits them), outputs and broadcasts.
func sharedGraph(rng *rand.Rand, size int) *ops.Graph {
	b := ops.NewBuilder()
	ty := func(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }
	pool := []*ops.Node{b.Input("x", ty(4, 3)), b.Input("v", ty(3)), b.Input("s", ty())}
	pick := func() *ops.Node {
		if rng.IntN(3) == 0 { // mostly recent values: long chains
			return pool[len(pool)-1-rng.IntN(min(len(pool), 4))]
		}
		return pool[rng.IntN(len(pool))]
	}
	unary := []*ops.Op{ops.Neg, ops.Exp, ops.Abs, ops.Square, ops.Relu, ops.Tanh}
	binary := []*ops.Op{ops.Add, ops.Sub, ops.Mul, ops.Div, ops.Maximum, ops.Greater}
	for range size {
		var y *ops.Node
		if rng.IntN(3) == 0 {
			y = b.Must(unary[rng.IntN(len(unary))], nil, pick())
		} else {
			y = b.Must(binary[rng.IntN(len(binary))], nil, pick(), pick())
		}
		pool = append(pool, y)
		if rng.IntN(12) == 0 {
			b.Output(fmt.Sprint("o", len(pool)), y)
		}
	}
	b.Output("last", pool[len(pool)-1])
	return b.G
}

// TestFindGroupsReference: findGroups forms exactly the groups of the loop
// it simulates (findGroupsReference), members and recomputed members
// alike, on random graphs, shared graphs and the models' training steps;
// so Fuse's output is unchanged.
func TestFindGroupsReference(t *testing.T) {
	var graphs []*ops.Graph
	for seed := range uint64(60) {
		graphs = append(graphs, randomGraph(rand.New(rand.NewPCG(seed, 1)), ops.F32))
		graphs = append(graphs, sharedGraph(rand.New(rand.NewPCG(seed, 2)), 20+int(seed)*3))
	}
	graphs = append(graphs, digitsStep(t).g, elementwiseBlock(4, 8).g)
	recomputed, taken := 0, 0
	for i, g := range graphs {
		for _, h := range []*ops.Graph{g, mustPass(t, "cse", g)} {
			want, got := groupsText(h, true), groupsText(h, false)
			if got != want {
				t.Fatalf("graph %d: groups\n%s\nwant (the loop's)\n%s\ngraph:\n%v", i, got, want, h)
			}
			if strings.Contains(got, "?") {
				t.Fatalf("graph %d: a member neither in its group nor recomputed:\n%s", i, got)
			}
			recomputed += strings.Count(got, "*")
			taken += strings.Count(got, " %")
		}
	}
	// The comparison means something only if the graphs have both kinds.
	if recomputed < 50 || taken < 500 {
		t.Errorf("only %d recomputed and %d members in all the groups", recomputed, taken)
	}
	t.Logf("%d graphs, %d members, %d recomputed", len(graphs), taken, recomputed)
}
