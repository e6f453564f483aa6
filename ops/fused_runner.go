package ops

import (
	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// fusedRunner runs a fused elementwise program (fused_elementwise, and
// fused_matmul's epilogue) over its output in chunks of whole tiles on the
// worker pool, one kernels.Fused per goroutine: each element is computed by
// the same instructions wherever its chunk starts, so the results are
// bitwise the same for any number of threads.
type fusedRunner[T kernels.Float] struct {
	fs     []*kernels.Fused[T]
	chunks *kernels.Chunks
	out    []T
}

// fusedWork is the work of one element of a fused program in parMinWork's
// units (about a nanosecond): a few vector instructions, so outputs from
// 64 K elements split.
const fusedWork = 1

// newFusedRunner prepares prog for the output shape out and inputs of the
// shapes in, as kernels.NewFused.
func newFusedRunner[T kernels.Float](prog []kernels.FusedInstr, imms []float64, out []int, in [][]int) (*fusedRunner[T], error) {
	r := &fusedRunner[T]{}
	r.chunks = kernels.NewChunks(tensor.NumElems(out), kernels.FusedTile, fusedWork, func(w, lo, hi int) {
		f := r.fs[w]
		for o := lo; o < hi; o += kernels.FusedTile {
			f.Range(r.out[o:min(o+kernels.FusedTile, hi)], o)
		}
	})
	for range r.chunks.Participants() {
		f, err := kernels.NewFused[T](prog, imms, out, in)
		if err != nil {
			return nil, err
		}
		r.fs = append(r.fs, f)
	}
	return r, nil
}

// SetInput binds input k's data for the next Run.
func (r *fusedRunner[T]) SetInput(k int, x []T) {
	for _, f := range r.fs {
		f.SetInput(k, x)
	}
}

// Run computes the output into out; out may be an input of the output's
// size (each tile is read before it is written).
func (r *fusedRunner[T]) Run(out []T) {
	r.out = out
	r.chunks.Run()
	r.out = nil
}

// fusedRunnerScratch is the scratch of a fusedRunner: one kernels.Fused's
// (fusedScratch's) per goroutine it may run on.
func fusedRunnerScratch(program string, in [][]int, out []int, f32 bool) int64 {
	w := kernels.ChunksWorkers(tensor.NumElems(out), kernels.FusedTile, fusedWork)
	return kernels.MulBytes(fusedScratch(program, in, elems64(out), f32), int64(w))
}
