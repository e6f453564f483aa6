package runtime

import (
	"fmt"
	"slices"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// assignBuffers places every scheduled value in a buffer. Walking the
// schedule, a value takes a free buffer of its element type (the smallest one
// large enough, else the largest free one, grown, else a new one; among
// buffers of equal capacity, the one freed first); once the step that reads
// a value last has run, its buffer is free again. A step's result shares a
// buffer with one of its operands only in two cases. A view (viewGroups: a
// reshape, or a slice that selects one run of consecutive elements, of a
// computed value) is its operand's memory seen with another shape, at an
// offset, with no copy (an alias step); the buffer then lives until the
// last reader of the operand and of all its views has run. And a kernel
// declared safe in place for an operand (ops.Op.InPlace) writes its result
// over that operand when nothing else in the operand's buffer is read
// afterwards and the operand has the result's element type and size (an
// in-place step), unless a smaller free buffer would hold the result.
// Otherwise the operands are freed only after the result is placed. Outputs
// and update values stay live to the end of the run. Buffers are then laid
// out one after another in one arena per element type, and p.values gets a
// view of each value.
func (p *Plan) assignBuffers(sched []*ops.Node) error {
	nn := len(p.values)
	at, last := p.lifetimes(sched)
	vg := p.viewGroups(sched, at, last)

	p.bufOf = make([]int, nn)
	p.offset = make([]int, nn)
	p.alias = make([]bool, nn)
	p.inPlace = make([]int, nn)
	for i := range p.inPlace {
		p.inPlace[i] = -1
	}
	freed := make([]bool, nn) // by group root: the buffer is free or taken over
	free := newFreeBuffers(len(sched))
	ahead := newSizeAhead(sched, p.shapes)
	release := func(id int, dt tensor.DType) {
		if r := vg.root[id]; !freed[r] {
			freed[r] = true
			b := p.bufOf[r]
			free.put(dt, p.Buffers[b].Cap, b)
		}
	}
	for i, n := range sched {
		dt := n.Type.DType
		if dt.Size() == 0 {
			return fmt.Errorf("%s%s: no storage for element type %v", posPrefix(n), n.Op.Name, dt)
		}
		elems, bytes, err := ShapeBytes(dt, p.shapes[n.ID])
		if err != nil {
			return fmt.Errorf("%s%s: %v", posPrefix(n), n.Op.Name, err)
		}
		size := int(elems)
		p.naive = addBytes(p.naive, bytes)
		if bytes > p.largestBytes {
			p.largest, p.largestBytes = n, bytes
		}
		if r := vg.root[n.ID]; r != n.ID {
			// A view: the root's buffer, at the root's place plus the
			// view's offset in it.
			p.bufOf[n.ID] = p.bufOf[r]
			p.offset[n.ID] = p.offset[r] + vg.off[n.ID]
			p.alias[n.ID] = true
		} else if k := p.inPlaceOperand(n, i, at, vg.sole, size); k >= 0 && p.inPlaceFits(free, dt, size, p.bufOf[n.In[k].ID]) {
			// The kernel writes over operand k, whose buffer holds nothing
			// read later: the result takes the buffer over.
			x := n.In[k]
			p.bufOf[n.ID] = p.bufOf[x.ID]
			p.offset[n.ID] = p.offset[x.ID]
			freed[vg.root[x.ID]] = true
			p.inPlace[n.ID] = k
		} else {
			p.bufOf[n.ID] = p.takeBuffer(free, dt, size, ahead.max(dt, i+1, vg.last[n.ID]))
		}
		for _, x := range n.In {
			if at[x.ID] >= 0 && vg.last[vg.root[x.ID]] == i {
				release(x.ID, x.Type.DType)
			}
		}
		if vg.last[vg.root[n.ID]] == i {
			release(n.ID, dt) // read by nobody
		}
	}

	// Layout: buffers of one element type back to back. The arenas are
	// allocated by allocate, when the plan first runs.
	total := map[tensor.DType]int64{}
	for i := range p.Buffers {
		b := &p.Buffers[i]
		b.Offset = int(total[b.DType])
		total[b.DType] += int64(b.Cap)
		if total[b.DType] > MaxBytes/int64(b.DType.Size()) {
			return fmt.Errorf("the values of the plan need more than %s of %v elements, more than this machine can address",
				FormatBytes(MaxBytes), b.DType)
		}
		p.peak = addBytes(p.peak, int64(b.Cap)*int64(b.DType.Size()))
	}
	p.sched = sched
	return nil
}

// lifetimes returns, by node ID, the step index of each scheduled node (-1
// for the others) and the index of the step that reads it last (the end of
// the schedule for outputs and update values, which live through the run).
func (p *Plan) lifetimes(sched []*ops.Node) (at, last []int) {
	nn := len(p.values)
	at = make([]int, nn)
	for i := range at {
		at[i] = -1
	}
	last = make([]int, nn)
	for i, n := range sched {
		at[n.ID], last[n.ID] = i, i
	}
	for i, n := range sched {
		for _, x := range n.In {
			if at[x.ID] >= 0 {
				last[x.ID] = i
			}
		}
	}
	end := len(sched)
	for _, o := range p.Graph.Outputs {
		last[o.Node.ID] = end
	}
	for _, u := range p.updates {
		last[u.value] = end
	}
	return at, last
}

// viewGroups are the values that share a buffer as views: a reshape of a
// computed value, or a slice of one that selects a single run of its
// consecutive elements (ops.SliceOffset), is a view of it, and a view of a
// view is one of the first value, the group's root.
type viewGroups struct {
	root []int // by node ID: the group's root (the node itself when not a view)
	off  []int // by node ID: the view's first element in the root's value
	// last is, by root, the last step reading any value of the group;
	// lastN counts the values of the group that step reads (or that
	// live to the end, when it is the end).
	last, lastN []int
}

func (p *Plan) viewGroups(sched []*ops.Node, at, last []int) *viewGroups {
	nn := len(p.values)
	g := &viewGroups{root: make([]int, nn), off: make([]int, nn), last: make([]int, nn), lastN: make([]int, nn)}
	for i := range g.root {
		g.root[i] = i
	}
	for _, n := range sched {
		if len(n.In) != 1 || at[n.In[0].ID] < 0 || n.In[0].Type.DType != n.Type.DType {
			continue
		}
		x := n.In[0]
		switch {
		case n.Op == ops.Reshape:
			g.root[n.ID], g.off[n.ID] = g.root[x.ID], g.off[x.ID]
		case n.Op == ops.Slice:
			if o, ok := ops.SliceOffset(n, p.shapes[x.ID], p.shapes[n.ID]); ok {
				g.root[n.ID], g.off[n.ID] = g.root[x.ID], g.off[x.ID]+o
			}
		}
	}
	for _, n := range sched {
		r := g.root[n.ID]
		switch l := last[n.ID]; {
		case l > g.last[r] || g.lastN[r] == 0:
			g.last[r], g.lastN[r] = l, 1
		case l == g.last[r]:
			g.lastN[r]++
		}
	}
	return g
}

// sole says whether x is the one value of its group read at step i and no
// value of the group is read after: writing over x there loses nothing.
func (g *viewGroups) sole(x, i int) bool {
	r := g.root[x]
	return g.last[r] == i && g.lastN[r] == 1
}

// allocate prepares the plan's kernels and makes its arenas, once, and
// points every computed value and every step at its view. A plan whose
// arenas and kernel scratch together (PeakBytes + ScratchBytes) exceed the
// memory limit (SetMemoryLimit, by default the memory available) is
// refused with a *MemoryError before anything is allocated. This is the
// one place where a plan's memory is allocated: Session.Run calls it
// before the first run.
func (p *Plan) allocate() error {
	if p.allocated {
		return nil
	}
	if err := checkMemory("the plan", addBytes(p.peak, p.scratch)); err != nil {
		err.Values, err.Scratch = p.peak, p.scratch
		if n := p.largest; n != nil {
			err.Largest, err.LargestBytes = n, p.largestBytes
			err.LargestType = shapeString(n.Type.DType, p.shapes[n.ID])
		}
		if n := p.scratchNode; n != nil {
			err.ScratchNode, err.ScratchMax = n, p.scratchMax
		}
		return err
	}
	if err := p.prepareKernels(); err != nil {
		return err
	}
	p.work.Reserve(int(p.work32), int(p.work64)) // within the limit just checked
	total := map[tensor.DType]int{}
	for _, b := range p.Buffers {
		total[b.DType] = max(total[b.DType], b.Offset+b.Cap)
	}
	arenas := map[tensor.DType]*tensor.Tensor{}
	for dt, n := range total {
		arenas[dt] = tensor.New(dt, n)
	}
	for _, n := range p.sched {
		b := p.Buffers[p.bufOf[n.ID]]
		p.values[n.ID] = tensor.View(arenas[b.DType], b.Offset+p.offset[n.ID], p.shapes[n.ID])
	}
	for i := range p.Steps {
		st := &p.Steps[i]
		st.out = p.values[st.Node.ID]
		if st.Alias {
			continue
		}
		for k, x := range st.Node.In {
			if !x.Op.Leaf {
				st.args[k] = p.values[x.ID]
			}
		}
	}
	for i := range p.writes {
		p.writes[i].own = p.Steps[p.writes[i].step].out
	}
	p.allocated = true
	return nil
}

// takeBuffer returns a free buffer of type dt for size elements, or a new
// one: the free buffer of the smallest capacity holding size elements,
// else the one of the largest capacity, grown; among buffers of equal
// capacity, the one freed first. But when that buffer is more than twice
// size (and more than tooBigSlack elements over it) and a value of more
// than twice size is made while this one lives (later, the largest; see
// sizeAhead), the value gets a new buffer, leaving the large one to the
// large value: in a deep MLP's backward pass a bias gradient of 64
// elements took each freed [256, 64] activation, and every layer's
// gradient then added a buffer.
func (p *Plan) takeBuffer(free *freeBuffers, dt tensor.DType, size, later int) int {
	ok := true
	if c, fits := free.bestFit(dt, size); fits && tooBig(c, size, later) {
		ok = false
	}
	var b int
	if ok {
		b, ok = free.take(dt, size)
	}
	if !ok {
		p.Buffers = append(p.Buffers, Buffer{DType: dt, Cap: size})
		return len(p.Buffers) - 1
	}
	if p.Buffers[b].Cap < size {
		p.Buffers[b].Cap = size // buffers are laid out after planning, so they can grow
	}
	return b
}

// tooBigSlack is the elements by which a free buffer may exceed twice the
// size of the value that takes it.
const tooBigSlack = 1024

// tooBig says whether a value of size elements leaves a free buffer of
// capacity c to a value of later elements made while it lives.
func tooBig(c, size, later int) bool {
	return c > 2*size && c-size > tooBigSlack && later > 2*size
}

// sizeAhead answers the largest value of a type made in a range of steps
// of a schedule: a segment tree of the values' element counts per type.
type sizeAhead struct {
	n     int
	trees map[tensor.DType][]int
}

func newSizeAhead(sched []*ops.Node, shapes [][]int) *sizeAhead {
	a := &sizeAhead{n: len(sched), trees: map[tensor.DType][]int{}}
	for i, n := range sched {
		t := a.trees[n.Type.DType]
		if t == nil {
			t = make([]int, 2*a.n)
			a.trees[n.Type.DType] = t
		}
		t[a.n+i] = tensor.NumElems(shapes[n.ID])
	}
	for _, t := range a.trees {
		for i := a.n - 1; i > 0; i-- {
			t[i] = max(t[2*i], t[2*i+1])
		}
	}
	return a
}

// max is the largest value of type dt made at steps lo through hi.
func (a *sizeAhead) max(dt tensor.DType, lo, hi int) int {
	t := a.trees[dt]
	best := 0
	if t == nil {
		return 0
	}
	hi = min(hi, a.n-1)
	for l, r := lo+a.n, hi+a.n+1; l < r; l, r = l/2, r/2 {
		if l&1 == 1 {
			best = max(best, t[l])
			l++
		}
		if r&1 == 1 {
			r--
			best = max(best, t[r])
		}
	}
	return best
}

// inPlaceOperand returns the operand of n (the step at index i) whose buffer
// n's result may take over, or -1: an operand the op declares safe in place,
// computed by an earlier step (not a leaf, whose tensor belongs to the
// caller or the store), the one value of its buffer read at step i with
// none read later (sole: so neither an output nor an update value, which
// live to the end, nor a view of the operand read with it), and of n's
// element type and element count.
func (p *Plan) inPlaceOperand(n *ops.Node, i int, at []int, sole func(x, i int) bool, size int) int {
	allowed := n.Op.InPlace
	if len(allowed) == 0 {
		return -1
	}
	for k, x := range n.In {
		if !slices.Contains(allowed, k) && !slices.Contains(allowed, -1) {
			continue
		}
		if at[x.ID] < 0 || !sole(x.ID, i) || x.Type.DType != n.Type.DType ||
			tensor.NumElems(p.shapes[x.ID]) != size {
			continue
		}
		return k
	}
	return -1
}

// inPlaceFits reports whether writing over the buffer b of a dying operand
// leaves memory no worse than placing the result elsewhere: when no free
// buffer holds size elements (another would grow or be added), or when b is
// no larger than the best fitting one (the larger stays free for later
// values either way).
func (p *Plan) inPlaceFits(free *freeBuffers, dt tensor.DType, size, b int) bool {
	c, ok := free.bestFit(dt, size)
	return !ok || p.Buffers[b].Cap <= c
}

// freeBuffers are the free buffers of a plan being assigned, per element
// type, each type's kept in a tree ordered by capacity and, among equal
// capacities, by the order they were freed, so that the buffer a value
// takes is found in time logarithmic in the number of free buffers (a scan
// of the free list at every step made planning quadratic in the width of
// the graph).
//
// The trees are treaps: binary search trees in key order that are heaps in
// random priorities, which keeps their expected depth logarithmic (the
// priorities come from a fixed seed and shape only the trees, never which
// buffer is chosen). A buffer is free at most once at a time, so the tree
// node of a free buffer is nodes[buffer index]; -1 is no node.
type freeBuffers struct {
	nodes []capNode
	roots map[tensor.DType]int
	seq   int    // the number of buffers freed so far: the tie-break
	rng   uint64 // xorshift state for the priorities
}

type capNode struct {
	cap, seq    int
	prio        uint64
	left, right int
}

// newFreeBuffers returns an empty set for a plan of up to n buffers (more
// are accepted).
func newFreeBuffers(n int) *freeBuffers {
	return &freeBuffers{nodes: make([]capNode, n), roots: map[tensor.DType]int{}, rng: 0x9e3779b97f4a7c15}
}

// root returns the root of the tree of type dt.
func (f *freeBuffers) root(dt tensor.DType) int {
	if k, ok := f.roots[dt]; ok {
		return k
	}
	return -1
}

// put adds buffer b, of type dt and capacity c, to the free buffers.
func (f *freeBuffers) put(dt tensor.DType, c, b int) {
	if b >= len(f.nodes) {
		f.nodes = append(f.nodes, make([]capNode, b+1-len(f.nodes))...)
	}
	f.rng ^= f.rng << 13
	f.rng ^= f.rng >> 7
	f.rng ^= f.rng << 17
	f.nodes[b] = capNode{cap: c, seq: f.seq, prio: f.rng, left: -1, right: -1}
	l, r := f.split(f.root(dt), c, f.seq)
	f.roots[dt] = f.merge(f.merge(l, b), r)
	f.seq++
}

// bestFit returns the smallest capacity of a free buffer of type dt that
// holds size elements, if there is one.
func (f *freeBuffers) bestFit(dt tensor.DType, size int) (int, bool) {
	if b := f.ceil(f.root(dt), size); b >= 0 {
		return f.nodes[b].cap, true
	}
	return 0, false
}

// take removes and returns the free buffer of type dt that a value of size
// elements takes: the first freed of the smallest capacity holding size
// elements, else the first freed of the largest capacity; false when no
// buffer of type dt is free.
func (f *freeBuffers) take(dt tensor.DType, size int) (int, bool) {
	root := f.root(dt)
	if root < 0 {
		return 0, false
	}
	b := f.ceil(root, size)
	if b < 0 {
		b = f.ceil(root, f.maxCap(root))
	}
	n := f.nodes[b]
	l, r := f.split(root, n.cap, n.seq)
	_, r = f.split(r, n.cap, n.seq+1) // b alone, dropped
	f.roots[dt] = f.merge(l, r)
	return b, true
}

// ceil returns the node of the least key of capacity at least c in the tree
// root: the first freed of the smallest such capacity; -1 when there is
// none.
func (f *freeBuffers) ceil(root, c int) int {
	best := -1
	for k := root; k >= 0; {
		if f.nodes[k].cap < c {
			k = f.nodes[k].right
		} else {
			best, k = k, f.nodes[k].left
		}
	}
	return best
}

// maxCap returns the largest capacity in the tree root, which is not empty.
func (f *freeBuffers) maxCap(root int) int {
	k := root
	for f.nodes[k].right >= 0 {
		k = f.nodes[k].right
	}
	return f.nodes[k].cap
}

// split divides the tree k into the nodes of keys less than (c, seq) and
// the others.
func (f *freeBuffers) split(k, c, seq int) (less, rest int) {
	if k < 0 {
		return -1, -1
	}
	if n := &f.nodes[k]; n.cap < c || n.cap == c && n.seq < seq {
		l, r := f.split(n.right, c, seq)
		f.nodes[k].right = l
		return k, r
	}
	l, r := f.split(f.nodes[k].left, c, seq)
	f.nodes[k].left = r
	return l, k
}

// merge joins the trees l and r, every key of l less than every key of r,
// into one.
func (f *freeBuffers) merge(l, r int) int {
	if l < 0 {
		return r
	}
	if r < 0 {
		return l
	}
	if f.nodes[l].prio > f.nodes[r].prio {
		f.nodes[l].right = f.merge(f.nodes[l].right, r)
		return l
	}
	f.nodes[r].left = f.merge(l, f.nodes[r].left)
	return r
}
