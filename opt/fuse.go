package opt

import (
	"strconv"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// fusible reports whether op is an elementwise float op that fused
// kernels can run: one with a fusion descriptor (ops.Elementwise).
func fusible(op *ops.Op) bool { return op.Elementwise != nil }

// cheap reports whether op costs less to recompute in every group that
// reads it than to store and load again (ops.Elementwise.Cheap).
func cheap(op *ops.Op) bool { return op.Elementwise != nil && op.Elementwise.Cheap }

// group is a tree of fusible nodes computed by one fused node:
// its root's value is the only one used outside it.
type group struct {
	root    *ops.Node
	members []*ops.Node // in graph order; the root is last
	// dup holds the members the group recomputes although other groups
	// read them too: cheap ops whose operands are stored anyway.
	dup map[*ops.Node]bool
}

// Fuse turns trees of elementwise ops into fused kernels. Walking the graph
// from its end, each fusible node not yet taken roots a group, which then
// takes every fusible operand all of whose readers are in the group, that is
// not an output or update, and whose element count is the root's (or 1:
// scalars are computed once per tile, so a member smaller than the root
// would otherwise be recomputed for every row it is broadcast to). A cheap
// op (add, mul, ...) whose readers are all fusible and whose operands are
// stored anyway is recomputed by every group that reads it instead of being
// stored: layer norm's x - mean feeds both the variance and the
// normalization without a pass of its own. Constants become immediates of
// the program; every other operand is read once per element. A group becomes
//
//   - fused_reduce, when its root's only reader is a sum or mean over the
//     last axis or every axis: the values are summed as they are made;
//   - fused_matmul, when one of its operands is a matmul read by the group
//     only, of the root's shape: the group is the matmul's epilogue
//     (unless the group is a param's new value that reads the param:
//     see epilogueOf);
//   - fused_conv2d, when the group adds a bias per channel to an f32
//     conv2d that it alone reads, maybe then applying relu (std/nn's
//     Conv2D and its activation, in inference and training graphs alike:
//     relu's gradient reads relu's output, not the convolution);
//   - fused_elementwise otherwise, when it has two ops or more.
func Fuse(g *ops.Graph) (*ops.Graph, error) {
	f := &fuser{readers: consumers(g), external: make([]bool, len(g.Nodes)), cheapDup: make([]int8, len(g.Nodes))}
	for _, o := range g.Outputs {
		f.external[o.Node.ID] = true
	}
	f.writesTo = map[int]*ops.Node{}
	for _, u := range g.Updates {
		f.external[u.Value.ID] = true
		if u.Target.Op == ops.Param {
			f.writesTo[u.Value.ID] = u.Target
		}
	}
	f.findGroups(g)
	f.findSole(g)
	return rebuild(g, f.rewrite)
}

// fuser holds what the fusion pass knows of the old graph.
type fuser struct {
	readers  [][]*ops.Node
	external []bool   // by node ID: an output or update value
	in       []*group // by node ID: the group holding the node
	byRoot   map[*ops.Node]*group
	sole     []*group          // by node ID: the group holding all the node's readers
	cheapDup []int8            // by node ID: duplicable's answer, 1 yes, 2 no, 0 not known yet
	writesTo map[int]*ops.Node // by update value's ID: the param it updates
}

func (f *fuser) rewrite(b *ops.Builder, n *ops.Node, _, m []*ops.Node) *ops.Node {
	if (n.Op == ops.Sum || n.Op == ops.Mean) && n.Type.DType.IsFloat() {
		return f.reduce(b, n, m)
	}
	gr := f.byRoot[n]
	if gr == nil {
		return nil
	}
	if cv, bias, relu := f.convBiasOf(gr); cv != nil {
		attrs := ops.Attrs{}
		for k, v := range cv.Attrs {
			attrs[k] = v
		}
		if relu {
			attrs["relu"] = true
		}
		return b.Must(ops.FusedConv2D, attrs, m[cv.In[0].ID], m[cv.In[1].ID], m[bias.ID])
	}
	if mx := f.epilogueOf(gr); mx != nil {
		prog, ext := program(gr, mx)
		attrs := ops.Attrs{"program": prog, "shape": n.Type.Shape, "dtype": n.Type.DType}
		for _, k := range []string{"transpose_x", "transpose_w"} {
			if mx.Attrs.Bool(k, false) {
				attrs[k] = true
			}
		}
		in := []*ops.Node{m[mx.In[0].ID], m[mx.In[1].ID]}
		for _, x := range ext[1:] {
			in = append(in, m[x.ID])
		}
		return b.Must(ops.FusedMatmul, attrs, in...)
	}
	if len(gr.members) < 2 {
		return nil
	}
	prog, ext := program(gr, nil)
	if len(ext) == 0 {
		return nil // only constants: nothing to read, leave it to folding
	}
	return b.Must(ops.FusedElementwise, ops.Attrs{
		"program": prog, "shape": n.Type.Shape, "dtype": n.Type.DType,
	}, mapAll(ext, m)...)
}

// reduce makes sum or mean node n one fused_reduce with the group computing
// its operand, when that group is read by n only and n reduces the last
// axis or every axis.
func (f *fuser) reduce(b *ops.Builder, n *ops.Node, m []*ops.Node) *ops.Node {
	p := n.In[0]
	gr := f.byRoot[p]
	if gr == nil || f.external[p.ID] || len(f.readers[p.ID]) != 1 || p.Type.Shape.Rank() == 0 {
		return nil
	}
	attrs := ops.Attrs{"reduce": n.Op.Name, "shape": p.Type.Shape, "dtype": p.Type.DType,
		"keepdims": n.Attrs.Bool("keepdims", false)}
	if axes, ok := n.Attrs.Ints("axes"); ok {
		r := p.Type.Shape.Rank()
		all := len(axes) == r // every axis, listed
		if !all && (len(axes) != 1 || (axes[0] != r-1 && axes[0] != -1)) {
			return nil
		}
		if !all {
			attrs["axes"] = []int{r - 1}
		}
	}
	prog, ext := program(gr, nil)
	if len(ext) == 0 || !dimsFromOperands(p.Type.Shape, ext) {
		return nil
	}
	attrs["program"] = prog
	return b.Must(ops.FusedReduce, attrs, mapAll(ext, m)...)
}

// convBiasOf returns, when gr is add(c, b) or relu(add(c, b)) (either
// order of the add's operands) with c an f32 conv2d that gr alone reads and
// b one value per output channel (ops.ChannelBias), c, b and whether gr
// ends in relu; else nil.
func (f *fuser) convBiasOf(gr *group) (c, b *ops.Node, relu bool) {
	add := gr.root
	switch {
	case len(gr.members) == 2 && gr.root.Op == ops.Relu && gr.members[0] == gr.root.In[0]:
		add, relu = gr.members[0], true
	case len(gr.members) != 1:
		return nil, nil, false
	}
	if add.Op != ops.Add || len(add.In) != 2 || len(gr.dup) > 0 {
		return nil, nil, false
	}
	for i, x := range add.In {
		bias := add.In[1-i]
		if x.Op == ops.Conv2D && x.Type.DType == ops.F32 && x.Type.Equal(add.Type) && !f.external[x.ID] &&
			f.sole[x.ID] == gr && len(f.readers[x.ID]) == 1 && bias != x && ops.ChannelBias(bias.Type.Shape, x.Type.Shape) {
			return x, bias, relu
		}
	}
	return nil, nil, false
}

// epilogueOf returns the operand of gr that is a matmul of the root's
// shape and type read by gr alone, or nil. A group that computes a param's
// new value from the param (plain SGD's p - lr·g, g a weight gradient's
// product) gets none: as a fused_elementwise it can write the new value
// straight into the param (the runtime's in-place updates), where as an
// epilogue it would overwrite the product, so the new value would need a
// buffer and a copy into the param at the end of every step (an MLP's
// 784×512 weight: 1.6 MB copied on one core, about 3% of its SGD step on
// two cores).
func (f *fuser) epilogueOf(gr *group) *ops.Node {
	if p := f.writesTo[gr.root.ID]; p != nil && p.Type.Equal(gr.root.Type) && readsNode(gr, p) {
		return nil
	}
	for _, mem := range gr.members {
		for _, x := range mem.In {
			if x.Op != ops.Matmul || f.external[x.ID] || !x.Type.Equal(gr.root.Type) {
				continue
			}
			if f.sole[x.ID] == gr {
				return x
			}
		}
	}
	return nil
}

// readsNode says whether a member of gr reads x.
func readsNode(gr *group, x *ops.Node) bool {
	for _, mem := range gr.members {
		for _, in := range mem.In {
			if in == x {
				return true
			}
		}
	}
	return false
}

// dimsFromOperands reports whether every symbolic dimension of s is the
// dimension of some operand at the same (right-aligned) axis, so that the
// kernel can find its value.
func dimsFromOperands(s ops.Shape, ext []*ops.Node) bool {
	for i, d := range s {
		if _, ok := d.IsConst(); ok {
			continue
		}
		found := false
		for _, x := range ext {
			xs := x.Type.Shape
			if j := i - (len(s) - len(xs)); j >= 0 && xs[j] == d {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func mapAll(xs []*ops.Node, m []*ops.Node) []*ops.Node {
	out := make([]*ops.Node, len(xs))
	for i, x := range xs {
		out[i] = m[x.ID]
	}
	return out
}

// duplicable reports whether x, read by several nodes, can be recomputed by
// each: it is cheap, every reader is a fusible op, and none of its operands
// would have been computed in its own group (so recomputing x reads the
// same stored values that computing it once would).
func (f *fuser) duplicable(x *ops.Node) bool {
	if c := f.cheapDup[x.ID]; c != 0 {
		return c == 1
	}
	ok := f.recomputable(x)
	f.cheapDup[x.ID] = 2
	if ok {
		f.cheapDup[x.ID] = 1
	}
	return ok
}

// recomputable is duplicable's test.
func (f *fuser) recomputable(x *ops.Node) bool {
	if !cheap(x.Op) || len(f.readers[x.ID]) < 2 {
		return false
	}
	for _, r := range f.readers[x.ID] {
		if !fusible(r.Op) {
			return false
		}
	}
	for _, o := range x.In {
		if fusible(o.Op) && !f.external[o.ID] && len(f.readers[o.ID]) == 1 {
			return false
		}
	}
	return true
}

// inlined reports whether every reader of n recomputes it, so that n itself
// is never stored.
func (f *fuser) inlined(n *ops.Node) bool {
	rs := f.readers[n.ID]
	if len(rs) == 0 || f.external[n.ID] {
		return false
	}
	for _, r := range rs {
		gr := f.in[r.ID]
		if gr == nil || !gr.dup[n] {
			return false
		}
	}
	return true
}

// program writes gr as a fused program and returns its external operands
// (nodes of the old graph) in the order of x0, x1, ...; first, when not nil,
// is x0.
func program(gr *group, first *ops.Node) (string, []*ops.Node) {
	tmp := map[*ops.Node]int{}
	opnd := map[*ops.Node]int{}
	var ext []*ops.Node
	if first != nil {
		opnd[first] = 0
		ext = append(ext, first)
	}
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
