package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Session runs one graph repeatedly. It binds the graph's inputs to the
// tensors given to Run and its params and states to the tensors of a Store,
// keeps one Plan per concrete input signature, and applies the graph's
// updates to the store after each run. A Session is not safe for concurrent
// use.
type Session struct {
	g      *ops.Graph
	store  *Store
	inputs []*ops.Node // the graph's inputs, in order
	stored []*ops.Node // the params and states the outputs and updates use
	plans  map[string]*Plan
	last   *Plan
	key    []byte     // scratch for plan keys
	num    *numerics  // the checks of SetNumerics; nil: none
	prof   *Profile   // the step times of SetProfile; nil: none
	fixed  bool       // SetParamsFixed
	hook   UpdateHook // SetUpdateHook (hooks.go); nil: none
	// maxPlans bounds plans (SetPlanLimit; 0: no bound); tick counts
	// the plans' uses, for least-recently-used eviction; evicted counts
	// the plans dropped (nil: not counted).
	maxPlans int
	tick     uint64
	evicted  *atomic.Uint64
}

// SetPlanLimit bounds the plans the session keeps to n input signatures
// (0: no bound, the default). Building a plan for a new signature when n
// are kept first drops the least recently used one (its buffers are freed
// once no result of it is held), adding 1 to evicted, when not nil, per
// plan dropped; a signature met again after its plan was dropped is
// planned again. Lowering n drops plans at the next new signature. A
// negative n is an error.
func (s *Session) SetPlanLimit(n int, evicted *atomic.Uint64) error {
	if n < 0 {
		return fmt.Errorf("runtime: a limit of %d plans: want 0 (no limit) or more", n)
	}
	s.maxPlans, s.evicted = n, evicted
	return nil
}

// Plans is the number of plans the session keeps.
func (s *Session) Plans() int { return len(s.plans) }

// use marks p as the session's most recently used plan.
func (s *Session) use(p *Plan) *Plan {
	s.tick++
	p.lastUse = s.tick
	s.last = p
	return p
}

// evict drops least recently used plans until fewer than maxPlans are
// kept, making room for one more.
func (s *Session) evict() {
	for s.maxPlans > 0 && len(s.plans) >= s.maxPlans {
		var oldest string
		var old *Plan
		for k, p := range s.plans {
			if old == nil || p.lastUse < old.lastUse {
				oldest, old = k, p
			}
		}
		delete(s.plans, oldest)
		if s.last == old {
			s.last = nil
		}
		if s.evicted != nil {
			s.evicted.Add(1)
		}
	}
}

// SetParamsFixed says whether the params in the session's store change
// only through the store's Set and Get (a tensor that Get hands out counts
// as changed) and through the runs of sessions on the store. When on, the
// session keeps the packed forms of params (see kernels.PackCache) from
// one run to the next while the store has not changed, so that an
// inference plan packs its weights once instead of on every run. A caller
// that writes into a stored tensor it holds from an earlier Get or Set, or
// into an output of Run that is a param, must leave it off (the default),
// or the runs after such a write may use the params' former values.
func (s *Session) SetParamsFixed(on bool) { s.fixed = on }

// NewSession prepares to run g with the params and states of store. Plans
// are built by the first Run (or Plan) for each input signature. g must not
// change once the session exists.
func NewSession(g *ops.Graph, store *Store) *Session {
	s := &Session{g: g, store: store, inputs: g.Inputs(), plans: map[string]*Plan{}}
	needed := g.Needed()
	for _, n := range g.Nodes {
		if n.Op.Leaf && n.Op != ops.Input && needed[n.ID] {
			s.stored = append(s.stored, n)
		}
	}
	return s
}

// Run executes the graph once. inputs are the graph's inputs in the order of
// g.Inputs(); they are read in place, not copied. seed is the random seed of
// this execution (dropout masks), the same for the forward and backward
// parts of one run. After the kernels have run, each update's value is copied
// into its param or state in the store.
//
// The result holds the graph's outputs in the order of g.Outputs. The
// tensors (and the slice) belong to the session: they are views of its
// arena, valid until the next Run, which overwrites them; Clone what must be
// kept. An output that is a param or state is the store's tensor, seen after
// the updates.
//
// Errors about the inputs name the input, its declared type and the given
// tensor's type ("input x: expected f32[B, 64], got f32[32, 10]"). An
// integer operand out of its op's range (take's ids, embedding's ids,
// cross_entropy's labels) ends the run, before the updates, with an
// *ops.IndexError naming the op, its source position, the value, the range
// and where the value sits. A panic in a kernel is a bug in nnc, not an
// error of the run: it reaches the caller as a panic (nnc's API reports it
// as an internal error, with the stack that names the kernel).
// Once a plan exists for the input shapes, Run allocates nothing. The first
// run of a plan allocates its arenas, unless its peak exceeds the memory
// limit (SetMemoryLimit; by default the memory available): then Run returns
// a *MemoryError giving the peak and the limit, having allocated nothing.
//
// The steps run one after another on the calling goroutine; a large step
// (a matrix product, a convolution, a pooling, a long elementwise row, a
// reduction, softmax or norm rows) splits itself into tasks fixed by its
// shapes and runs them on up to GOMAXPROCS goroutines of the kernels'
// worker pool. Partial sums are combined in task order, so the results are
// bitwise the same for any GOMAXPROCS.
//
// Run is RunContext with a context that is never cancelled.
func (s *Session) Run(seed uint64, inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	return s.RunContext(context.Background(), seed, inputs...)
}

