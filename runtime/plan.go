package runtime

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Plan is how one graph runs for one set of concrete shape-variable values:
// the schedule (Steps, in topological order, leaves excluded), every value's
// concrete shape, the prepared kernels, and the placement of every computed
// value in one arena per element type (Buffers).
//
// The schedule and the buffer assignment are plain data, so that an executor
// other than the sequential one (a worker pool) can run the same plan: a step
// may start once the steps computing its operands are done and no later
// reader of its buffer's previous occupant is still running.
type Plan struct {
	// Graph is the graph the plan runs.
	Graph *ops.Graph
	// Steps are the kernel calls in execution order.
	Steps []Step
	// Buffers are the regions of the arenas; Step.Buffer indexes them.
	Buffers []Buffer

	env     map[string]int64
	shapes  [][]int          // by node ID: concrete shapes of scheduled nodes and leaves
	values  []*tensor.Tensor // by node ID: arena views for scheduled nodes, bound tensors for leaves
	leaves  []*ops.Node      // leaves bound per run: the graph's inputs, then the params and states it uses
	nInputs int
	inShape [][]int // concrete shapes of the inputs, to recognize the plan
	lastUse uint64  // the session's tick at the plan's last use (SetPlanLimit)
	patches []patch // operands of steps that are leaves, rebound per run
	bufOf   []int   // by node ID: buffer index, while planning
	alias   []bool  // by node ID: the step's result is a view of its operand (viewGroups)
	offset  []int   // by node ID: the value's first element in its buffer
	inPlace []int   // by node ID: the operand whose buffer the step writes over; -1: none
	outputs []*tensor.Tensor
	updates []planUpdate
	writes  []paramWrite // updates whose step may write their param (update_inplace.go)
	peak    int64
	naive   int64
	sched   []*ops.Node // the scheduled nodes, in step order
	// largest is the scheduled node with the largest value, for messages.
	largest      *ops.Node
	largestBytes int64
	allocated    bool // the arenas exist (allocate)
	ctx          ops.Ctx
	// scratch bounds the memory the kernels allocate for themselves
	// (stepScratch); scratchNode is the step needing the most, scratchMax.
	scratch     int64
	scratchNode *ops.Node
	scratchMax  int64
	// commit is the index of the first step that writes a param or state
	// in place (len(Steps) when none does): once it has started, a run is
	// no longer cancelled.
	commit int
	// packs keeps the packed forms of the params that products multiply
	// by (ctx.Packs), shared by the products of one run (an unrolled
	// loop's recurrent weight is packed once per run, not once per step)
	// and invalidated before each run (unless the session's params are
	// fixed and unchanged since the last run: SetParamsFixed) and at
	// commit, after which params may change.
	packs kernels.PackCache
	// work lends the kernels the memory they need only while they run
	// (ctx.Work): work32 and work64 elements, the largest step's, reserved
	// when the arenas are allocated.
	work           kernels.Workspace
	work32, work64 int64
	// packStore and packGen are the store of the last run and its
	// generation after it; rebound says that bind found a stored tensor
	// replaced since.
	packStore *Store
	packGen   uint64
	rebound   bool
	// hook is the session's UpdateHook for the run (hooks.go); readyAt
	// lists, by step index (-1: before the first), the updates whose
	// value the step computes.
	hook    UpdateHook
	readyAt map[int][]int
	// regions are the plan's row regions (rows.go); regionOf gives, by
	// step, the index of the region holding it, or -1 (nil: none).
	regions  []*region
	regionOf []int32
}

// Step is one kernel call of a plan.
type Step struct {
	// Node is the node the step computes; its operands are Node.In.
	Node *ops.Node
	// Kernel is the node's kernel prepared for the plan's shapes; nil until
	// the plan first runs.
	Kernel ops.KernelFunc
	// Buffer is the index in Plan.Buffers of the region holding the result.
	Buffer int
	// Alias marks a step with nothing to run: its result is a view of its
	// operand's memory, in the operand's buffer at Offset, seen with
	// another shape (a reshape, or a slice selecting one run of
	// consecutive elements). Kernel is nil.
	Alias bool
	// Offset is where the result starts in its buffer, in elements: 0
	// except for views into a value and results written in place over one.
	Offset int
	// InPlace is the index of the operand whose buffer the kernel writes
	// its result over (the operand is read by no later step and the op
	// declares the kernel safe for it, ops.Op.InPlace), or -1.
	InPlace int

	out  *tensor.Tensor   // view of the buffer with the node's shape
	args []*tensor.Tensor // operands
}

