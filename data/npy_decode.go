package data

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/nnclang/nnc/tensor"
)

// decodeNPYRange decodes the elements of b (of type nt) into t from
// element i0 on. len(b) is a multiple of nt.size.
func decodeNPYRange(t *tensor.Tensor, i0 int, b []byte, nt npyType) error {
	bo, n := nt.order, len(b)/nt.size
	switch {
	case nt.kind == 'b':
		for i, v := range b {
			if v > 1 {
				return fmt.Errorf("bool element %d is %d, not 0 or 1", i0+i, v)
			}
			t.Bool[i0+i] = v == 1
		}
	case nt.kind == 'f' && nt.size == 2:
		for i := range n {
			t.F32[i0+i] = halfToFloat(bo.Uint16(b[2*i:]))
		}
	case nt.kind == 'f' && nt.size == 4:
		for i := range n {
			t.F32[i0+i] = math.Float32frombits(bo.Uint32(b[4*i:]))
		}
	case nt.kind == 'f':
		for i := range n {
			t.F64[i0+i] = math.Float64frombits(bo.Uint64(b[8*i:]))
		}
	case nt.size == 1:
		for i, v := range b {
			if nt.kind == 'i' {
				t.I32[i0+i] = int32(int8(v))
			} else {
				t.I32[i0+i] = int32(v)
			}
		}
	case nt.size == 2:
		for i := range n {
			if v := bo.Uint16(b[2*i:]); nt.kind == 'i' {
				t.I32[i0+i] = int32(int16(v))
			} else {
				t.I32[i0+i] = int32(v)
			}
		}
	case nt.size == 4 && nt.kind == 'i':
		for i := range n {
			t.I32[i0+i] = int32(bo.Uint32(b[4*i:]))
		}
	case nt.size == 4:
		for i := range n {
			t.I64[i0+i] = int64(bo.Uint32(b[4*i:]))
		}
	default:
		return decodeNPY64(t, i0, b, nt.kind, bo)
	}
	return nil
}

// decodeNPY64 decodes int64 and uint64 elements; a uint64 above the i64
// range is an error.
func decodeNPY64(t *tensor.Tensor, i0 int, b []byte, kind byte, bo binary.ByteOrder) error {
	for i := range len(b) / 8 {
		v := bo.Uint64(b[8*i:])
		if kind == 'u' && v > math.MaxInt64 {
			return fmt.Errorf("uint64 element %d is %d, beyond the i64 range", i0+i, v)
		}
		t.I64[i0+i] = int64(v)
	}
	return nil
}

// halfToFloat converts an IEEE 754 half-precision number (exactly).
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac·2^-24
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}

// fortranOrder returns, for each element of an array of shape dims in C
// order, its index in the array's Fortran-order (column-major) layout.
func fortranOrder(dims []int) []int {
	n := tensor.NumElems(dims)
	out := make([]int, n)
	strides := make([]int, len(dims))
	s := 1
	for k := range dims {
		strides[k] = s
		s *= dims[k]
	}
	idx := make([]int, len(dims))
	src := 0
	for i := range n {
		out[i] = src
		for k := len(dims) - 1; k >= 0; k-- {
			idx[k]++
			src += strides[k]
			if idx[k] < dims[k] {
				break
			}
			src -= strides[k] * dims[k]
			idx[k] = 0
		}
	}
	return out
}

// permute returns src reordered: out[i] = src[order[i]].
func permute[T any](src []T, order []int) []T {
	out := make([]T, len(src))
	for i, j := range order {
		out[i] = src[j]
	}
	return out
}

// fortranToC reorders bytes read in Fortran order to C order.
func fortranToC(b []byte, dims []int) []byte {
	return permute(b, fortranOrder(dims))
}

// fortranTensor reorders a tensor whose data was read in Fortran order
// (with its C-order shape) to C order.
func fortranTensor(t *tensor.Tensor) *tensor.Tensor {
	order := fortranOrder(t.Shape)
	out := &tensor.Tensor{DType: t.DType, Shape: t.Shape}
	switch t.DType {
	case tensor.F32:
		out.F32 = permute(t.F32, order)
	case tensor.F64:
		out.F64 = permute(t.F64, order)
	case tensor.I32:
		out.I32 = permute(t.I32, order)
	case tensor.I64:
		out.I64 = permute(t.I64, order)
	case tensor.Bool:
		out.Bool = permute(t.Bool, order)
	}
	return out
}