// RunContext is Run, cancellable between kernel steps: before each step it
// looks, without waiting, whether ctx is done, and if so stops there and
// returns an error wrapping ctx.Err() that names the step it stopped before
// ("run cancelled before step 3 of 12 (matmul at f.nn:4:9): context
// canceled"). A cancelled run applies no update, so the params and states
// in the store are those before the run, with one exception: once a step
// that writes a state in place has started (a fused optimizer update,
// fused_sgd or fused_adam, writes its moments into the store), the run is
// no longer cancelled and finishes, so that params and states stay
// consistent. A context whose Done channel is nil (context.Background)
// costs nothing per step. A nil ctx is an error.
func (s *Session) RunContext(ctx context.Context, seed uint64, inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	p, err := s.Plan(inputs...)
	if err != nil {
		return nil, err
	}
	done := ctx.Done()
	if done != nil {
		// Nothing is allocated for a run cancelled before it starts.
		select {
		case <-done:
			return nil, p.cancelled(ctx, 0)
		default:
		}
	}
	if err := p.allocate(); err != nil {
		return nil, err
	}
	if err := p.bind(s.store, inputs); err != nil {
		return nil, err
	}
	// The packed params of the last run stay valid while nothing could
	// have changed them.
	if !s.fixed || p.rebound || p.packStore != s.store || p.packGen != s.store.gen.Load() {
		p.packs.Invalidate()
	}
	p.packs.SetLasting(s.fixed)
	p.rebound, p.packStore = false, s.store
	defer p.ranOn(s.store)
	p.hook = s.hook
	if s.prof != nil {
		out, err := p.exec(ctx, done, seed, s.num, s.prof.attach(p))
		if err == nil {
			s.prof.Runs++
		}
		return out, err
	}
	return p.exec(ctx, done, seed, s.num, nil)
}

// errNilContext is RunContext's error for a nil context.
var errNilContext = errors.New("runtime: nil context")

// Plan returns the plan Run would use for these inputs, building it when
// needed (to read its memory use, for example), without running anything
// and without allocating its buffers.
func (s *Session) Plan(inputs ...*tensor.Tensor) (*Plan, error) {
	if len(inputs) != len(s.inputs) {
		names := make([]string, len(s.inputs))
		for i, n := range s.inputs {
			names[i] = n.Name()
		}
		return nil, fmt.Errorf("expected %d inputs (%s), got %d", len(s.inputs), strings.Join(names, ", "), len(inputs))
	}
	if p := s.last; p != nil && p.matches(inputs) {
		return s.use(p), nil
	}
	if s.makeKey(inputs) {
		if p, ok := s.plans[string(s.key)]; ok && p.matches(inputs) {
			return s.use(p), nil
		}
	}

	vals := make([]*tensor.Tensor, 0, len(s.inputs)+len(s.stored))
	vals = append(vals, inputs...)
	for _, n := range s.stored {
		t := s.store.lookup(n.Name())
		if t == nil {
			return nil, fmt.Errorf("%s has no value in the store (initialize it with InitParams or load it)", leafLabel(n))
		}
		vals = append(vals, t)
	}
	env, err := bindShapes(append(append([]*ops.Node(nil), s.inputs...), s.stored...), vals)
	if err != nil {
		return nil, err
	}
	p, err := NewPlan(s.g, env)
	if err != nil {
		return nil, err
	}
	if s.makeKey(inputs) {
		s.evict()
		s.plans[string(s.key)] = p
	}
	return s.use(p), nil
}

// makeKey writes the inputs' element types and shapes into s.key; false
// when an input is missing.
func (s *Session) makeKey(inputs []*tensor.Tensor) bool {
	k := s.key[:0]
	for _, t := range inputs {
		if t == nil {
			return false
		}
		k = append(k, byte(t.DType), byte(len(t.Shape)))
		for _, d := range t.Shape {
			k = strconv.AppendInt(k, int64(d), 10)
			k = append(k, ',')
		}
	}
	s.key = k
	return true
}

// matches reports whether the plan was built for inputs of these types.
func (p *Plan) matches(inputs []*tensor.Tensor) bool {
	for i, t := range inputs {
		if t == nil || t.DType != p.leaves[i].Type.DType || !sameShape(t.Shape, p.inShape[i]) || dataLen(t) != tensor.NumElems(t.Shape) {
			return false
		}
	}
	return true
}

