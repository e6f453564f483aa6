package ops

import "github.com/nnclang/nnc/kernels"

// Kernel scratch: besides the arenas of a plan, some kernels own buffers
// that grow with the data (a matrix product's packed panels, a
// convolution's im2col columns, a fused program's tiles, a variance's
// means), allocated as the kernel is prepared and on its first call. An op
// whose kernel keeps such buffers says how large they are (Op.Scratch), so
// that the runtime can check the memory limit against the arenas and the
// scratch together before it allocates either. The kernels' bookkeeping
// (structs, closures, index vectors of the rank's length: a few KiB per
// step) is not counted. runtime's TestScratchBoundsKernelAllocations checks
// every rule against what the kernel allocates.

// ScratchFunc is the bytes of the buffers the kernel of node n allocates for
// operands of concrete shapes in and a result of shape out, with f32 (true)
// or f64 elements. Counts saturate (kernels.MulBytes, AddBytes) instead of
// wrapping around.
type ScratchFunc func(n *Node, in [][]int, out []int, f32 bool) int64

// elemSize is the bytes of one f32 (f32 true) or f64 element.
func elemSize(f32 bool) int64 {
	if f32 {
		return 4
	}
	return 8
}

// elems64 is the element count of a concrete shape, saturating.
func elems64(s []int) int64 {
	n := int64(1)
	for _, d := range s {
		n = kernels.MulBytes(n, int64(d))
	}
	return n
}

// counts is the element counts of shapes.
func counts(shapes [][]int) []int64 {
	out := make([]int64, len(shapes))
	for i, s := range shapes {
		out[i] = elems64(s)
	}
	return out
}
