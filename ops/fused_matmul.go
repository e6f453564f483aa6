package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// fused_matmul is a matmul followed by an elementwise epilogue (a bias, an
// activation) applied to its result in place, tile by tile, so that the
// product needs no buffer of its own and the epilogue's ops no pass each:
// fused_matmul(x, w, e1, e2, ...) with the matmul's
// attributes (transpose_x, transpose_w) and a fused_elementwise program
// (see there) whose operand x0 is the product and x1, x2, ... are e1, e2,
// ... "shape" is the product's shape, which every eK broadcasts to.

// Handles of the ops this file registers.
var (
	// FusedMatmul is the op "fused_matmul": x @ w followed by an elementwise epilogue program
	FusedMatmul *Op
)

func init() {
	Register(&FusedMatmul, &Op{
		Name: "fused_matmul", Arity: -1,
		Flops:   fusedMatmulFlops,
		Scratch: fusedMatmulScratch,
		Workspace: func(n *Node, in [][]int, out []int, f32 bool) int64 {
			return matmulWorkspace(n, in[:2], out, f32)
		},
		Doc: "x @ w followed by an elementwise epilogue program " +
			"(attributes transpose_x, transpose_w, program, shape, dtype; made by the optimizer)",
		Infer: func(in []Type, a Attrs) (Type, error) {
			if len(in) < 2 {
				return Type{}, &InferError{"fused_matmul", fmt.Sprintf("needs x and w, got %d operands", len(in))}
			}
			mt, err := matmulInfer(in[:2], a)
			if err != nil {
				return Type{}, err
			}
			if s := a.Shape("shape"); !s.Equal(mt.Shape) {
				return Type{}, &InferError{"fused_matmul", fmt.Sprintf("shape %v is not the product's %v", s, mt.Shape)}
			}
			return fusedInfer("fused_matmul", append([]Type{mt}, in[2:]...), a)
		},
		NoGrad: "fusion runs after differentiation",
		Rows:   matmulRows,
		Kernel: func(n *Node, in [][]int, out []int) (KernelFunc, error) {
			prog, imms, err := ParseFused(n.Attrs.Str("program", ""), len(in)-1)
			if err != nil {
				return nil, err
			}
			// The product is the matmul op's own kernel, so that it is
			// bitwise what the unfused matmul computes.
			mm := &Node{ID: n.ID, Op: Matmul, In: n.In[:2], Attrs: n.Attrs, Type: n.Type, Pos: n.Pos}
			p, err := mm.Op.Kernel(mm, in[:2], out)
			if err != nil {
				return nil, err
			}
			shapes := append([][]int{out}, in[2:]...)
			switch n.Type.DType {
			case F32:
				f, err := newFusedRunner[float32](prog, imms, out, shapes)
				if err != nil {
					return nil, err
				}
				return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					p(ctx, o, in[:2])
					f.SetInput(0, o.F32)
					for k, x := range in[2:] {
						f.SetInput(k+1, x.F32)
					}
					f.Run(o.F32) // in place: each tile is read before it is written
				}, nil
			case F64:
				f, err := newFusedRunner[float64](prog, imms, out, shapes)
				if err != nil {
					return nil, err
				}
				return func(ctx *Ctx, o *tensor.Tensor, in []*tensor.Tensor) {
					p(ctx, o, in[:2])
					f.SetInput(0, o.F64)
					for k, x := range in[2:] {
						f.SetInput(k+1, x.F64)
					}
					f.Run(o.F64)
				}, nil
			}
			return nil, fmt.Errorf("fused_matmul: no kernel for %v", n.Type.DType)
		},
	})
}

// fusedMatmulFlops is the product's FLOPs and the epilogue program's.
func fusedMatmulFlops(n *Node, in [][]int, out []int) int64 {
	return satAdd(matmulFlops(n, in[:2], out), programFlops(n, len(in)-1, out))
}

// fusedMatmulScratch is the product's panels and the epilogue's tiles.
func fusedMatmulScratch(n *Node, in [][]int, out []int, f32 bool) int64 {
	shapes := append([][]int{out}, in[2:]...)
	return kernels.AddBytes(matmulScratch(n, in, out, f32),
		fusedRunnerScratch(n.Attrs.Str("program", ""), shapes, out, f32))
}
