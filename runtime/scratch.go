package runtime

import (
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Kernel scratch: besides the arenas, a plan's kernels own buffers of their
// own (a matrix product's packed panels, a convolution's im2col columns, a
// fused program's tiles, a variance's means), allocated when the plan
// first runs, as its kernels are prepared and on their first call. A plan
// computes their size from its shapes when it is built (ScratchBytes), and
// the memory limit is checked against the arenas and the scratch together
// before either is allocated.
//
// The scratch of a step is what its op declares (ops.Op.Scratch, computed
// with the kernels package's size functions); ops whose kernels keep no
// buffer that grows with the data declare none. The kernels' bookkeeping
// (structs, closures, index vectors of the rank's length: a few KiB per
// step) is not counted, as the plan's own is not.
// TestScratchBoundsKernelAllocations checks the sizes against what every
// op's kernel allocates.

// stepScratch is the bytes of the buffers the kernel of n allocates for
// operands of shapes in and a result of shape out.
func stepScratch(n *ops.Node, in [][]int, out []int) int64 {
	if n.Op.Scratch == nil {
		return 0
	}
	return n.Op.Scratch(n, in, out, n.Type.DType == tensor.F32)
}

// stepWorkspace is the elements of n's dtype that the kernel of n borrows
// from the plan's workspace while it runs (a part of stepScratch).
func stepWorkspace(n *ops.Node, in [][]int, out []int) int64 {
	if n.Op.Workspace == nil {
		return 0
	}
	return n.Op.Workspace(n, in, out, n.Type.DType == tensor.F32)
}
