package runtime

import (
	"fmt"
	"slices"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime/tensor"
)

// assignBuffers places every scheduled value in a buffer. Walking the
// schedule, a value takes a free buffer of its element type (the smallest one
// large enough, else the largest free one, grown, else a new one); once the
// step that reads a value last has run, its buffer is free again. A step's
// result shares a buffer with one of its operands only in two cases: a
// reshape whose operand dies at it takes over the operand's buffer instead
// of copying it (an alias step), and a kernel declared safe in place for an
// operand (ops.Op.InPlace) writes its result over that operand when the
// operand dies at it and has the result's element type and size (an
// in-place step), unless a smaller free buffer would hold the result. Otherwise the operands are freed only after the result is
// placed. Outputs and update values stay live to the end of the run. Buffers
// are then laid out one after another in one arena per element type, and
// p.values gets a view of each value.
func (p *Plan) assignBuffers(sched []*ops.Node) error {
	nn := len(p.values)
	at := make([]int, nn) // step index of scheduled nodes; -1 for others
	for i := range at {
		at[i] = -1
	}
	last := make([]int, nn) // step index of the last reader
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

	p.bufOf = make([]int, nn)
	p.alias = make([]bool, nn)
	p.inPlace = make([]int, nn)
	for i := range p.inPlace {
		p.inPlace[i] = -1
	}
	freed := make([]bool, nn)
	free := map[tensor.DType][]int{} // free buffer indices per element type
	release := func(id int, dt tensor.DType) {
		if !freed[id] {
			freed[id] = true
			free[dt] = append(free[dt], p.bufOf[id])
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
		if x := n.In; n.Op.Name == "reshape" && at[x[0].ID] >= 0 && last[x[0].ID] == i {
			// The operand dies here: the result takes over its buffer as
			// it is (a reshape keeps the row-major order), with no copy.
			p.bufOf[n.ID] = p.bufOf[x[0].ID]
			freed[x[0].ID] = true // the buffer now belongs to n
			p.alias[n.ID] = true
			if last[n.ID] == i {
				release(n.ID, dt)
			}
			continue
		}
		if k := p.inPlaceOperand(n, i, at, last, size); k >= 0 && p.inPlaceFits(free, dt, size, p.bufOf[n.In[k].ID]) {
			// The kernel writes over operand k, which dies here: the
			// result takes over its buffer.
			x := n.In[k]
			p.bufOf[n.ID] = p.bufOf[x.ID]
			freed[x.ID] = true
			p.inPlace[n.ID] = k
		} else {
			p.bufOf[n.ID] = p.takeBuffer(free, dt, size)
		}
		for _, x := range n.In {
			if at[x.ID] >= 0 && last[x.ID] == i {
				release(x.ID, x.Type.DType)
			}
		}
		if last[n.ID] == i {
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
		p.values[n.ID] = view(arenas[b.DType], b.Offset, p.shapes[n.ID])
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
	p.allocated = true
	return nil
}

// takeBuffer returns a free buffer of type dt for size elements, or a new one.
func (p *Plan) takeBuffer(free map[tensor.DType][]int, dt tensor.DType, size int) int {
	list := free[dt]
	best, largest := -1, -1
	for j, b := range list {
		c := p.Buffers[b].Cap
		if c >= size && (best < 0 || c < p.Buffers[list[best]].Cap) {
			best = j
		}
		if largest < 0 || c > p.Buffers[list[largest]].Cap {
			largest = j
		}
	}
	pick := best
	if pick < 0 {
		pick = largest
	}
	if pick < 0 {
		p.Buffers = append(p.Buffers, Buffer{DType: dt, Cap: size})
		return len(p.Buffers) - 1
	}
	b := list[pick]
	free[dt] = append(list[:pick], list[pick+1:]...)
	if p.Buffers[b].Cap < size {
		p.Buffers[b].Cap = size // buffers are laid out after planning, so they can grow
	}
	return b
}

// view is a tensor of the given shape over arena's elements from off.
func view(arena *tensor.Tensor, off int, shape []int) *tensor.Tensor {
	n := tensor.NumElems(shape)
	t := &tensor.Tensor{DType: arena.DType, Shape: shape}
	switch arena.DType {
	case tensor.F32:
		t.F32 = arena.F32[off : off+n : off+n]
	case tensor.F64:
		t.F64 = arena.F64[off : off+n : off+n]
	case tensor.I32:
		t.I32 = arena.I32[off : off+n : off+n]
	case tensor.I64:
		t.I64 = arena.I64[off : off+n : off+n]
	case tensor.Bool:
		t.Bool = arena.Bool[off : off+n : off+n]
	}
	return t
}

// inPlaceOperand returns the operand of n (the step at index i) whose buffer
// n's result may take over, or -1: an operand the op declares safe in place,
// computed by an earlier step (not a leaf, whose tensor belongs to the
// caller or the store), read last by n (so neither an output nor an update
// value, which live to the end), still owning its buffer, and of n's
// element type and element count.
func (p *Plan) inPlaceOperand(n *ops.Node, i int, at, last []int, size int) int {
	allowed := n.Op.InPlace
	if len(allowed) == 0 {
		return -1
	}
	for k, x := range n.In {
		if !slices.Contains(allowed, k) && !slices.Contains(allowed, -1) {
			continue
		}
		if at[x.ID] < 0 || last[x.ID] != i || x.Type.DType != n.Type.DType ||
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
func (p *Plan) inPlaceFits(free map[tensor.DType][]int, dt tensor.DType, size, b int) bool {
	best := -1
	for _, f := range free[dt] {
		if c := p.Buffers[f].Cap; c >= size && (best < 0 || c < best) {
			best = c
		}
	}
	return best < 0 || p.Buffers[b].Cap <= best
}
