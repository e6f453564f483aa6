// Package kernels holds nnc's compute kernels: loops over plain slices with
// concrete shapes, never IR nodes, that allocate nothing once prepared. It
// imports nothing of nnc; ops, its one importer, registers each kernel with
// its op and sizes the scratch memory the kernel asks for.
//
// # What is public
//
// Together with tensor, this package is the part of nnc that code outside
// the module may import: a Go package that nnc generates for a model calls
// the same kernels that ops calls when it runs the model. So the exported
// names are those that ops uses, and the rule for a new one is the same:
// export a kernel when an op's kernel calls it, and keep everything kernels
// uses only for itself unexported. Three more stay public for such code:
// GemmPlan with GemmScratch (a bare matrix product, what Matmul runs per
// batch) and X86.
// Exported:
//
//   - Element types: Float, Label.
//   - Broadcast walks: Bcast (NewBcast), Binary, Where.
//   - Elementwise rows: the unary rows (NegRow ... SignRow, ScaleRow,
//     SinRow ... ClipRow) and the binary rows (AddRow ... EqualRow); a row
//     with two operands also takes one repeated element for either.
//   - Reductions: SumTo, ReduceMax, ReduceMin, ReduceProd, SumSquares,
//     LogSumExp, ArgReduce; Softmax, CrossEntropy, OneHot; LayerNorm,
//     BatchNorm.
//   - Products and windows: Matmul, GemmPlan, Gemm, Conv, Pool, Transpose
//     and their kernels.
//   - Data movement: View (Gather, Scatter), Fill, Concat, Take,
//     ScatterAdd, GatherAlong, ScatterAddAlong.
//   - Random draws: Uniform, Normal, DropoutMask (counter-based).
//   - Fused programs: FusedInstr, FusedRows (an op's rows, which ops'
//     fusion descriptors hold), TileOp (the cheap ops' tile rows), Fused,
//     FusedReduce, FusedTile; optimizer updates: AdamCoef, SGDCoef,
//     UpdateTiles.
//   - Sizes, for planning memory before anything runs: MulBytes, AddBytes,
//     HeapBytes and the Scratch functions of the kernels that keep buffers.
//   - X86, the vector extensions found at start-up.
//
// Not exported: the vector code and the choice of it (simd*.go, the
// assembly), the parallel task machinery (parallel*.go and the worker
// pool), the loops behind each row, and the scalar references the tests
// check the tiled and vector code against.
//
// Every kernel trusts its caller for shapes: the IR's type rules have
// checked them before a kernel is prepared. A slice shorter than its shape
// says is a broken invariant and panics; it is never a user error.
package kernels

// Float is the element types the float kernels are written for.
type Float interface{ ~float32 | ~float64 }

// Label is the integer types of class labels and indices.
type Label interface{ ~int32 | ~int64 }
