package nnc

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/runtime"
)

// Params lists the paths of the model's parameters ("l1.W"), sorted (none
// for a nil Func).
func (f *Func) Params() []string {
	if !f.ok() {
		return nil
	}
	var out []string
	for _, n := range f.low.Params {
		out = append(out, n.Name())
	}
	sort.Strings(out)
	return out
}

// Param returns a copy of the current value of a parameter, or false when
// the entry has no parameter (or state) of that path.
func (f *Func) Param(path string) (*Tensor, bool) {
	if !f.ok() {
		return nil, false
	}
	f.params.RLock()
	defer f.params.RUnlock()
	t := f.store.Get(path)
	if t == nil {
		return nil, false
	}
	return t.Clone(), true
}

// SetParam overwrites a parameter with a copy of t; its element type and
// shape must be the parameter's, and its data must hold as many values as
// its shape. It waits for the runs in progress; runs that start after it
// see the new value.
func (f *Func) SetParam(path string, t *Tensor) (err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return errNoFunc
	}
	if err := checkTensor("parameter", path, t); err != nil {
		return err
	}
	for _, n := range f.low.Params {
		if n.Name() != path {
			continue
		}
		f.params.Lock()
		defer f.params.Unlock()
		cur := f.store.Get(path)
		if cur == nil {
			return fmt.Errorf("parameter %s has no value", path)
		}
		if t.DType != cur.DType || !slices.Equal(t.Shape, cur.Shape) {
			return fmt.Errorf("parameter %s is %v, got %s", path, n.Type, typeString(t))
		}
		cur.CopyFrom(t)
		return nil
	}
	if path == "" {
		return fmt.Errorf("empty parameter path (parameters: %s)", strings.Join(f.Params(), ", "))
	}
	return fmt.Errorf("no parameter %q (parameters: %s)", path, strings.Join(f.Params(), ", "))
}

// InitParams re-initializes every parameter from seed. It waits for the runs
// in progress; runs that start after it see the new values.
func (f *Func) InitParams(seed uint64) (err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return errNoFunc
	}
	fresh := runtime.NewStore()
	if err := runtime.InitParams(fresh, f.low.B.G, seed); err != nil {
		return err
	}
	return f.writeParams(func(store *runtime.Store) error {
		for _, name := range fresh.Names() {
			t := fresh.Get(name)
			if cur := store.Get(name); cur != nil && cur.DType == t.DType && slices.Equal(cur.Shape, t.Shape) {
				cur.CopyFrom(t)
			} else {
				store.Set(name, t)
			}
		}
		f.seed = seed
		return nil
	})
}

// writeParams calls fn with the parameters' store locked for writing: no
// run is in progress and none starts until fn returns. Every change to the
// parameters of a Func goes through it (SetParam, InitParams, LoadParams).
func (f *Func) writeParams(fn func(*runtime.Store) error) error {
	if !f.ok() {
		return errNoFunc
	}
	f.params.Lock()
	defer f.params.Unlock()
	return fn(f.store)
}

// readParams calls fn with the parameters' store locked for reading: runs
// may proceed, parameter writes wait until fn returns. fn must not modify
// the store or its tensors (SaveParams, GradCheck's copy).
func (f *Func) readParams(fn func(*runtime.Store) error) error {
	if !f.ok() {
		return errNoFunc
	}
	f.params.RLock()
	defer f.params.RUnlock()
	return fn(f.store)
}

// errNilTensor is the error of a nil *Tensor argument.
var errNilTensor = errors.New("nil tensor")
