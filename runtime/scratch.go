package runtime

import (
	"github.com/nnclang/nnc/kernels"
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
// The scratch of a step is what the kernels package computes for the
// buffers of the op's kernel (scratchRules); ops whose kernels keep no
// buffer that grows with the data have none. The kernels' bookkeeping
// (structs, closures, index vectors of the rank's length: a few KiB per
// step) is not counted, as the plan's own is not.
// TestScratchBoundsKernelAllocations checks the sizes against what every
// op's kernel allocates.

// stepScratch is the bytes of the buffers the kernel of n allocates for
// operands of shapes in and a result of shape out.
func stepScratch(n *ops.Node, in [][]int, out []int) int64 {
	rule := scratchRules[n.Op]
	if rule == nil {
		return 0
	}
	return rule(n, in, out, n.Type.DType == tensor.F32)
}

// scratchRule is the shape-dependent scratch of one op's kernel, for f32
// (f32 true) or f64 elements.
type scratchRule func(n *ops.Node, in [][]int, out []int, f32 bool) int64

// scratchRules holds the ops whose kernels keep buffers that grow with the
// shapes. The other ops' kernels keep only what the per-step allowance
// covers.
var scratchRules map[*ops.Op]scratchRule

func init() {
	reduce := func(n *ops.Node, in [][]int, out []int, f32 bool) int64 {
		return reduceScratch(in[0], out, f32)
	}
	// var, std and logsumexp keep one value per result element (the means,
	// the maxima) besides the reduction's.
	withRow := func(n *ops.Node, in [][]int, out []int, f32 bool) int64 {
		return kernels.AddBytes(reduceScratch(in[0], out, f32), kernels.HeapBytes(kernels.MulBytes(elems64(out), elemSize(f32))))
	}
	scratchRules = map[*ops.Op]scratchRule{
		ops.Matmul: func(n *ops.Node, in [][]int, out []int, f32 bool) int64 {
			return matmulScratch(n, in[0], in[1], f32)
		},
		ops.FusedMatmul: func(n *ops.Node, in [][]int, out []int, f32 bool) int64 {
			shapes := append([][]int{out}, in[2:]...)
			return kernels.AddBytes(matmulScratch(n, in[0], in[1], f32),
				fusedScratch(n.Attrs.Str("program", ""), shapes, elems64(out), f32))
		},
		ops.Attention:        attentionScratch,
		ops.Conv1D:           convScratch(0, 1, -1, 1),
		ops.Conv1DInputGrad:  convScratch(-1, 1, 0, 1),
		ops.Conv1DWeightGrad: convScratch(0, -1, 1, 1),
		ops.Conv2D:           convScratch(0, 1, -1, 2),
		ops.Conv2DInputGrad:  convScratch(-1, 1, 0, 2),
		ops.Conv2DWeightGrad: convScratch(0, -1, 1, 2),
		ops.FusedElementwise: func(n *ops.Node, in [][]int, out []int, f32 bool) int64 {
			return fusedScratch(n.Attrs.Str("program", ""), in, elems64(out), f32)
		},
		ops.FusedReduce: func(n *ops.Node, in [][]int, out []int, f32 bool) int64 {
			nInstr, nImms := fusedCounts(n.Attrs.Str("program", ""), len(in))
			if f32 {
				return kernels.FusedReduceScratch[float32](nInstr, nImms, counts(in))
			}
			return kernels.FusedReduceScratch[float64](nInstr, nImms, counts(in))
		},
		ops.FusedSGD:  updateScratch(3),
		ops.FusedAdam: updateScratch(6),
		ops.Sum:       reduce,
		ops.Mean:      reduce,
		ops.Max:       reduce,
		ops.Min:       reduce,
		ops.SumTo:     reduce,
		ops.Var:       withRow,
		ops.Std:       withRow,
		ops.Logsumexp: withRow,
	}
}

func elemSize(f32 bool) int64 {
	if f32 {
		return 4
	}
	return 8
}

// elems64 is the element count of a shape (the plan has checked it).
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

func reduceScratch(src, dst []int, f32 bool) int64 {
	if f32 {
		return kernels.ReduceScratch[float32](src, elems64(dst))
	}
	return kernels.ReduceScratch[float64](src, elems64(dst))
}

func matmulScratch(n *ops.Node, x, w []int, f32 bool) int64 {
	tx, tw := n.Attrs.Bool("transpose_x", false), n.Attrs.Bool("transpose_w", false)
	if f32 {
		return kernels.MatmulScratch[float32](x, w, tx, tw)
	}
	return kernels.MatmulScratch[float64](x, w, tx, tw)
}

// attentionScratch is the scores of one batch ([Tq, Tk]), the mask's
// per-batch offsets and the two products of a batch: q·kᵀ and scores·v.
func attentionScratch(n *ops.Node, in [][]int, out []int, f32 bool) int64 {
	q, k, v := in[0], in[1], in[2]
	r := len(q)
	tq, tk, d, dv := q[r-2], k[r-2], q[r-1], v[r-1]
	b := kernels.HeapBytes(kernels.MulBytes(int64(tq), int64(tk), elemSize(f32)))
	if len(in) == 4 {
		b = kernels.AddBytes(b, kernels.HeapBytes(kernels.MulBytes(elems64(q[:r-2]), 8)))
	}
	qk, pv := kernels.MatmulScratch[float64], kernels.MatmulScratch[float64]
	if f32 {
		qk, pv = kernels.MatmulScratch[float32], kernels.MatmulScratch[float32]
	}
	return kernels.AddBytes(b, qk([]int{tq, d}, []int{tk, d}, false, true), pv([]int{tq, tk}, []int{tk, dv}, false, false))
}

// convScratch is the rule of a convolution op whose input x, kernel k and
// output-sized operand g (the result's gradient, or the result) are
// operand xi, ki, gi, or the result for -1; nsp is the number of spatial
// axes (1 for conv1d, which runs as a conv2d of height 1).
func convScratch(xi, ki, gi, nsp int) scratchRule {
	return func(n *ops.Node, in [][]int, out []int, f32 bool) int64 {
		pick := func(i int) []int {
			if i < 0 {
				return out
			}
			return in[i]
		}
		x, k, g := pick(xi), pick(ki), pick(gi)
		stride := spatialAttr(n.Attrs, "stride", nsp, 1)
		pad := spatialAttr(n.Attrs, "pad", nsp, 0)
		if nsp == 1 {
			x = []int{x[0], x[1], 1, x[2]}
			k = []int{k[0], k[1], 1, k[2]}
			g = []int{g[0], g[1], 1, g[2]}
			stride, pad = [2]int{1, stride[0]}, [2]int{0, pad[0]}
		}
		if f32 {
			return kernels.ConvScratch[float32](x, k, stride, pad, g[2], g[3])
		}
		return kernels.ConvScratch[float64](x, k, stride, pad, g[2], g[3])
	}
}

// spatialAttr reads a convolution's per-axis attribute (an int for every
// axis, or a list of nsp ints), def when absent; -1 where it is neither,
// which counts as a stride or padding that rules out reading the input in
// place (so the column buffer is counted).
func spatialAttr(a ops.Attrs, key string, nsp, def int) [2]int {
	out := [2]int{def, def}
	switch v := a[key].(type) {
	case nil:
	case int:
		out = [2]int{v, v}
	case []int:
		if len(v) != nsp {
			return [2]int{-1, -1}
		}
		copy(out[:], v)
	default:
		return [2]int{-1, -1}
	}
	return out
}

// fusedCounts is the number of instructions and immediates of a fused
// program over nIn operands (0, 0 when it does not parse: preparing the
// kernel then fails, allocating nothing).
func fusedCounts(program string, nIn int) (nInstr, nImms int) {
	prog, imms, err := ops.ParseFused(program, nIn)
	if err != nil {
		return 0, 0
	}
	return len(prog), len(imms)
}

func fusedScratch(program string, in [][]int, elems int64, f32 bool) int64 {
	nInstr, nImms := fusedCounts(program, len(in))
	if f32 {
		return kernels.FusedScratch[float32](nInstr, nImms, elems, counts(in))
	}
	return kernels.FusedScratch[float64](nInstr, nImms, elems, counts(in))
}

// updateScratch is the rule of a fused optimizer update with nFixed fixed
// operands: its three update tiles and, with a gradient program over g and
// the operands from nFixed, the program and a gradient tile.
func updateScratch(nFixed int) scratchRule {
	return func(n *ops.Node, in [][]int, out []int, f32 bool) int64 {
		b := kernels.UpdateTilesScratch[float64]()
		if f32 {
			b = kernels.UpdateTilesScratch[float32]()
		}
		prog := n.Attrs.Str("grad", "")
		if prog == "" || len(in) < nFixed {
			return b
		}
		shapes := append([][]int{in[1]}, in[nFixed:]...)
		b = kernels.AddBytes(b, kernels.HeapBytes(kernels.MulBytes(kernels.FusedTile, elemSize(f32))))
		return kernels.AddBytes(b, fusedScratch(prog, shapes, elems64(out), f32))
	}
}
