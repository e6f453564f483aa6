package nnc

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// checkTensor validates a tensor given to the API: not nil, a known element
// type, no negative dimension, an element count that fits in an int, and
// as many values in the slice of its element type as its shape holds. kind
// and name name the tensor in the error ("input", "x"). It allocates only
// to report an error.
func checkTensor(kind, name string, t *Tensor) error {
	if t == nil {
		return fmt.Errorf("%s %s: %w", kind, name, errNilTensor)
	}
	if t.DType.Size() == 0 {
		return fmt.Errorf("%s %s: invalid element type %v", kind, name, t.DType)
	}
	n := 1
	for i, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("%s %s: dimension %d of shape %v is negative", kind, name, i, t.Shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return fmt.Errorf("%s %s: shape %v has more elements than an int counts", kind, name, t.Shape)
		}
		n *= d
	}
	if l := dataLen(t); l != n {
		return fmt.Errorf("%s %s: a tensor of type %s holds %d values, not %d", kind, name, typeString(t), l, n)
	}
	return nil
}

// checkInputs validates every tensor of an inputs map.
func checkInputs(inputs map[string]*Tensor) error {
	for name, t := range inputs {
		if err := checkTensor("input", name, t); err != nil {
			return err
		}
	}
	return nil
}

// dataLen is the length of the slice of t's element type.
func dataLen(t *Tensor) int {
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

// typeString prints a tensor's type as .nn spells it: "f32[32, 10]".
func typeString(t *Tensor) string {
	if len(t.Shape) == 0 {
		return t.DType.String()
	}
	parts := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		parts[i] = strconv.Itoa(d)
	}
	return t.DType.String() + "[" + strings.Join(parts, ", ") + "]"
}
