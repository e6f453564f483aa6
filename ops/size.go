package ops

import (
	"fmt"
	"math/bits"
)

// MaxTensorBytes is the size of the largest tensor nnc accepts: 2^48 bytes
// (256 TiB). It is Go's largest possible allocation on 64-bit platforms,
// so a larger tensor could never be allocated whatever the machine; element
// counts, byte sizes and FLOPs of tensors within it cannot overflow int64.
// A shape over it is a compile-time error when its dimensions are
// constants, and a plan-time error when they come from shape variables.
const MaxTensorBytes int64 = 1 << 48

// CheckedNumElems is the number of elements of a concrete shape. A negative
// dimension, or a product that does not fit in int64, is an error.
func CheckedNumElems(dims []int) (int64, error) {
	n := uint64(1)
	overflow := false
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d of %s is negative", d, ShapeOf(dims...).String())
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > 1<<63-1 {
			overflow = true // a later 0 still makes the product 0
			n = 1
			continue
		}
		n = lo
	}
	for _, d := range dims {
		if d == 0 {
			return 0, nil
		}
	}
	if overflow {
		return 0, fmt.Errorf("the shape %s has more elements than int64 can count", ShapeOf(dims...).String())
	}
	return int64(n), nil
}

// CheckedBytes is the size in bytes of a tensor of element type dt and the
// concrete shape dims; a size over MaxTensorBytes is an error that gives
// the size (or says it overflows) and the limit.
func CheckedBytes(dt DType, dims []int) (int64, error) {
	n, err := CheckedNumElems(dims)
	if err != nil {
		return 0, fmt.Errorf("%v%s is too large: %w (the limit is %d bytes)", dt, ShapeOf(dims...).String(), err, MaxTensorBytes)
	}
	size := int64(dt.Size())
	if size <= 0 {
		size = 1
	}
	if n > MaxTensorBytes/size {
		return 0, fmt.Errorf("%v%s is too large: %d elements of %d bytes, more than the limit of %d bytes (2^48)",
			dt, ShapeOf(dims...).String(), n, size, MaxTensorBytes)
	}
	return n * size, nil
}

// CheckSize checks the part of t's size known at compile time: no
// dimension overflowed (DimOverflow) or is a negative constant, and the
// constant dimensions alone (the symbolic ones counted as 1) stay within
// MaxTensorBytes. A shape with symbolic dimensions is checked again once
// they have values (see CheckedBytes).
func (t Type) CheckSize() error {
	dims := make([]int, 0, len(t.Shape))
	for _, d := range t.Shape {
		if d.Overflowed() {
			return fmt.Errorf("%v is too large: a dimension overflows int64", t)
		}
		c, ok := d.IsConst()
		if !ok {
			continue
		}
		if c < 0 {
			return fmt.Errorf("%v has the negative dimension %d", t, c)
		}
		if c > MaxTensorBytes {
			return fmt.Errorf("%v is too large: dimension %d is more than the limit of %d bytes (2^48)", t, c, MaxTensorBytes)
		}
		dims = append(dims, int(c))
	}
	if _, err := CheckedBytes(t.DType, dims); err != nil {
		if len(dims) == len(t.Shape) {
			return err
		}
		return fmt.Errorf("%v is too large for any value of its shape variables: %w", t, err)
	}
	return nil
}
