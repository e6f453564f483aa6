package nnc

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// ReadValue reads an input value: a .npy file, or inline JSON (a number or
// nested arrays) converted to the element type of typ ("f32[B, 64]").
func ReadValue(spec string, typ string) (t *Tensor, err error) {
	defer recoverInternal(&err)
	dt := typ
	if i := strings.IndexByte(dt, '['); i >= 0 {
		dt = dt[:i]
	}
	if strings.HasSuffix(spec, ".npy") {
		t, err = data.LoadNPY(spec)
		if err != nil {
			return nil, err
		}
		if t.DType.String() != dt {
			return nil, fmt.Errorf("%s holds %v, but the input is %s", spec, t.DType, typ)
		}
		return t, nil
	}
	return ParseValue(spec, dt)
}

// WriteTensors writes named results to a .npy file (exactly one tensor) or a
// .safetensors file, safely (see WriteFile). names and ts must have the same
// length, the names must be distinct and not empty, and every tensor well
// formed (CheckTensor: not nil, and as many values as its shape holds);
// anything else is an error, and nothing is written.
func WriteTensors(path string, names []string, ts []*Tensor) (err error) {
	defer recoverInternal(&err)
	if path == "" {
		return errors.New("WriteTensors: empty file name")
	}
	if len(names) != len(ts) {
		return fmt.Errorf("%s: %d names for %d tensors", path, len(names), len(ts))
	}
	seen := map[string]bool{}
	for i, t := range ts {
		if t == nil {
			return fmt.Errorf("%s: tensor %d (%q) is nil", path, i, names[i])
		}
		if names[i] == "" {
			return fmt.Errorf("%s: tensor %d has an empty name", path, i)
		}
		if seen[names[i]] {
			return fmt.Errorf("%s: the name %q appears twice", path, names[i])
		}
		seen[names[i]] = true
		if err := CheckTensor(t); err != nil {
			return fmt.Errorf("%s: tensor %q: %v", path, names[i], err)
		}
	}
	switch filepath.Ext(path) {
	case ".npy":
		if len(ts) != 1 {
			return fmt.Errorf("%s: a .npy file holds one tensor, there are %d (use .safetensors)", path, len(ts))
		}
		return data.SaveNPY(path, ts[0])
	case ".safetensors":
		m := map[string]*Tensor{}
		for i, n := range names {
			m[n] = ts[i]
		}
		return data.SaveSafetensors(path, m)
	}
	return fmt.Errorf("%s: want a .npy or .safetensors file", path)
}

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