// Buffer is a region of the arena of one element type. Values whose
// lifetimes do not overlap share a buffer.
type Buffer struct {
	DType  tensor.DType
	Offset int // in elements, from the start of the arena of DType
	Cap    int // in elements
}

type patch struct{ step, arg, node int }

type planUpdate struct {
	target, value int // node IDs
}

// PeakBytes is the size of the arenas: the memory the plan's computed values
// take with buffer reuse.
func (p *Plan) PeakBytes() int64 { return p.peak }

// ScratchBytes bounds the memory the plan's kernels allocate for
// themselves when the plan first runs (a matrix product's packed operands,
// a convolution's columns, a fused program's tiles): computed from the
// shapes, with the plan, and counted with PeakBytes against the memory
// limit.
func (p *Plan) ScratchBytes() int64 { return p.scratch }

// NaiveBytes is the sum of the sizes of every computed value: the memory the
// plan would take without buffer reuse.
func (p *Plan) NaiveBytes() int64 { return p.naive }

// Env returns the values of the shape variables the plan was built for.
func (p *Plan) Env() map[string]int64 {
	out := make(map[string]int64, len(p.env))
	for k, v := range p.env {
		out[k] = v
	}
	return out
}

// Shape returns the concrete shape of node n in this plan, or nil when the
// plan neither computes nor binds n.
func (p *Plan) Shape(n *ops.Node) []int {
	if n.ID < len(p.shapes) {
		return p.shapes[n.ID]
	}
	return nil
}

// NewPlan builds the plan of g for the shape-variable values env: it
// schedules the nodes that the outputs and updates need, evaluates their
// shapes and assigns their buffers. It allocates no buffer and prepares no
// kernel (kernels allocate scratch memory; they are prepared when the plan
// first runs): PeakBytes, NaiveBytes and ScratchBytes are computed from the
// sizes, with every product checked for overflow (a value larger than
// MaxBytes is an error naming its op and position), and the arenas and the
// kernels' scratch are allocated when the plan first runs, if together
// they are within the memory limit (SetMemoryLimit).
func NewPlan(g *ops.Graph, env map[string]int64) (*Plan, error) {
	p := &Plan{Graph: g, env: map[string]int64{}}
	p.ctx.Packs = &p.packs
	p.ctx.Work = &p.work
	for k, v := range env {
		p.env[k] = v
	}
	nn := len(g.Nodes)
	p.shapes = make([][]int, nn)
	p.values = make([]*tensor.Tensor, nn)

	// What the outputs and updates need.
	needed := g.Needed()
	seen := map[int]bool{}
	for _, u := range g.Updates {
		if u.Target.Op != ops.Param && u.Target.Op != ops.State {
			return nil, fmt.Errorf("update of %v: the target is a %s, not a param or state", u.Target, u.Target.Op.Name)
		}
		if seen[u.Target.ID] {
			return nil, fmt.Errorf("%s %s is updated twice", u.Target.Op.Name, u.Target.Name())
		}
		seen[u.Target.ID] = true
		p.updates = append(p.updates, planUpdate{u.Target.ID, u.Value.ID})
	}
	for _, u := range g.Updates {
		// Updates are copied one after another; one that reads another's
		// target directly would see the new value.
		if seen[u.Value.ID] && u.Value != u.Target {
			return nil, fmt.Errorf("update of %s reads %s, which is updated too", u.Target.Name(), u.Value.Name())
		}
	}

	// Leaves: every input (Run takes them all), then the params and states used.
	for _, n := range g.Nodes {
		if n.Op == ops.Input {
			p.leaves = append(p.leaves, n)
		}
	}
	p.nInputs = len(p.leaves)
	for _, n := range g.Nodes {
		if n.Op.Leaf && n.Op != ops.Input && needed[n.ID] {
			p.leaves = append(p.leaves, n)
		}
	}
	for _, n := range p.leaves {
		s, err := n.Type.Shape.Eval(env)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %v", n.Op.Name, n.Name(), err)
		}
		if err := CheckShape(n.Type.DType, s); err != nil {
			return nil, fmt.Errorf("%s %s: %v", n.Op.Name, n.Name(), err)
		}
		p.shapes[n.ID] = s
	}
	for _, n := range p.leaves[:p.nInputs] {
		p.inShape = append(p.inShape, p.shapes[n.ID])
	}

	// Schedule and shapes.
	var sched []*ops.Node
	for _, n := range g.Nodes {
		if !needed[n.ID] || n.Op.Leaf {
			continue
		}
		s, err := n.Type.Shape.Eval(env)
		if err != nil {
			return nil, fmt.Errorf("%s%s: %v", posPrefix(n), n.Op.Name, err)
		}
		p.shapes[n.ID] = s
		sched = append(sched, n)
	}

	if err := p.assignBuffers(sched); err != nil {
		return nil, err
	}
	p.writes = p.findParamWrites(sched)

	// Kernels and their operands.
	p.Steps = make([]Step, len(sched))
	for i, n := range sched {
		st := &p.Steps[i]
		st.Node = n
		st.Buffer = p.bufOf[n.ID]
		st.InPlace = p.inPlace[n.ID]
		st.Offset = p.offset[n.ID]
		if p.alias[n.ID] {
			st.Alias = true
			continue
		}
		if n.Op.Kernel == nil {
			return nil, fmt.Errorf("%sop %s has no kernel", posPrefix(n), n.Op.Name)
		}
		st.args = make([]*tensor.Tensor, len(n.In))
		in := make([][]int, len(n.In))
		for k, x := range n.In {
			if x.Op.Leaf {
				p.patches = append(p.patches, patch{i, k, x.ID})
			}
			in[k] = p.shapes[x.ID]
		}
		p.countScratch(n, in)
	}
	p.scratch = addBytes(p.scratch, addBytes(kernels.MulBytes(p.work32, 4), kernels.MulBytes(p.work64, 8)))
	p.alias, p.inPlace = nil, nil
	p.outputs = make([]*tensor.Tensor, len(g.Outputs))
	p.commit = p.firstStoreWrite()
	p.findRegions()
	return p, nil
}