// bind points the plan's leaves at the given inputs and at the store's
// tensors, checking store tensors that changed since the last run.
func (p *Plan) bind(store *Store, inputs []*tensor.Tensor) error {
	for i, t := range inputs {
		p.values[p.leaves[i].ID] = t
	}
	for _, n := range p.leaves[p.nInputs:] {
		t := store.lookup(n.Name())
		if t == p.values[n.ID] {
			continue
		}
		p.rebound = true
		if t == nil {
			return fmt.Errorf("%s has no value in the store (initialize it with InitParams or load it)", leafLabel(n))
		}
		if t.DType != n.Type.DType || !sameShape(t.Shape, p.shapes[n.ID]) {
			return fmt.Errorf("%s: expected %v, got %s", leafLabel(n), n.Type, typeString(t))
		}
		if err := checkData(n, t); err != nil {
			return err
		}
		p.values[n.ID] = t
	}
	for _, q := range p.patches {
		p.Steps[q.step].args[q.arg] = p.values[q.node]
	}
	for i, o := range p.Graph.Outputs {
		p.outputs[i] = p.values[o.Node.ID]
	}
	return nil
}

// exec runs the steps in order (a row region's as one parallel call:
// rows.go), then applies the updates. It looks whether done (ctx.Done(),
// nil for a context that is never cancelled) is closed, without waiting,
// before every step or region up to the first step that writes the store
// in place, that one included. chk, when not nil, looks at the
// values as SetNumerics says. timing, when not nil, receives each step's
// time in nanoseconds (SetProfile).
func (p *Plan) exec(ctx context.Context, done <-chan struct{}, seed uint64, chk *numerics, timing []int64) ([]*tensor.Tensor, error) {
	p.ctx.Seed, p.ctx.Err = seed, nil
	if chk != nil {
		chk.begin(p)
	}
	if p.hook != nil {
		p.fireUpdates(p.hook, -1)
	}
	// Fused updates write their params in place unless numerics are
	// checked (every update may yet be skipped) or a hook holds the
	// values (update_inplace.go).
	p.writeParams(chk == nil && p.hook == nil)
	for i := 0; i < len(p.Steps); i++ {
		if i == p.commit { // params may change from here on
			p.packs.Invalidate()
		}
		if done != nil && i <= p.commit {
			select {
			case <-done:
				return nil, p.cancelled(ctx, i)
			default:
			}
		}
		// A row region runs as a whole unless a step's value in it is
		// looked at (rows.go); the updates it computes are ready after it.
		if rg := p.regionAt(i); rg != nil && !chk.watchesAny(p.Steps[rg.first:rg.end]) {
			p.runRegion(rg, timing)
			for ; p.hook != nil && i < rg.end; i++ {
				p.fireUpdates(p.hook, i)
			}
			i = rg.end - 1
			continue
		}
		if st := &p.Steps[i]; !st.Alias {
			s, rg := p.stepRows(i)
			switch {
			case s != nil:
				t0 := time.Since(profEpoch)
				p.runRowStep(rg, s, i)
				if timing != nil {
					timing[i] += int64(time.Since(profEpoch) - t0)
				}
			case timing == nil:
				st.Kernel(&p.ctx, st.out, st.args)
			default:
				timing[i] += p.runTimed(st)
			}
			if p.ctx.Err != nil {
				// A kernel found an operand invalid (an index out of
				// range): the run stops before the updates.
				err := p.ctx.Err
				p.ctx.Err = nil
				return nil, err
			}
		}
		if chk != nil && chk.watches(&p.Steps[i]) {
			if err := chk.after(p, i); err != nil {
				return nil, err
			}
		}
		if p.hook != nil {
			p.fireUpdates(p.hook, i)
		}
	}
	if chk != nil {
		if skip, err := chk.beforeUpdates(p); err != nil || skip {
			if err != nil {
				return nil, err
			}
			return p.outputs, nil
		}
	}
	for _, u := range p.updates {
		if t, v := p.values[u.target], p.values[u.value]; t != v {
			t.CopyFrom(v)
		}
	}
	return p.outputs, nil
}

// ranOn records the store's generation after a run of p on it: a run that
// updates params or states (or may have written one in place before it
// stopped) counts as a change of the store.
func (p *Plan) ranOn(store *Store) {
	if len(p.updates) > 0 || p.commit < len(p.Steps) {
		store.gen.Add(1)
	}
	p.packGen = store.gen.Load()
}

// cancelled is the error of a run stopped by ctx before step i.
func (p *Plan) cancelled(ctx context.Context, i int) error {
	if i >= len(p.Steps) {
		return fmt.Errorf("run cancelled before it started: %w", ctx.Err())
	}
	n := p.Steps[i].Node
	at := ""
	if s := n.Pos.String(); s != "" {
		at = " at " + s
	}
	return fmt.Errorf("run cancelled before step %d of %d (%s%s): %w", i+1, len(p.Steps), n.Op.Name, at, ctx.Err())
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dataLen(t *tensor.Tensor) int {
	switch t.DType {
	case tensor.F32:
		return len(t.F32)
	case tensor.F64:
		return len(t.F64)
	case tensor.I32:
		return len(t.I32)
	case tensor.I64:
		return len(t.I64)
	case tensor.Bool:
		return len(t.Bool)
	}
	return -1
}
