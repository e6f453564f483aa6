package ops

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// DType is an element type; see the tensor package for the constants.
type DType = tensor.DType

// The element types, re-exported for users of the IR.
const (
	F32  = tensor.F32
	F64  = tensor.F64
	I32  = tensor.I32
	I64  = tensor.I64
	Bool = tensor.Bool
)

// Shape is a list of dimensions, possibly symbolic. A nil or empty Shape is a
// scalar.
type Shape []Dim

// ShapeOf builds a constant shape.
func ShapeOf(dims ...int) Shape {
	s := make(Shape, len(dims))
	for i, d := range dims {
		s[i] = DimConst(int64(d))
	}
	return s
}

// Rank is the number of axes.
func (s Shape) Rank() int { return len(s) }

// Equal reports whether two shapes are identical in normal form.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Concrete returns the shape as ints when every dimension is constant.
func (s Shape) Concrete() ([]int, bool) {
	out := make([]int, len(s))
	for i, d := range s {
		c, ok := d.IsConst()
		if !ok {
			return nil, false
		}
		out[i] = int(c)
	}
	return out, true
}

// Eval computes a concrete shape given values for the shape variables.
func (s Shape) Eval(env map[string]int64) ([]int, error) {
	out := make([]int, len(s))
	for i, d := range s {
		v, err := d.Eval(env)
		if err != nil {
			return nil, err
		}
		if v < 0 {
			return nil, fmt.Errorf("dimension %v is %d, negative", d, v)
		}
		out[i] = int(v)
	}
	return out, nil
}

// Subst replaces shape variables.
func (s Shape) Subst(env map[string]Dim) Shape {
	out := make(Shape, len(s))
	for i, d := range s {
		out[i] = d.Subst(env)
	}
	return out
}

// NumElems is the product of the dimensions (symbolic).
func (s Shape) NumElems() Dim {
	n := DimConst(1)
	for _, d := range s {
		n = n.Mul(d)
	}
	return n
}

// String prints "[B, 64]".
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Type is an element type with a shape: the type of every IR value.
type Type struct {
	DType DType
	Shape Shape
}

// String prints the type as in .nn source: "f32[B, 64]", or "f32" for a scalar.
func (t Type) String() string {
	if len(t.Shape) == 0 {
		return t.DType.String()
	}
	return t.DType.String() + t.Shape.String()
}

// Equal reports whether two types are identical.
func (t Type) Equal(o Type) bool { return t.DType == o.DType && t.Shape.Equal(o.Shape) }

// Scalar is the type of a scalar of element type dt.
func Scalar(dt DType) Type { return Type{DType: dt} }

// BroadcastShapes applies NumPy's rules to two shapes. Symbolic dims broadcast
// only when equal or when one side is the constant 1. The error names the axis
// (counted from the left of the result).
func BroadcastShapes(a, b Shape) (Shape, error) {
	n := max(len(a), len(b))
	out := make(Shape, n)
	one := DimConst(1)
	for i := 0; i < n; i++ {
		da, db := one, one
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == one:
			out[i] = db
		case db == one:
			out[i] = da
		default:
			return nil, fmt.Errorf("cannot broadcast %v with %v: axis %d is %v against %v", a, b, i, da, db)
		}
	}
	return out, nil
}

// NormAxis maps a possibly negative axis into [0, rank).
func NormAxis(axis, rank int) (int, error) {
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	return axis, nil
}
