// Package tensor holds nnc's dense tensors: an element type, a concrete shape
// and one typed, row-major slice. It is a leaf package: kernels, the IR and the
// runtime all use it.
package tensor

import (
	"fmt"
	"strings"
)

// DType is an element type.
type DType uint8

// The element types of the language.
const (
	Invalid DType = iota
	F32
	F64
	I32
	I64
	Bool
)

var dtypeNames = [...]string{"invalid", "f32", "f64", "i32", "i64", "bool"}

// String returns the .nn spelling of the type ("f32").
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", d)
}

// ParseDType reads an element type as spelled in .nn source.
func ParseDType(s string) (DType, bool) {
	for i, n := range dtypeNames {
		if i > 0 && n == s {
			return DType(i), true
		}
	}
	return Invalid, false
}

// IsFloat reports whether d is f32 or f64.
func (d DType) IsFloat() bool { return d == F32 || d == F64 }

// IsInt reports whether d is i32 or i64.
func (d DType) IsInt() bool { return d == I32 || d == I64 }

// Size is the number of bytes of one element.
func (d DType) Size() int {
	switch d {
	case F32, I32:
		return 4
	case F64, I64:
		return 8
	case Bool:
		return 1
	}
	return 0
}

// Tensor is a dense row-major tensor. Exactly one of the typed slices, the one
// matching DType, holds the data; its length is the product of Shape.
type Tensor struct {
	DType DType
	Shape []int
	F32   []float32
	F64   []float64
	I32   []int32
	I64   []int64
	Bool  []bool
}

// NumElems is the product of the dimensions of shape (1 for a scalar).
func NumElems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// New allocates a zero tensor.
func New(dt DType, shape ...int) *Tensor {
	t := &Tensor{DType: dt, Shape: append([]int(nil), shape...)}
	n := NumElems(shape)
	switch dt {
	case F32:
		t.F32 = make([]float32, n)
	case F64:
		t.F64 = make([]float64, n)
	case I32:
		t.I32 = make([]int32, n)
	case I64:
		t.I64 = make([]int64, n)
	case Bool:
		t.Bool = make([]bool, n)
	default:
		panic("tensor.New: invalid dtype")
	}
	return t
}

// FromFloat64s builds a tensor of type dt from float64 values (converted).
func FromFloat64s(dt DType, shape []int, v []float64) *Tensor {
	if len(v) != NumElems(shape) {
		panic(fmt.Sprintf("tensor.FromFloat64s: %d values for shape %v", len(v), shape))
	}
	t := New(dt, shape...)
	for i, x := range v {
		t.Set(i, x)
	}
	return t
}

// Len is the number of elements.
func (t *Tensor) Len() int { return NumElems(t.Shape) }

// At returns element i (flat index) as a float64.
func (t *Tensor) At(i int) float64 {
	switch t.DType {
	case F32:
		return float64(t.F32[i])
	case F64:
		return t.F64[i]
	case I32:
		return float64(t.I32[i])
	case I64:
		return float64(t.I64[i])
	case Bool:
		if t.Bool[i] {
			return 1
		}
		return 0
	}
	panic("tensor.At: invalid dtype")
}

// Set stores v (converted to the tensor's type) at flat index i.
func (t *Tensor) Set(i int, v float64) {
	switch t.DType {
	case F32:
		t.F32[i] = float32(v)
	case F64:
		t.F64[i] = v
	case I32:
		t.I32[i] = int32(v)
	case I64:
		t.I64[i] = int64(v)
	case Bool:
		t.Bool[i] = v != 0
	default:
		panic("tensor.Set: invalid dtype")
	}
}

// Float64s returns a copy of the data as float64 values.
func (t *Tensor) Float64s() []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		out[i] = t.At(i)
	}
	return out
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := New(t.DType, t.Shape...)
	c.CopyFrom(t)
	return c
}

// CopyFrom copies src's data into t; the types and element counts must match.
func (t *Tensor) CopyFrom(src *Tensor) {
	if t.DType != src.DType || t.Len() != src.Len() {
		panic(fmt.Sprintf("tensor.CopyFrom: %v%v from %v%v", t.DType, t.Shape, src.DType, src.Shape))
	}
	switch t.DType {
	case F32:
		copy(t.F32, src.F32)
	case F64:
		copy(t.F64, src.F64)
	case I32:
		copy(t.I32, src.I32)
	case I64:
		copy(t.I64, src.I64)
	case Bool:
		copy(t.Bool, src.Bool)
	}
}

// Zero sets every element to zero.
func (t *Tensor) Zero() {
	clear(t.F32)
	clear(t.F64)
	clear(t.I32)
	clear(t.I64)
	clear(t.Bool)
}

// String prints the type and, for small tensors, the values.
func (t *Tensor) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v%v", t.DType, t.Shape)
	if n := t.Len(); n <= 16 {
		sb.WriteString(" [")
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(' ')
			}
			fmt.Fprintf(&sb, "%g", t.At(i))
		}
		sb.WriteByte(']')
	}
	return sb.String()
}
