package opt

import (
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// csrInputs makes the row pointers of every sparse input among inputs
// (A.indptr, for A: sparse f32[N, M]) a valid CSR structure for its
// column indices (A.indices): from 0, spread evenly, to their count. The
// column indices, drawn as 0 or 1, are in range for M ≥ 2.
func csrInputs(leaves []*ops.Node, inputs []*tensor.Tensor) {
	count := map[string]int{}
	for i, n := range leaves {
		if p, part, ok := lang.SparseInput(n.Name()); ok && part == lang.SparseIndices {
			count[p] = inputs[i].Len()
		}
	}
	for i, n := range leaves {
		p, part, ok := lang.SparseInput(n.Name())
		if !ok || part != lang.SparseIndptr {
			continue
		}
		ptr, rows := inputs[i], inputs[i].Len()-1
		for r := range ptr.Len() {
			ptr.Set(r, float64(count[p]*r/max(rows, 1)))
		}
	}
}
