package ops

import (
	"fmt"

	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// rowWeightMaxBytes bounds the weight of a product that runs by ranges of
// rows: each range reads all of it (split by columns, each core reads its
// part). The LSTM of bench/lstm.nn (a 256 KiB weight) ran its training
// step at two threads 0.83 times as long in row regions; models/char_lstm.nn
// (4 MiB weights) as long as without (538 and 546 ms); larger weights are
// not measured.
const rowWeightMaxBytes = 4 << 20

// matmulRows is the RowSplit of a product x @ w by a param w (matmul's, or
// fused_matmul's with its epilogue program): x [m, k] untransposed, w
// [k, n] or transposed, the epilogue's operands in[2:] each [m, n] or
// [m, 1] (row r reads its row) or broadcast across the rows. The weight is
// packed once a run (RowSplit.Prepare), into the plan's PackCache where the
// other products by it find it.
func matmulRows(n *Node, in [][]int, out []int) *RowSplit {
	tx, tw := matmulFlags(n.Attrs)
	if tx || len(in[0]) != 2 || len(in[1]) != 2 || len(out) != 2 || n.In[1].Op != Param {
		return nil
	}
	m, k, cols := in[0][0], in[0][1], out[1]
	if int64(k)*int64(cols)*int64(n.Type.DType.Size()) > rowWeightMaxBytes {
		return nil
	}
	maps := []RowMap{rowsOf(in[0]), nil}
	for _, s := range in[2:] {
		switch {
		case len(s) == 2 && s[0] == m:
			maps = append(maps, rowsOf(s))
		case len(s) <= 1 || s[0] == 1:
			maps = append(maps, nil)
		default:
			return nil
		}
	}
	var prog []kernels.FusedInstr
	var imms []float64
	shapes := append([][]int{out}, in[2:]...)
	var epilogue int64 // the bytes of the epilogue's tiles
	if n.Op == FusedMatmul {
		var err error
		text := n.Attrs.Str("program", "")
		if prog, imms, err = ParseFused(text, len(in)-1); err != nil {
			return nil
		}
		epilogue = fusedScratch(text, shapes, elems64(out), n.Type.DType == F32)
	}
	ldb := cols
	if tw {
		ldb = k
	}
	var s *RowSplit
	switch n.Type.DType {
	case F32:
		s = productRows(m, k, cols, ldb, tw, maps, prog, imms, shapes, func(t *tensor.Tensor) []float32 { return t.F32 })
		s.PartBytes = kernels.RowPartBytes[float32]()
	case F64:
		s = productRows(m, k, cols, ldb, tw, maps, prog, imms, shapes, func(t *tensor.Tensor) []float64 { return t.F64 })
		s.PartBytes = kernels.RowPartBytes[float64]()
	default:
		return nil
	}
	s.PartBytes = kernels.AddBytes(s.PartBytes, epilogue)
	return s
}

// productRows is matmulRows for element type T, get the data of a tensor.
func productRows[T kernels.Float](m, k, cols, ldb int, tw bool, maps []RowMap, prog []kernels.FusedInstr, imms []float64,
	shapes [][]int, get func(*tensor.Tensor) []T) *RowSplit {
	// Made when the plan first runs (Prepare and Part run on the
	// goroutine that runs the plan), not when it is built.
	var prod *kernels.RowProduct[T]
	product := func() *kernels.RowProduct[T] {
		if prod == nil {
			prod = kernels.NewRowProduct[T](tw, m, cols, k)
		}
		return prod
	}
	return &RowSplit{
		Rows: m, Out: rowsOf(shapes[0]), In: maps,
		Workspace: kernels.RowPartWorkspace[T](m, k),
		Prepare:   func(ctx *Ctx, in []*tensor.Tensor) { product().Pack(ctx.Packs, get(in[1]), ldb) },
		Part: func() RowFunc {
			rp := product().Part()
			var f *kernels.Fused[T]
			if prog != nil {
				var err error
				if f, err = kernels.NewFused[T](prog, imms, shapes[0], shapes); err != nil {
					// the step's kernel, prepared before, made the same program
					panic(fmt.Sprintf("fused_matmul rows: %v", err))
				}
			}
			return func(ws *kernels.Workspace, o *tensor.Tensor, in []*tensor.Tensor, lo, hi int) {
				c := get(o)
				rp.Run(ws, get(in[0]), k, c, cols, lo, hi)
				if f == nil {
					return
				}
				f.SetInput(0, c)
				for j, e := range in[2:] {
					f.SetInput(j+1, get(e))
				}
				// in place, a tile at a time: each element is computed
				// the same way wherever its tile starts (kernels.Chunks)
				for at, end := lo*cols, hi*cols; at < end; {
					e := min(end, (at/kernels.FusedTile+1)*kernels.FusedTile)
					f.Range(c[at:e], at)
					at = e
				}
			}
		},
	}
}