// firstStoreWrite returns the index of the first step that may write a
// param or state in place, or len(p.Steps). A leaf updated to itself (an
// update whose value is its target) is written in place by a kernel that
// reads it (a fused optimizer update writes its moments into its state
// operands; the optimizer makes it the state's only reader), so the first
// step reading such a leaf is where the store starts to change; so is a
// fused update that writes its param (p.writes).
func (p *Plan) firstStoreWrite() int {
	self := map[int]bool{}
	for _, u := range p.updates {
		if u.target == u.value {
			self[u.target] = true
		}
	}
	first := len(p.Steps)
	for _, w := range p.writes { // a fused update writing its param
		first = min(first, w.step)
	}
	for i, st := range p.Steps[:first] {
		for _, x := range st.Node.In {
			if self[x.ID] {
				return i
			}
		}
	}
	return first
}

// prepareKernels prepares the kernel of every step for the plan's shapes.
// Kernels may allocate scratch memory (a matrix product packs its
// operands), so this runs only once the plan is allowed to run (allocate),
// never when a plan is built just to read its sizes.
func (p *Plan) prepareKernels() error {
	for i := range p.Steps {
		st := &p.Steps[i]
		if st.Alias || st.Kernel != nil {
			continue
		}
		n := st.Node
		in := make([][]int, len(n.In))
		for k, x := range n.In {
			in[k] = p.shapes[x.ID]
		}
		k, err := n.Op.Kernel(n, in, p.shapes[n.ID])
		if err != nil {
			return fmt.Errorf("%s%s: %v", posPrefix(n), n.Op.Name, err)
		}
		st.Kernel = k
	}
	return nil
}

// posPrefix is "file:line:col: " for a node with a position, "" otherwise.
func posPrefix(n *ops.Node) string {
	if s := n.Pos.String(); s != "" {
		return s + ": "
	}
	return ""
}

// countScratch adds the scratch of n's kernel, for operand shapes in, to
// the plan's: what the kernel owns to p.scratch, what it borrows from the
// workspace to the workspace's size (the largest step's, counted once
// when the plan is built).
func (p *Plan) countScratch(n *ops.Node, in [][]int) {
	b := stepScratch(n, in, p.shapes[n.ID])
	if b > p.scratchMax {
		p.scratchNode, p.scratchMax = n, b
	}
	if w := stepWorkspace(n, in, p.shapes[n.ID]); w > 0 {
		b = max(0, b-kernels.MulBytes(w, int64(n.Type.DType.Size())))
		if n.Type.DType == tensor.F32 {
			p.work32 = max(p.work32, w)
		} else {
			p.work64 = max(p.work64, w)
		}
	}
	p.scratch = addBytes(p.scratch, b)
}
