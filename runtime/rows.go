package runtime

import (
	"runtime"
	"sort"
	"time"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Row regions. An unrolled recurrence is a long run of small steps (a
// product and a cell per time step, forward and backward), each of which
// computes row r of its result (one sequence of the batch) from row r of
// its operands alone. Split across the cores one at a time, every step
// hands work off between them and moves its operands from one core's cache
// to the other's: the LSTM's recurrent product split its columns, the
// cell after it its rows. A row region runs such a run of steps as one
// parallel task per range of rows instead: each core takes its rows
// through every step of the region, with one hand-off for the whole region
// and its operands in its own cache.
//
// The plan finds the regions when it is built (findRegions): runs of
// consecutive steps that prepare a RowSplit (ops.Op.Rows) with the same
// rows, between views, then checks each with the arena's layout
// (rowConflict): no element of the arena that a step of the region writes
// may be touched in the region for another row, nor read whole, so that a
// range of rows reads only what the same range wrote, or what was computed
// before the region. A conflict ends the region before the later step.
//
// A row's result does not depend on which range computes it (RowSplit), so
// results are bitwise the same for any number of parts. A run that checks
// the numerics of a step of a region runs that region's steps one at a
// time, each over all its rows, through the same RowFuncs; an UpdateHook
// is called for the updates a region computes once the region is done.

// regionMinSteps is the least number of kernel steps a region has: it pays
// where many small steps would each hand off between the cores (two a time
// step in a recurrence), not for a few large steps, which split well on
// their own.
const regionMinSteps = 8

// regionMinRows is the least rows of one part of a region.
const regionMinRows = 8

// region is a row region of a plan: steps [first, end).
type region struct {
	first, end int
	rows       int
	splits     []*ops.RowSplit // by step - first; nil for a view
	work32     int             // workspace elements a part needs
	work64     int
	parts      []regionPart // made on first use, one per part
	n          int          // parts of this run
	steps      []Step       // the plan's steps [first, end)
	tasks      *kernels.Tasks
	timed      bool
}

// regionPart is the state of one part: a RowFunc per step and the
// workspace its products borrow.
type regionPart struct {
	fns   []ops.RowFunc
	ws    kernels.Workspace
	nanos []int64 // time in each step, when the run is timed
}

// findRegions finds the plan's row regions among the steps before the
// first that may write a param or state in place (commit); it runs while
// the buffers' placement (bufOf, offset) is known.
func (p *Plan) findRegions() {
	p.regionOf = nil
	splits := make([]*ops.RowSplit, len(p.Steps))
	for i := range p.Steps[:p.commit] { // before any step writes the store
		st := &p.Steps[i]
		if st.Alias || st.Node.Op.Rows == nil {
			continue
		}
		n := st.Node
		in := make([][]int, len(n.In))
		for k, x := range n.In {
			in[k] = p.shapes[x.ID]
		}
		if s := n.Op.Rows(n, in, p.shapes[n.ID]); s != nil && s.Rows > 0 && len(s.In) == len(n.In) {
			splits[i] = s
		}
	}
	for i := 0; i < len(p.Steps); {
		if splits[i] == nil {
			i++
			continue
		}
		// a run of splits of the same rows, views between them, within
		// the budget of accesses that rowConflict looks at
		end, kernelSteps, cost := i+1, 1, p.rowCost(splits[i], i)
		for j := i + 1; j < p.commit; j++ {
			if s := splits[j]; s != nil && s.Rows == splits[i].Rows {
				if cost += p.rowCost(s, j); cost > maxRowAccesses {
					break
				}
				end, kernelSteps = j+1, kernelSteps+1
			} else if !p.Steps[j].Alias {
				break
			}
		}
		if kernelSteps < regionMinSteps {
			i = end
			continue
		}
		if c := p.rowConflict(splits, i, end); c >= 0 {
			end = c
		}
		if end <= i { // step i conflicts with itself
			i++
			continue
		}
		p.addRegion(splits, i, end)
		i = end
	}
}

// addRegion records steps [first, end) as a region when they hold enough
// kernel steps.
func (p *Plan) addRegion(splits []*ops.RowSplit, first, end int) {
	rg := &region{first: first, end: end, rows: splits[first].Rows, splits: splits[first:end]}
	kernelSteps := 0
	var partBytes int64 // what a part's RowFuncs keep
	for k, s := range rg.splits {
		if s == nil {
			continue
		}
		kernelSteps++
		partBytes = addBytes(partBytes, s.PartBytes)
		if p.Steps[first+k].Node.Type.DType == tensor.F64 {
			rg.work64 = max(rg.work64, s.Workspace)
		} else {
			rg.work32 = max(rg.work32, s.Workspace)
		}
	}
	if kernelSteps < regionMinSteps {
		return
	}
	if p.regionOf == nil {
		p.regionOf = make([]int32, len(p.Steps))
		for i := range p.regionOf {
			p.regionOf[i] = -1
		}
	}
	for i := first; i < end; i++ {
		p.regionOf[i] = int32(len(p.regions))
	}
	p.regions = append(p.regions, rg)
	// Each part's workspace and what its RowFuncs keep count with the
	// plan's scratch, for as many parts as this machine may run.
	parts := int64(maxParts(rg.rows, max(runtime.GOMAXPROCS(0), runtime.NumCPU())))
	ws := addBytes(kernels.MulBytes(int64(rg.work32), 4), kernels.MulBytes(int64(rg.work64), 8))
	p.scratch = addBytes(p.scratch, kernels.MulBytes(parts, addBytes(ws, partBytes)))
}

// maxRowAccesses bounds the accesses rowConflict looks at for one region
// (rowCost; about 32 bytes each, while the plan is built): a region ends
// before the step that would pass it.
const maxRowAccesses = 1 << 20

// rowCost is the accesses of step i, split as s, that rowConflict looks
// at: one per row and run of its result and of each operand computed by a
// step, one for an operand read whole.
func (p *Plan) rowCost(s *ops.RowSplit, i int) int {
	cost := len(s.Out) * s.Rows
	for k, x := range p.Steps[i].Node.In {
		if !x.Op.Leaf {
			cost += max(1, len(s.In[k])*s.Rows)
		}
	}
	return cost
}

// maxParts is the parts of a region of rows rows on par goroutines.
func maxParts(rows, par int) int { return max(1, min(par, rows/regionMinRows)) }

// rowAccess is a range of arena elements [lo, hi) that a step of a region
// reads or writes for one row (-1: for every row).
type rowAccess struct {
	lo, hi int
	row    int32
	step   int32
	write  bool
	f64    bool
}

// rowConflict returns the first step of [first, end) at which the steps
// from first on stop being safe to run by ranges of rows (an element
// written for one row and touched for another, or read whole), or -1.
func (p *Plan) rowConflict(splits []*ops.RowSplit, first, end int) int {
	var acc []rowAccess
	bad := -1
	for i := first; i < end; i++ {
		s := splits[i]
		if s == nil {
			continue
		}
		n := p.Steps[i].Node
		if !p.addAccesses(&acc, i, n, s.Rows, s.Out, true) {
			return i
		}
		for k, x := range n.In {
			if x.Op.Leaf {
				continue // never written by a step
			}
			if !p.addAccesses(&acc, i, x, s.Rows, s.In[k], false) {
				return i
			}
		}
	}
	sort.Slice(acc, func(a, b int) bool {
		if acc[a].f64 != acc[b].f64 {
			return !acc[a].f64
		}
		return acc[a].lo < acc[b].lo
	})
	var active []rowAccess
	for _, a := range acc {
		keep := active[:0]
		for _, b := range active {
			if b.f64 == a.f64 && b.hi > a.lo {
				keep = append(keep, b)
			}
		}
		active = keep
		for _, b := range active {
			if (a.write || b.write) && (a.row != b.row || a.row < 0) {
				if s := int(max(a.step, b.step)); bad < 0 || s < bad {
					bad = s
				}
			}
		}
		active = append(active, a)
	}
	return bad
}

// addAccesses appends the accesses of step i to value x laid out by m (nil:
// the whole value, for every row), or reports false when m leaves the
// value's elements.
func (p *Plan) addAccesses(acc *[]rowAccess, i int, x *ops.Node, rows int, m ops.RowMap, write bool) bool {
	b := p.Buffers[p.bufOf[x.ID]]
	base, size, f64 := b.Offset+p.offset[x.ID], tensor.NumElems(p.shapes[x.ID]), b.DType == tensor.F64
	if m == nil {
		*acc = append(*acc, rowAccess{base, base + size, -1, int32(i), write, f64})
		return true
	}
	for _, r := range m {
		if r.Off < 0 || r.Len < 0 || r.Stride < 0 || r.Off+(rows-1)*r.Stride+r.Len > size {
			return false
		}
		for row := range rows {
			lo := base + r.Off + row*r.Stride
			*acc = append(*acc, rowAccess{lo, lo + r.Len, int32(row), int32(i), write, f64})
		}
	}
	return true
}

// regionAt returns the region that step i starts, or nil.
func (p *Plan) regionAt(i int) *region {
	if regionsOff || p.regionOf == nil || p.regionOf[i] < 0 {
		return nil
	}
	if rg := p.regions[p.regionOf[i]]; rg.first == i {
		return rg
	}
	return nil
}

// stepRows returns the RowSplit and region of step i, or nil.
func (p *Plan) stepRows(i int) (*ops.RowSplit, *region) {
	if regionsOff || p.regionOf == nil || p.regionOf[i] < 0 {
		return nil, nil
	}
	rg := p.regions[p.regionOf[i]]
	return rg.splits[i-rg.first], rg
}

// prepareParts makes the state of n parts of rg, on first use.
func (p *Plan) prepareParts(rg *region, n int) {
	if rg.steps == nil {
		rg.steps = p.Steps[rg.first:rg.end]
		rg.tasks = kernels.NewTasks(rg.task)
	}
	for len(rg.parts) < n {
		part := regionPart{fns: make([]ops.RowFunc, len(rg.splits)), nanos: make([]int64, len(rg.splits))}
		for k, s := range rg.splits {
			if s != nil {
				part.fns[k] = s.Part()
			}
		}
		part.ws.Reserve(rg.work32, rg.work64)
		rg.parts = append(rg.parts, part)
	}
}

// runRegion runs rg's steps, each part's rows through all of them on one
// goroutine; timing, when not nil, receives the steps' times.
func (p *Plan) runRegion(rg *region, timing []int64) {
	n := maxParts(rg.rows, runtime.GOMAXPROCS(0))
	p.prepareParts(rg, n)
	for k, s := range rg.splits {
		if s != nil && s.Prepare != nil {
			s.Prepare(&p.ctx, rg.steps[k].args)
		}
	}
	rg.n, rg.timed = n, timing != nil
	if timing == nil {
		rg.tasks.Run(n)
		return
	}
	for t := range n {
		clear(rg.parts[t].nanos)
	}
	t0 := time.Since(profEpoch)
	rg.tasks.Run(n)
	wall := int64(time.Since(profEpoch) - t0)
	// The region's time, shared among its steps as the parts spent it.
	var sum int64
	for t := range n {
		for _, ns := range rg.parts[t].nanos {
			sum += ns
		}
	}
	for k := range rg.splits {
		var ns int64
		for t := range n {
			ns += rg.parts[t].nanos[k]
		}
		if sum > 0 {
			timing[rg.first+k] += int64(float64(wall) * float64(ns) / float64(sum))
		}
	}
}

// task runs part t of the region's current run.
func (rg *region) task(t int) {
	part := &rg.parts[t]
	lo, hi := t*rg.rows/rg.n, (t+1)*rg.rows/rg.n
	for k, fn := range part.fns {
		if fn == nil {
			continue
		}
		st := &rg.steps[k]
		if !rg.timed {
			fn(&part.ws, st.out, st.args, lo, hi)
			continue
		}
		t0 := time.Since(profEpoch)
		fn(&part.ws, st.out, st.args, lo, hi)
		part.nanos[k] += int64(time.Since(profEpoch) - t0)
	}
}

// runRowStep runs step i of region rg over all its rows on the caller (a
// run that looks at each step's value).
func (p *Plan) runRowStep(rg *region, s *ops.RowSplit, i int) {
	p.prepareParts(rg, 1)
	st := &p.Steps[i]
	if s.Prepare != nil {
		s.Prepare(&p.ctx, st.args)
	}
	rg.parts[0].fns[i-rg.first](&rg.parts[0].ws, st.out, st.args, 0, rg.rows)
}

// RowRegions returns the plan's row regions as ranges [first, end) of
// Steps, in order.
func (p *Plan) RowRegions() [][2]int {
	var out [][2]int
	for _, rg := range p.regions {
		out = append(out, [2]int{rg.first, rg.end})
	}
	return out
}

// regionsOff makes plans run their regions' steps one at a time, each with
// its own kernel (tests compare the two).
var regionsOff bool
