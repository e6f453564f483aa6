package nnc

import (
	"errors"
	"fmt"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// leaves lists the Func's parameters and states, the tensors LoadParams
// reads and SaveParams writes.
func (f *Func) leaves() []*ops.Node {
	return append(append([]*ops.Node{}, f.low.Params...), f.low.States...)
}

// LoadParams reads parameters from a safetensors file; every parameter of the
// model must be present with its declared type, or nothing is changed. The
// file is read first; then LoadParams waits for the runs in progress, and
// runs that start after it see the new values (like SetParam): a run sees
// the parameters wholly before or wholly after the load.
func (f *Func) LoadParams(path string) (err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return errNoFunc
	}
	if path == "" {
		return errors.New("LoadParams: empty file name")
	}
	m, err := data.LoadSafetensors(path)
	if err != nil {
		return err
	}
	return f.writeParams(func(store *runtime.Store) error {
		return setParams(store, f.leaves(), m, path)
	})
}

// SaveParams writes the parameters to a safetensors file, named by path,
// safely (see WriteFile). Runs may proceed while it encodes the values;
// parameter writes (SetParam, InitParams, LoadParams) wait, so the file
// holds the parameters as they were at one moment. The file is written
// after the lock is released.
func (f *Func) SaveParams(path string) (err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return errNoFunc
	}
	if path == "" {
		return errors.New("SaveParams: empty file name")
	}
	var b []byte
	err = f.readParams(func(store *runtime.Store) error {
		m := map[string]*Tensor{}
		for _, n := range f.leaves() {
			t := store.Get(n.Name())
			if t == nil {
				return fmt.Errorf("%s: internal error: parameter %s has no value in the store", path, n.Name())
			}
			m[n.Name()] = t
		}
		var err error
		b, err = data.EncodeSafetensors(m, nil)
		return err
	})
	if err != nil {
		return err
	}
	return WriteFile(path, b)
}
