package nnc

import (
	"errors"
	"fmt"
	"math"

	"github.com/nnclang/nnc/tensor"
)

// CheckTensor reports whether t is a well-formed tensor: not nil, of a known
// element type, with non-negative dimensions and exactly as many elements in
// its data slice as its shape says.
func CheckTensor(t *Tensor) error {
	if t == nil {
		return errors.New("nil tensor")
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return fmt.Errorf("shape %v has more elements than this machine can address", t.Shape)
		}
		n *= d
	}
	var have int
	switch t.DType {
	case tensor.F32:
		have = len(t.F32)
	case tensor.F64:
		have = len(t.F64)
	case tensor.I32:
		have = len(t.I32)
	case tensor.I64:
		have = len(t.I64)
	case tensor.Bool:
		have = len(t.Bool)
	default:
		return fmt.Errorf("unknown element type %v", t.DType)
	}
	if have != n {
		return fmt.Errorf("%v%v holds %d elements, its shape says %d", t.DType, t.Shape, have, n)
	}
	return nil
}
