package nnc

import (
	"fmt"
	"slices"
	"sort"
	"strings"

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
type Func struct {
	prog     *Program
	entry    string
	store    *runtime.Store
	seed     uint64
	low      *lang.Lowered // the generic lowering (or, per shape, one with every variable 1)
	sig      []lang.Arg
	perShape bool
	cache    map[string]*compiled
}

// compiled is one lowering of the entry, outputs named, and its session.
type compiled struct {
	low  *lang.Lowered
	sess *runtime.Session
}

// Arg is a named, typed parameter of an entry.
type Arg struct {
	Name  string
	Type  string // as in .nn source: "f32[B, 64]"
	DType string // element type: "f32"
}

// Func prepares an entry ("f" or "Model.method"). Parameters are initialized
// from seed 0; see InitParams and SetParam.
func (p *Program) Func(entry string) (f *Func, err error) {
	defer recoverInternal(&err)
	f = &Func{prog: p, entry: entry, store: runtime.NewStore(), cache: map[string]*compiled{}}
	f.low, err = p.lower(entry, lang.LowerOptions{})
	if lang.NeedsShapes(err) {
		// Lower once with every shape variable 1 to learn the params.
		if f.sig, _, err = p.mod.Signature(entry); err != nil {
			return nil, err
		}
		probe := map[string]int64{}
		for _, a := range f.sig {
			for _, d := range a.Type.Shape {
				for _, v := range d.Vars() {
					probe[v] = 1
				}
			}
		}
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
func (f *Func) variant(kind string, inputs map[string]*Tensor, finish func(*lang.Lowered) error) (*compiled, error) {
	var env map[string]int64
	key := kind
	if f.perShape {
		shapes := make([][]int, len(f.sig))
		for i, a := range f.sig {
			t, ok := inputs[a.Name]
			if !ok {
				return nil, fmt.Errorf("missing input %s: %v", a.Name, a.Type)
			}
			shapes[i] = t.Shape
		}
		var err error
		if env, err = lang.BindShapes(f.sig, shapes); err != nil {
			return nil, err
		}
		names := make([]string, 0, len(env))
		for k := range env {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			key += fmt.Sprintf("|%s=%d", k, env[k])
		}
	}
	if c := f.cache[key]; c != nil {
		return c, nil
	}
	low, err := f.prog.lower(f.entry, lang.LowerOptions{Shapes: env})
	if err != nil {
		return nil, err
	}
	if err := finish(low); err != nil {
		return nil, err
	}
	g, err := f.prog.optimize(low.B.G)
	if err != nil {
		return nil, err
	}
	if err := runtime.InitParams(f.store, g, f.seed); err != nil {
		return nil, err
	}
	c := &compiled{low: low, sess: runtime.NewSession(g, f.store)}
	f.cache[key] = c
	return c, nil
}

func outName(i, n int) string {
	if n == 1 {
		return "out"
	}
	return fmt.Sprintf("out%d", i)
}

// Entry is the entry's name.
func (f *Func) Entry() string { return f.entry }

// Inputs lists the entry's parameters in order.
func (f *Func) Inputs() []Arg {
	out := make([]Arg, len(f.low.Inputs))
	for i, n := range f.low.Inputs {
		out[i] = argOf(n)
	}
	return out
}

// Params lists the paths of the model's parameters ("l1.W"), sorted.
func (f *Func) Params() []string {
	var out []string
	for _, n := range f.low.Params {
		out = append(out, n.Name())
	}
	sort.Strings(out)
	return out
}

// Param returns the current value of a parameter (shared, not a copy).
func (f *Func) Param(path string) (*Tensor, bool) {
	t := f.store.Get(path)
	return t, t != nil
}

// SetParam overwrites a parameter with a copy of t; its type must match.
func (f *Func) SetParam(path string, t *Tensor) error {
	for _, n := range f.low.Params {
		if n.Name() != path {
			continue
		}
		cur := f.store.Get(path)
		if t.DType != cur.DType || !slices.Equal(t.Shape, cur.Shape) {
			return fmt.Errorf("parameter %s is %v, got %v%v", path, n.Type, t.DType, t.Shape)
		}
		cur.CopyFrom(t)
		return nil
	}
	return fmt.Errorf("no parameter %q (parameters: %s)", path, strings.Join(f.Params(), ", "))
}

// InitParams re-initializes every parameter from seed.
func (f *Func) InitParams(seed uint64) error {
	store := runtime.NewStore()
	if err := runtime.InitParams(store, f.low.B.G, seed); err != nil {
		return err
	}
	f.seed, f.store = seed, store
	f.cache = map[string]*compiled{}
	return nil
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
	for name := range in {
		found := false
		for _, n := range nodes {
			found = found || n.Name() == name
		}
		if !found {
			return nil, fmt.Errorf("unknown input %q", name)
		}
	}
	return vals, nil
}

// Run evaluates the entry (in inference mode) on inputs given by parameter
// name and returns its results in order (copies the caller owns).
func (f *Func) Run(inputs map[string]*Tensor) (out []*Tensor, err error) {
	defer recoverInternal(&err)
	c, err := f.variant("run", inputs, func(low *lang.Lowered) error {
		nameOutputs(low)
		return nil
	})
	if err != nil {
		return nil, err
	}
	vals, err := inputsInOrder(c.low.Inputs, inputs)
	if err != nil {
		return nil, err
	}
	res, err := c.sess.Run(0, vals...)
	if err != nil {
		return nil, err
	}
	out = make([]*Tensor, len(res))
	for i, t := range res {
		out[i] = t.Clone()
	}
	return out, nil
}

// Grad evaluates the entry, which must return a float scalar, and its
// gradient with respect to each name of wrt: input names or parameter paths.
func (f *Func) Grad(wrt []string, inputs map[string]*Tensor) (value *Tensor, grads []*Tensor, err error) {
	defer recoverInternal(&err)
	c, err := f.variant("grad:"+strings.Join(wrt, ","), inputs, func(low *lang.Lowered) error {
		return f.addGrads(low, wrt)
	})
	if err != nil {
		return nil, nil, err
	}
	vals, err := inputsInOrder(c.low.Inputs, inputs)
	if err != nil {
		return nil, nil, err
	}
	res, err := c.sess.Run(0, vals...)
	if err != nil {
		return nil, nil, err
	}
	value = res[0].Clone()
	for _, t := range res[1:] {
		grads = append(grads, t.Clone())
	}
	return value, grads, nil
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
			return fmt.Errorf("grad: --wrt %s is neither an input of %s nor a parameter", name, f.entry)
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
