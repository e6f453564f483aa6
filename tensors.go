package nnc

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// DType is the element type of a tensor (see package tensor).
type DType = tensor.DType

// The element types of the language.
const (
	F32  = tensor.F32
	F64  = tensor.F64
	I32  = tensor.I32
	I64  = tensor.I64
	Bool = tensor.Bool
)

// ParseDType reads an element type as .nn spells it ("f32", "i64", "bool").
func ParseDType(s string) (DType, bool) { return tensor.ParseDType(s) }

// NewTensor allocates a tensor of zeros of element type dt and the given
// shape. An unknown element type, a negative dimension or a size this
// machine cannot address is an error, before anything is allocated.
func NewTensor(dt DType, shape ...int) (*Tensor, error) {
	if dt.Size() == 0 {
		return nil, fmt.Errorf("NewTensor: unknown element type %v", dt)
	}
	if err := runtime.CheckShape(dt, shape); err != nil {
		return nil, fmt.Errorf("NewTensor: %v", err)
	}
	return tensor.New(dt, shape...), nil
}

// TensorOf makes a tensor of element type dt and the given shape from
// values in row-major order, each converted to dt (for integers and bool, by
// Go's conversion of a float64; NaN and out-of-range values give what Go
// gives). There must be exactly as many values as the shape holds.
func TensorOf(dt DType, shape []int, values []float64) (*Tensor, error) {
	t, err := NewTensor(dt, shape...)
	if err != nil {
		return nil, err
	}
	if len(values) != t.Len() {
		return nil, fmt.Errorf("TensorOf: %d values for shape %v (%d elements)", len(values), shape, t.Len())
	}
	for i, v := range values {
		t.Set(i, v)
	}
	return t, nil
}

// LoadTensor reads one tensor from a .npy file (any other name is an
// error): its element type must be one of the language's, and its size
// within what this machine can address.
func LoadTensor(path string) (t *Tensor, err error) {
	defer recoverInternal(&err)
	if path == "" {
		return nil, errors.New("LoadTensor: empty file name")
	}
	if filepath.Ext(path) != ".npy" {
		return nil, fmt.Errorf("%s: LoadTensor reads .npy files", path)
	}
	return data.LoadNPY(path)
}

// WriteTensors writes named tensors to a .npy file (exactly one tensor) or a
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
