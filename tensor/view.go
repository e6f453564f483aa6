package tensor

// View is a tensor of the given shape over arena's elements from off,
// sharing arena's storage (a buffer of a memory plan's arena). The caller
// checks that off and the shape's element count fit in arena.
func View(arena *Tensor, off int, shape []int) *Tensor {
	n := NumElems(shape)
	t := &Tensor{DType: arena.DType, Shape: shape}
	switch arena.DType {
	case F32:
		t.F32 = arena.F32[off : off+n : off+n]
	case F64:
		t.F64 = arena.F64[off : off+n : off+n]
	case I32:
		t.I32 = arena.I32[off : off+n : off+n]
	case I64:
		t.I64 = arena.I64[off : off+n : off+n]
	case Bool:
		t.Bool = arena.Bool[off : off+n : off+n]
	}
	return t
}
