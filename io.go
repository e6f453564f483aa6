package nnc

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
)

// ReadValue reads an input value: a .npy file, or inline JSON (a number or
// nested arrays) converted to the element type of typ ("f32[B, 64]").
func ReadValue(spec string, typ string) (*Tensor, error) {
	dt := typ
	if i := strings.IndexByte(dt, '['); i >= 0 {
		dt = dt[:i]
	}
	if strings.HasSuffix(spec, ".npy") {
		t, err := data.LoadNPY(spec)
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
// length, the names must be distinct and not empty, and no tensor may be
// nil; anything else is an error.
func WriteTensors(path string, names []string, ts []*Tensor) error {
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

// LoadParams reads parameters from a safetensors file; every parameter of the
// model must be present with its declared type.
func (f *Func) LoadParams(path string) error {
	m, err := data.LoadSafetensors(path)
	if err != nil {
		return err
	}
	return setParams(f.store, append(append([]*ops.Node{}, f.low.Params...), f.low.States...), m, path)
}

// SaveParams writes the parameters to a safetensors file, named by path.
func (f *Func) SaveParams(path string) error {
	return saveParams(f.store, append(append([]*ops.Node{}, f.low.Params...), f.low.States...), path)
}
