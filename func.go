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
type Func struct {
	prog  *Program
	entry string
	store *runtime.Store
	seed  uint64
	low   *lang.Lowered
	sess  *runtime.Session
	grads map[string]*gradFunc
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
	low, err := p.mod.Lower(entry, lang.LowerOptions{})
	if err != nil {
		return nil, err
	}
	for i, o := range low.Outputs {
		low.B.Output(outName(i, len(low.Outputs)), o)
	}
	f = &Func{prog: p, entry: entry, store: runtime.NewStore(), low: low, grads: map[string]*gradFunc{}}
	if err := runtime.InitParams(f.store, low.B.G, f.seed); err != nil {
		return nil, err
	}
	f.sess = runtime.NewSession(low.B.G, f.store)
	return f, nil
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
	f.sess = runtime.NewSession(f.low.B.G, store)
	f.grads = map[string]*gradFunc{}
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
	vals, err := inputsInOrder(f.low.Inputs, inputs)
	if err != nil {
		return nil, err
	}
	res, err := f.sess.Run(0, vals...)
	if err != nil {
		return nil, err
	}
	out = make([]*Tensor, len(res))
	for i, t := range res {
		out[i] = t.Clone()
	}
	return out, nil
}

// gradFunc is the graph of an entry's value and its gradients w.r.t. a list.
type gradFunc struct {
	low  *lang.Lowered
	sess *runtime.Session
}

// Grad evaluates the entry, which must return a float scalar, and its
// gradient with respect to each name of wrt: input names or parameter paths.
func (f *Func) Grad(wrt []string, inputs map[string]*Tensor) (value *Tensor, grads []*Tensor, err error) {
	defer recoverInternal(&err)
	key := strings.Join(wrt, ",")
	gf := f.grads[key]
	if gf == nil {
		if gf, err = f.buildGrad(wrt); err != nil {
			return nil, nil, err
		}
		f.grads[key] = gf
	}
	vals, err := inputsInOrder(gf.low.Inputs, inputs)
	if err != nil {
		return nil, nil, err
	}
	res, err := gf.sess.Run(0, vals...)
	if err != nil {
		return nil, nil, err
	}
	value = res[0].Clone()
	for _, t := range res[1:] {
		grads = append(grads, t.Clone())
	}
	return value, grads, nil
}

func (f *Func) buildGrad(wrt []string) (*gradFunc, error) {
	low, err := f.prog.mod.Lower(f.entry, lang.LowerOptions{})
	if err != nil {
		return nil, err
	}
	if len(low.Outputs) != 1 {
		return nil, fmt.Errorf("grad: %s returns %d values; it must return one scalar", f.entry, len(low.Outputs))
	}
	y := low.Outputs[0]
	if len(y.Type.Shape) != 0 || !y.Type.DType.IsFloat() {
		return nil, fmt.Errorf("grad: %s returns %v; it must return a float scalar", f.entry, y.Type)
	}
	xs := make([]*ops.Node, len(wrt))
	for i, name := range wrt {
		xs[i] = findLeaf(low, name)
		if xs[i] == nil {
			return nil, fmt.Errorf("grad: --wrt %s is neither an input of %s nor a parameter", name, f.entry)
		}
	}
	gs, err := autodiff.Grad(low.B, y, xs)
	if err != nil {
		return nil, fmt.Errorf("grad: %v", err)
	}
	low.B.Output("out", y)
	for i, g := range gs {
		low.B.Output(wrt[i], g)
	}
	return &gradFunc{low: low, sess: runtime.NewSession(low.B.G, f.store)}, nil
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
