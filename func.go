package nnc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// Func is one entry of a program, ready to run: a top-level function, or a
// method of a model instance built with its argument defaults.
//
// Most entries lower once, generic in their shape variables. An entry that
// unrolls a loop or a scan over a shape variable (an LSTM over T steps) is
// lowered again for each concrete signature it is called with; its params
// are the same in every lowering.
//
// A Func is safe for concurrent use by many goroutines (see the package
// documentation, "Concurrency"): runs share the parameters read-only and
// each uses a session of its own from the variant's pool; parameter writes
// are serialized against runs. Make a Func with Program.Func; the zero Func
// is not usable (its methods return an error).
type Func struct {
	prog     *Program
	entry    string
	low      *lang.Lowered // the generic lowering (or, per shape, one with every variable 1); read-only
	sig      []lang.Arg
	perShape bool

	// params guards the values in store and seed: runs hold the read side
	// from binding to the copy of their results, parameter writes the
	// write side. The store itself (the pointer) never changes.
	params sync.RWMutex
	store  *runtime.Store
	seed   uint64

	// mu guards cache and tick.
	mu    sync.Mutex
	cache map[string]*compiled
	tick  uint64
	// plans is SetMaxPlans's bound (func_plans.go); evictions counts the
	// plans and variants dropped to keep it.
	plans planLimit
}

// compiled is one lowering of the entry, outputs named, optimized, with a
// pool of sessions that run it.
type compiled struct {
	ready chan struct{} // closed once low, g and err are set
	used  uint64        // Func.tick at the last call (guarded by Func.mu)
	low   *lang.Lowered
	g     *ops.Graph
	err   error

	mu   sync.Mutex // guards free
	free []*runtime.Session
}

// session takes an idle session from the pool, or makes one.
func (c *compiled) session(store *runtime.Store) *runtime.Session {
	c.mu.Lock()
	if n := len(c.free); n > 0 {
		s := c.free[n-1]
		c.free = c.free[:n-1]
		c.mu.Unlock()
		return s
	}
	c.mu.Unlock()
	s := runtime.NewSession(c.g, store)
	// A Func's params change only through the store (SetParam, InitParams
	// and LoadParams, under the write lock) and through runs that update
	// them; Param and the results hand out copies. So a session keeps the
	// packed forms of the weights from one call to the next until the
	// store changes: an inference call does not pack its weights again.
	s.SetParamsFixed(true)
	return s
}

// release returns a session to the pool once its call is done with it.
func (c *compiled) release(s *runtime.Session) {
	c.mu.Lock()
	c.free = append(c.free, s)
	c.mu.Unlock()
}

// Arg is a named, typed parameter of an entry.
type Arg struct {
	Name  string `json:"name"`
	Type  string `json:"type"`  // as in .nn source: "f32[B, 64]"
	DType string `json:"dtype"` // element type: "f32"
}

// errNoFunc is returned by the methods of a nil or zero Func.
var errNoFunc = errors.New("nnc: nil or empty Func (make one with Program.Func)")

// ok reports whether f was made by Program.Func.
func (f *Func) ok() bool { return f != nil && f.store != nil && f.low != nil }

// Func prepares an entry ("f" or "Model.method"). Parameters are initialized
// from seed 0; see InitParams and SetParam.
func (p *Program) Func(entry string) (f *Func, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	if entry == "" {
		return nil, fmt.Errorf("empty entry name (entries: %s)", strings.Join(p.Entries(), ", "))
	}
	f = &Func{prog: p, entry: entry, store: runtime.NewStore(), cache: map[string]*compiled{}}
	f.low, err = p.lower(entry, lang.LowerOptions{})
	if lang.NeedsShapes(err) {
		// Lower once with every shape variable 1 to learn the params.
		if f.sig, err = p.signature(entry); err != nil {
			return nil, err
		}
		probe := withOnes(f.sig, nil)
		f.perShape = true
		f.low, err = p.lower(entry, lang.LowerOptions{Shapes: probe})
	}
	if err != nil {
		return nil, err
	}
	nameOutputs(f.low)
	if err := runtime.InitParams(f.store, f.low.B.G, f.seed); err != nil {
		return nil, err
	}
	return f, nil
}

func nameOutputs(low *lang.Lowered) {
	for i, o := range low.Outputs {
		low.B.Output(outName(i, len(low.Outputs)), o)
	}
}

