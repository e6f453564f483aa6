package data

import (
	"fmt"

	"github.com/nnclang/nnc/tensor"
)

// ByteArray is an array kept as one byte per element — the pixels of IDX
// and NPY images, for example — and converted to a tensor of DType row by
// row, when a batch is filled (Batches) or a subset is taken. A 60,000-image
// MNIST training set takes 47 MB this way, a quarter of what f32 would.
// Data may be memory-mapped from the file (see Options.NoMap); it is never
// written through.
type ByteArray struct {
	// Shape is the array's shape; Shape[0] is the number of rows.
	Shape []int
	// Data holds the elements, row-major; len(Data) is the product of Shape.
	Data []byte
	// Signed reads each byte as an int8 (−128..127) instead of 0..255.
	Signed bool
	// DType is the element type the rows convert to: F32 (value × Scale),
	// F64 (value × Scale), I32 or I64 (the value itself).
	DType tensor.DType
	// Scale multiplies each value converted to a float type (1/255 maps
	// pixels to [0, 1]); 0 means 1. Integer conversions ignore it.
	Scale float64
}

// check reports why b is not a well-formed byte array, or nil.
func (b *ByteArray) check() error {
	if b == nil {
		return fmt.Errorf("nil byte array")
	}
	if len(b.Shape) == 0 {
		return fmt.Errorf("a scalar; arrays need a leading example dimension")
	}
	n, err := checkedElems(b.Shape, len(b.Data))
	if err != nil || n != len(b.Data) {
		return fmt.Errorf("shape %v does not match its %d bytes", b.Shape, len(b.Data))
	}
	switch b.DType {
	case tensor.F32, tensor.F64, tensor.I32, tensor.I64:
		return nil
	}
	return fmt.Errorf("bytes cannot convert to %v", b.DType)
}

// scale is the effective Scale.
func (b *ByteArray) scale() float64 {
	if b.Scale == 0 {
		return 1
	}
	return b.Scale
}

// Tensor converts the whole array to a new tensor of b.DType (a copy the
// size of the converted array).
func (b *ByteArray) Tensor() *tensor.Tensor {
	t := tensor.New(b.DType, b.Shape...)
	b.convert(t, 0, b.Data)
	return t
}

// convert writes the elements src (a part of b.Data) into t from element
// i0 on.
func (b *ByteArray) convert(t *tensor.Tensor, i0 int, src []byte) {
	s := b.scale()
	switch t.DType {
	case tensor.F32:
		dst := t.F32[i0 : i0+len(src)]
		if b.Signed {
			for i, v := range src {
				dst[i] = float32(float64(int8(v)) * s)
			}
			return
		}
		// One multiplication per byte value, then a table lookup.
		var lut [256]float32
		for v := range lut {
			lut[v] = float32(float64(v) * s)
		}
		for i, v := range src {
			dst[i] = lut[v]
		}
	case tensor.F64:
		dst := t.F64[i0 : i0+len(src)]
		for i := range src {
			dst[i] = b.valueOf(src[i]) * s
		}
	case tensor.I32:
		dst := t.I32[i0 : i0+len(src)]
		for i := range src {
			dst[i] = int32(b.valueOf(src[i]))
		}
	case tensor.I64:
		dst := t.I64[i0 : i0+len(src)]
		for i := range src {
			dst[i] = int64(b.valueOf(src[i]))
		}
	default:
		panic("data: byte array of invalid dtype")
	}
}

// valueOf is the number a byte of b stands for.
func (b *ByteArray) valueOf(v byte) float64 {
	if b.Signed {
		return float64(int8(v))
	}
	return float64(v)
}

// rowLen is the number of elements of one row.
func (b *ByteArray) rowLen() int { return tensor.NumElems(b.Shape[1:]) }

// copyRowTo converts row j of b into row i of dst (a tensor of b.DType and
// b's row shape).
func (b *ByteArray) copyRowTo(dst *tensor.Tensor, i, j int) {
	r := b.rowLen()
	b.convert(dst, i*r, b.Data[j*r:(j+1)*r])
}

// subset returns the rows idx of b, copied.
func (b *ByteArray) subset(idx []int) *ByteArray {
	r := b.rowLen()
	out := &ByteArray{Shape: append([]int{len(idx)}, b.Shape[1:]...), Data: make([]byte, len(idx)*r),
		Signed: b.Signed, DType: b.DType, Scale: b.Scale}
	for i, j := range idx {
		copy(out.Data[i*r:(i+1)*r], b.Data[j*r:(j+1)*r])
	}
	return out
}
