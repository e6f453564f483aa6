package opt

import (
	"container/heap"
	"sort"

	"github.com/nnclang/nnc/ops"
)

// findGroups puts every fusible node in a group, except cheap nodes that
// every group reading them recomputes. Walking the graph from its end, each
// fusible float node not yet taken (and not recomputed by all its readers)
// roots a group, which grows as follows.
//
// The rule is a fixed-point loop over rounds: each round visits the members
// the group had when the round began, in the order they joined, and each
// member's operands in order; an operand joins (at the end of the list) when
// it is a candidate (fusible, not an output or update, not in a group yet,
// of the root's type and element count or a scalar) and either every node
// reading it is in the group already ("in") or it is cheap enough to
// recompute ("dup", see duplicable). Rounds repeat until one adds nothing.
// Whether an operand ends up "in" or "dup" depends on when it is visited,
// so the order of those visits is the rule.
//
// Run as written, the loop is quadratic on long chains: a chain of n adds
// takes n rounds of up to n visits. grower runs the same loop as a
// simulation that only makes the visits that add something: a candidate can
// only start to be accepted when one of its readers joins, so each join
// computes, for each of the joining node's operands that has just become
// acceptable, the next visit that reads it, and a heap orders those visits
// by (round, member, operand). The groups are exactly the loop's (a test
// compares both on random graphs and the models), in O(E log E) for a graph
// of E operand edges.
func (f *fuser) findGroups(g *ops.Graph) {
	f.in, f.byRoot = make([]*group, len(g.Nodes)), map[*ops.Node]*group{}
	gw := newGrower(f, len(g.Nodes))
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		root := g.Nodes[i]
		if !fusible(root.Op) || !root.Type.DType.IsFloat() || f.in[root.ID] != nil || f.inlined(root) {
			continue
		}
		f.byRoot[root] = gw.grow(root)
	}
}

// findSole notes, for every node, the group that holds all its readers
// (nil when none does).
func (f *fuser) findSole(g *ops.Graph) {
	f.sole = make([]*group, len(g.Nodes))
	for _, n := range g.Nodes {
		rs := f.readers[n.ID]
		if len(rs) == 0 {
			continue
		}
		gr := f.in[rs[0].ID]
		for _, r := range rs[1:] {
			if f.in[r.ID] != gr {
				gr = nil
				break
			}
		}
		f.sole[n.ID] = gr
	}
}

// visit is one look at an operand in findGroups' loop: operand arg of the
// member at position pos of the group's list, in round round.
type visit struct{ round, pos, arg int }

func (a visit) before(b visit) bool {
	if a.round != b.round {
		return a.round < b.round
	}
	if a.pos != b.pos {
		return a.pos < b.pos
	}
	return a.arg < b.arg
}

// use is where a member reads a node: operand arg of the member at pos.
type use struct{ pos, arg int }

// event is a candidate node that the loop will accept at visit at.
type event struct {
	at visit
	x  *ops.Node
}

// events is a min-heap of events by visit.
type events []event

func (h events) Len() int           { return len(h) }
func (h events) Less(i, j int) bool { return h[i].at.before(h[j].at) }
func (h events) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)        { *h = append(*h, x.(event)) }
func (h *events) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// grower grows one group at a time; its per-node scratch (by node ID) is
// valid for the group numbered stamp[id] only, so nothing is cleared
// between groups.
type grower struct {
	f         *fuser
	gr        *group
	rootElems ops.Dim
	dtype     ops.DType
	members   []*ops.Node // in the order they joined
	round     int         // the round being simulated
	roundLen  int         // the number of members when it began
	queue     events

	cur    int
	stamp  []int
	joined []int   // readers of the node that are in the group (not dup)
	uses   [][]use // where members read the node, in visit order
	queued []bool  // the node has an event
}

func newGrower(f *fuser, n int) *grower {
	return &grower{f: f, stamp: make([]int, n), joined: make([]int, n), uses: make([][]use, n), queued: make([]bool, n)}
}

// grow forms the group rooted at root and returns it, its members in graph
// order.
func (gw *grower) grow(root *ops.Node) *group {
	f := gw.f
	gw.cur++
	gr := &group{root: root, dup: map[*ops.Node]bool{}}
	gw.gr, gw.rootElems, gw.dtype = gr, root.Type.Shape.NumElems(), root.Type.DType
	gw.members, gw.queue = gw.members[:0], gw.queue[:0]
	f.in[root.ID] = gr
	gw.round, gw.roundLen = 1, 1
	gw.join(root, true, visit{round: 1, pos: -1})
	for len(gw.queue) > 0 {
		e := heap.Pop(&gw.queue).(event)
		if e.at.round > gw.round {
			gw.round, gw.roundLen = e.at.round, len(gw.members)
		}
		x := e.x
		all := gw.joined[x.ID] == len(f.readers[x.ID])
		if all {
			f.in[x.ID] = gr
		} else {
			gr.dup[x] = true
		}
		gw.join(x, all, e.at)
	}
	gr.members = append([]*ops.Node(nil), gw.members...)
	sort.Slice(gr.members, func(i, j int) bool { return gr.members[i].ID < gr.members[j].ID })
	return gr
}

// candidate reports whether y may still join the group, given readers
// that allow it.
func (gw *grower) candidate(y *ops.Node) bool {
	f := gw.f
	if f.in[y.ID] != nil || gw.gr.dup[y] || f.external[y.ID] || !fusible(y.Op) || y.Type.DType != gw.dtype {
		return false
	}
	e := y.Type.Shape.NumElems()
	return e == gw.rootElems || e == ops.DimConst(1)
}

// join appends x to the group's list at visit now ("in" when in, else
// recomputed) and queues each of its operands that has become acceptable
// at the next visit that reads it.
func (gw *grower) join(x *ops.Node, in bool, now visit) {
	pos := len(gw.members)
	gw.members = append(gw.members, x)
	for j, y := range x.In {
		if !gw.candidate(y) {
			continue
		}
		if gw.stamp[y.ID] != gw.cur {
			gw.stamp[y.ID], gw.joined[y.ID], gw.uses[y.ID], gw.queued[y.ID] = gw.cur, 0, gw.uses[y.ID][:0], false
		}
		gw.uses[y.ID] = append(gw.uses[y.ID], use{pos, j})
	}
	for j, y := range x.In {
		if repeated(x.In, j) || !gw.candidate(y) {
			continue
		}
		if in {
			gw.joined[y.ID]++
		}
		if gw.queued[y.ID] {
			continue
		}
		if gw.joined[y.ID] == len(gw.f.readers[y.ID]) || (y.Type.Shape.NumElems() == gw.rootElems && gw.f.duplicable(y)) {
			gw.queued[y.ID] = true
			heap.Push(&gw.queue, event{gw.next(y, now), y})
		}
	}
}

// next returns the first visit after now that reads y: later in this round
// by a member the round visits, else at y's first reader in the next round.
func (gw *grower) next(y *ops.Node, now visit) visit {
	us := gw.uses[y.ID]
	k := sort.Search(len(us), func(i int) bool {
		return us[i].pos > now.pos || (us[i].pos == now.pos && us[i].arg > now.arg)
	})
	if k < len(us) && us[k].pos < gw.roundLen {
		return visit{now.round, us[k].pos, us[k].arg}
	}
	return visit{now.round + 1, us[0].pos, us[0].arg}
}

// repeated reports whether xs[j] also appears before j.
func repeated(xs []*ops.Node, j int) bool {
	for _, x := range xs[:j] {
		if x == xs[j] {
			return true
		}
	}
	return false
}