// variant returns the lowering of the entry for these inputs, built by
// finish (which names its outputs) and cached under kind and the shapes.
// The first call for a key compiles it; calls for the same key meanwhile
// wait for that compilation (or for ctx).
func (f *Func) variant(ctx context.Context, kind string, inputs map[string]*Tensor, finish func(*lang.Lowered) error) (*compiled, error) {
	var env map[string]int64
	key := kind
	if f.perShape {
		var err error
		if key, env, err = f.shapeKey(kind, inputs); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	f.tick++
	c := f.cache[key]
	if c == nil {
		if f.perShape {
			f.evictVariants()
		}
		c = &compiled{ready: make(chan struct{}), used: f.tick}
		f.cache[key] = c
		f.mu.Unlock()
		f.build(key, c, env, finish)
	} else {
		c.used = f.tick
		f.mu.Unlock()
		select {
		case <-c.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	return c, nil
}

// shapeKey binds the shape variables of a per-shape entry from the inputs
// and returns the variant's cache key, kind followed by the bindings.
func (f *Func) shapeKey(kind string, inputs map[string]*Tensor) (string, map[string]int64, error) {
	shapes := make([][]int, len(f.sig))
	for i, a := range f.sig {
		t, ok := inputs[a.Name]
		if !ok || t == nil {
			return "", nil, fmt.Errorf("missing input %s: %v", a.Name, a.Type)
		}
		shapes[i] = t.Shape
	}
	env, err := lang.BindShapes(f.sig, shapes)
	if err != nil {
		return "", nil, err
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	key := []byte(kind)
	for _, k := range names {
		key = append(key, '|')
		key = append(key, k...)
		key = append(key, '=')
		key = strconv.AppendInt(key, env[k], 10)
	}
	return string(key), env, nil
}

// build compiles c and closes c.ready. A failed build is dropped from the
// cache, so that a later call tries again; the calls waiting for it get its
// error.
func (f *Func) build(key string, c *compiled, env map[string]int64, finish func(*lang.Lowered) error) {
	defer close(c.ready)
	defer func() {
		if c.err != nil {
			f.mu.Lock()
			if f.cache[key] == c {
				delete(f.cache, key)
			}
			f.mu.Unlock()
		}
	}()
	defer recoverInternal(&c.err)
	low, err := f.prog.lower(f.entry, lang.LowerOptions{Shapes: env})
	if err != nil {
		c.err = err
		return
	}
	if err := finish(low); err != nil {
		c.err = err
		return
	}
	g, err := f.prog.optimize(low.B.G)
	if err != nil {
		c.err = err
		return
	}
	// Every lowering has the same params, so this finds them all present
	// unless a lowering adds one; it then initializes it from the seed.
	f.params.Lock()
	defer f.params.Unlock()
	if c.err = runtime.InitParams(f.store, g, f.seed); c.err != nil {
		return
	}
	c.low, c.g = low, g
}

func outName(i, n int) string {
	if n == 1 {
		return "out"
	}
	return fmt.Sprintf("out%d", i)
}

// Entry is the entry's name ("" for a nil Func).
func (f *Func) Entry() string {
	if f == nil {
		return ""
	}
	return f.entry
}

// Inputs lists the entry's parameters in order (none for a nil Func).
func (f *Func) Inputs() []Arg {
	if !f.ok() {
		return nil
	}
	if f.perShape {
		// The probe lowering fixed every shape variable at 1; the signature
		// keeps them symbolic.
		out := make([]Arg, len(f.sig))
		for i, a := range f.sig {
			out[i] = Arg{Name: a.Name, Type: a.Type.String(), DType: a.Type.DType.String()}
		}
		return out
	}
	out := make([]Arg, len(f.low.Inputs))
	for i, n := range f.low.Inputs {
		out[i] = argOf(n)
	}
	return out
}

// inputsInOrder picks the entry's inputs from the map, in signature order.
func inputsInOrder(nodes []*ops.Node, in map[string]*Tensor) ([]*Tensor, error) {
	vals := make([]*Tensor, len(nodes))
	for i, n := range nodes {
		t, ok := in[n.Name()]
		if !ok {
			return nil, fmt.Errorf("missing input %s: %v", n.Name(), n.Type)
		}
		vals[i] = t
	}
	if len(in) != len(nodes) {
		for name := range in {
			found := false
			for _, n := range nodes {
				found = found || n.Name() == name
			}
			if !found {
				return nil, fmt.Errorf("unknown input %q", name)
			}
		}
	}
	return vals, nil
}

// Run evaluates the entry (in inference mode) on inputs given by parameter
// name and returns its results in order (copies the caller owns). It is
// RunContext with a context that is never cancelled.
func (f *Func) Run(inputs map[string]*Tensor) ([]*Tensor, error) {
	return f.RunContext(context.Background(), inputs)
}

// RunContext is Run, cancellable: it returns ctx.Err() when ctx is done
// before the run starts. The context is checked on entry, while waiting for
// another call to compile the variant, and once the parameters are held for
// reading (after any parameter write in progress). A run that has started
// stops before its next kernel step once ctx is done, with an error that
// wraps ctx.Err() and names that step (runtime.Session.RunContext); a
// kernel step that has started finishes first.
func (f *Func) RunContext(ctx context.Context, inputs map[string]*Tensor) (out []*Tensor, err error) {
	defer recoverInternal(&err)
	if err := f.checkCall(ctx, inputs); err != nil {
		return nil, err
	}
	c, err := f.variant(ctx, "run", inputs, func(low *lang.Lowered) error {
		nameOutputs(low)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f.exec(ctx, c, inputs)
}

// checkCall validates the receiver, the context and the inputs of a call.
func (f *Func) checkCall(ctx context.Context, inputs map[string]*Tensor) error {
	if !f.ok() {
		return errNoFunc
	}
	if ctx == nil {
		return errors.New("nnc: nil context")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return checkInputs(inputs)
}

// exec runs variant c on the inputs with a session from its pool and copies
// the results, holding the parameters for reading throughout.
func (f *Func) exec(ctx context.Context, c *compiled, inputs map[string]*Tensor) ([]*Tensor, error) {
	vals, err := inputsInOrder(c.low.Inputs, inputs)
	if err != nil {
		return nil, err
	}
	s := c.session(f.store)
	f.plans.apply(s)
	f.params.RLock()
	defer f.params.RUnlock()
	if err := ctx.Err(); err != nil {
		c.release(s)
		return nil, err
	}
	res, err := s.RunContext(ctx, 0, vals...)
	if err != nil {
		c.release(s)
		return nil, err
	}
	out := make([]*Tensor, len(res))
	for i, t := range res {
		out[i] = t.Clone()
	}
	c.release(s)
	return out, nil
}

// Grad evaluates the entry, which must return a float scalar, and its
// gradient with respect to each name of wrt: input names or parameter
// paths, each at most once. It is GradContext with a context that is never
// cancelled.
func (f *Func) Grad(wrt []string, inputs map[string]*Tensor) (*Tensor, []*Tensor, error) {
	return f.GradContext(context.Background(), wrt, inputs)
}

// GradContext is Grad, cancellable as RunContext is.
func (f *Func) GradContext(ctx context.Context, wrt []string, inputs map[string]*Tensor) (value *Tensor, grads []*Tensor, err error) {
	defer recoverInternal(&err)
	if err := f.checkCall(ctx, inputs); err != nil {
		return nil, nil, err
	}
	key, err := gradKey(wrt)
	if err != nil {
		return nil, nil, err
	}
	c, err := f.variant(ctx, key, inputs, func(low *lang.Lowered) error {
		return f.addGrads(low, wrt)
	})
	if err != nil {
		return nil, nil, err
	}
	res, err := f.exec(ctx, c, inputs)
	if err != nil {
		return nil, nil, err
	}
	return res[0], res[1:], nil
}

// gradKey is the cache key of the gradient variant for wrt; names must be
// non-empty and distinct.
func gradKey(wrt []string) (string, error) {
	for i, name := range wrt {
		if name == "" {
			return "", fmt.Errorf("grad: empty name in wrt (position %d)", i)
		}
		for _, prev := range wrt[:i] {
			if prev == name {
				return "", fmt.Errorf("grad: %s is named twice in wrt", name)
			}
		}
	}
	// Each name is prefixed with its length, so keys of different lists
	// differ whatever bytes the names hold.
	key := []byte("grad")
	for _, name := range wrt {
		key = append(key, ' ')
		key = strconv.AppendInt(key, int64(len(name)), 10)
		key = append(key, ':')
		key = append(key, name...)
	}
	return string(key), nil
}

// addGrads adds the gradients of low's scalar result w.r.t. wrt as outputs
// named after them, after the value "out".
func (f *Func) addGrads(low *lang.Lowered, wrt []string) error {
	if len(low.Outputs) != 1 {
		return fmt.Errorf("grad: %s returns %d values; it must return one scalar", f.entry, len(low.Outputs))
	}
	y := low.Outputs[0]
	if len(y.Type.Shape) != 0 || !y.Type.DType.IsFloat() {
		return fmt.Errorf("grad: %s returns %v; it must return a float scalar", f.entry, y.Type)
	}
	xs := make([]*ops.Node, len(wrt))
	for i, name := range wrt {
		xs[i] = findLeaf(low, name)
		if xs[i] == nil {
			return fmt.Errorf("grad: %q is neither an input of %s nor a parameter (inputs: %s; parameters: %s)", name, f.entry, strings.Join(leafNames(low.Inputs), ", "), strings.Join(leafNames(low.Params), ", "))
		}
	}
	gs, err := autodiff.Grad(low.B, y, xs)
	if err != nil {
		return fmt.Errorf("grad: %v", err)
	}
	low.B.Output("out", y)
	for i, g := range gs {
		low.B.Output(wrt[i], g)
	}
	return nil
}

// leafNames lists the names of leaves, in order.
func leafNames(nodes []*ops.Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name()
	}
	return out
}

func findLeaf(low *lang.Lowered, name string) *ops.Node {
	for _, n := range low.Inputs {
		if n.Name() == name {
			return n
		}
	}
	for _, n := range low.Params {
		if n.Name() == name {
			return n
		}
	}
	return nil
}
