package nnc

import (
	"fmt"
	"math"
	"slices"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/tensor"
)

// A graph's adjacency kept sparse: when the model declares a sparse input
// (A: sparse f32[N, N]), graph(...) reads SciPy's CSR parts, checks them,
// normalizes in CSR form and binds the three parts, so that full Cora
// needs its 13k entries, not a 2,708 × 2,708 matrix.

// csrMatrix is a CSR matrix: row i's entries are ptr[i] to ptr[i+1]-1,
// their columns col (ascending within a row, no repeats once built by
// csrOf) and values val.
type csrMatrix struct {
	rows, cols int
	ptr, col   []int32
	val        []float32
}

// tensors are the matrix's parts as a sparse input binds them, by part.
func (m *csrMatrix) tensors() map[string]*tensor.Tensor {
	p := tensor.New(tensor.I32, len(m.ptr))
	copy(p.I32, m.ptr)
	c := tensor.New(tensor.I32, len(m.col))
	copy(c.I32, m.col)
	v := tensor.New(tensor.F32, len(m.val))
	copy(v.F32, m.val)
	return map[string]*tensor.Tensor{lang.SparseIndptr: p, lang.SparseIndices: c, lang.SparseValues: v}
}

// graphAdj is a graph's adjacency, dense or in CSR form.
type graphAdj struct {
	dense  *tensor.Tensor
	csr    *csrMatrix
	sparse bool // the model's input is sparse: bind the CSR parts
	parts  map[string]*tensor.Tensor
}

func (g *graphAdj) shape() []int {
	if g.dense != nil {
		return g.dense.Shape
	}
	return []int{g.csr.rows, g.csr.cols}
}

// finish normalizes the adjacency (with sym) and, for a sparse input,
// makes its CSR parts.
func (g *graphAdj) finish(sym bool, limit int64) error {
	switch {
	case sym && g.dense != nil:
		normalizeSym(g.dense)
	case sym:
		var err error
		if g.csr, err = csrNormalizeSym(g.csr, limit); err != nil {
			return err
		}
	}
	if g.sparse && g.dense != nil {
		g.csr, g.dense = denseToCSR(g.dense), nil
	}
	if g.csr != nil {
		g.parts = g.csr.tensors()
	}
	return nil
}

// bind adds the adjacency to a set's arrays: "adjacency", or its parts
// "adjacency.indptr", "adjacency.indices" and "adjacency.values".
func (g *graphAdj) bind(arrays map[string]*tensor.Tensor) {
	if g.parts == nil {
		arrays[graphAdjacency] = g.dense
		return
	}
	for k, t := range g.parts {
		arrays[graphAdjacency+"."+k] = t
	}
}

// sparseWanted says whether the model's training entry or its forward
// takes a sparse input.
func (l *loader) sparseWanted() bool {
	for _, e := range []string{l.s.model + "." + l.s.str("entry", "loss"), l.s.model + ".forward"} {
		sig, err := l.p.signature(e)
		if err != nil {
			continue
		}
		for _, a := range sig {
			if _, _, ok := lang.SparseInput(a.Name); ok {
				return true
			}
		}
	}
	return false
}

// csrOf reads the CSR parts NAME_data, NAME_indices, NAME_indptr and
// NAME_shape (SciPy's csr_matrix as numpy.savez stores it) as a csrMatrix
// with each row's columns sorted and repeated entries added up (as SciPy
// does, in entry order, in f32). Every part is checked as csrToDense
// checks it, and the row pointers must fit in limit bytes.
func csrOf(arrays map[string]*tensor.Tensor, name string, limit int64) (*csrMatrix, error) {
	vals, idx, ptr, shape := arrays[name+"_data"], arrays[name+"_indices"], arrays[name+"_indptr"], arrays[name+"_shape"]
	if len(shape.Shape) != 1 || shape.Len() != 2 || !shape.DType.IsInt() {
		return nil, fmt.Errorf("%s_shape is %v%v, want two integers", name, shape.DType, shape.Shape)
	}
	rows, cols := shape.At(0), shape.At(1)
	if rows < 0 || cols < 0 || rows >= math.MaxInt32 || cols >= math.MaxInt32 {
		return nil, fmt.Errorf("shape [%v, %v] is out of range", rows, cols)
	}
	r, c := int(rows), int(cols)
	if int64(r+1)*4 > limit {
		return nil, fmt.Errorf("%d rows' pointers are more than the limit of %d bytes", r, limit)
	}
	if len(idx.Shape) != 1 || len(vals.Shape) != 1 || len(ptr.Shape) != 1 || !idx.DType.IsInt() || !ptr.DType.IsInt() {
		return nil, fmt.Errorf("the CSR parts must be vectors with integer indices and indptr")
	}
	nnz := vals.Len()
	if idx.Len() != nnz || ptr.Len() != r+1 {
		return nil, fmt.Errorf("%d values, %d column indices and %d indptr entries for %d rows (want %d, %d, %d)", nnz, idx.Len(), ptr.Len(), r, nnz, nnz, r+1)
	}
	if nnz >= math.MaxInt32 {
		return nil, fmt.Errorf("%d entries: more than an i32 index holds", nnz)
	}
	if ptr.At(0) != 0 {
		return nil, fmt.Errorf("indptr starts at %v, not 0", ptr.At(0))
	}
	m := &csrMatrix{rows: r, cols: c, ptr: make([]int32, r+1)}
	type entry struct {
		col int32
		val float32
	}
	var row []entry
	prev := 0.0
	for i := range r {
		lo, hi := ptr.At(i), ptr.At(i+1)
		if hi < prev || hi < lo || hi > float64(nnz) {
			return nil, fmt.Errorf("indptr[%d] = %v: want non-decreasing values up to %d", i+1, hi, nnz)
		}
		prev = hi
		row = row[:0]
		for k := int(lo); k < int(hi); k++ {
			j := idx.At(k)
			if j < 0 || j >= cols {
				return nil, fmt.Errorf("column index %v (entry %d) is out of range [0, %d)", j, k, c)
			}
			row = append(row, entry{int32(j), float32(vals.At(k))})
		}
		slices.SortStableFunc(row, func(a, b entry) int { return int(a.col) - int(b.col) })
		for k, e := range row {
			if k > 0 && e.col == row[k-1].col {
				m.val[len(m.val)-1] += e.val
				continue
			}
			m.col, m.val = append(m.col, e.col), append(m.val, e.val)
		}
		m.ptr[i+1] = int32(len(m.col))
	}
	if r > 0 && int(ptr.At(r)) != nnz {
		return nil, fmt.Errorf("indptr ends at %v, not at the %d entries", ptr.At(r), nnz)
	}
	return m, nil
}

// transpose is mᵀ, its rows' columns ascending.
func (m *csrMatrix) transpose() *csrMatrix {
	t := &csrMatrix{rows: m.cols, cols: m.rows, ptr: make([]int32, m.cols+1), col: make([]int32, len(m.col)), val: make([]float32, len(m.val))}
	for _, j := range m.col {
		t.ptr[j+1]++
	}
	for j := range m.cols {
		t.ptr[j+1] += t.ptr[j]
	}
	next := slices.Clone(t.ptr[:m.cols])
	for i := range m.rows {
		for k := m.ptr[i]; k < m.ptr[i+1]; k++ {
			j := m.col[k]
			t.col[next[j]], t.val[next[j]] = int32(i), m.val[k]
			next[j]++
		}
	}
	return t
}

// csrNormalizeSym is normalizeSym in CSR form, for a square matrix with
// sorted rows without repeats: Kipf & Welling's D^-1/2 (A' + I) D^-1/2
// with A' = max(A, Aᵀ) (an entry missing on one side counts as 0) and D
// the row sums of A' + I, computed as normalizeSym computes them (f64
// sums of the f32 entries, one rounding at the end), so the values are
// bitwise those of the dense matrix; its entries are the union of A's,
// Aᵀ's and the diagonal.
func csrNormalizeSym(a *csrMatrix, limit int64) (*csrMatrix, error) {
	n := a.rows
	t := a.transpose()
	if most := int64(2*len(a.col) + n); most*8 > limit {
		return nil, fmt.Errorf("%d entries after symmetrizing are more than the limit of %d bytes", most, limit)
	}
	out := &csrMatrix{rows: n, cols: n, ptr: make([]int32, n+1)}
	for i := range n {
		p, q := a.ptr[i], t.ptr[i]
		diag := false
		for p < a.ptr[i+1] || q < t.ptr[i+1] {
			var j int32
			var x, y float32
			switch {
			case q >= t.ptr[i+1] || p < a.ptr[i+1] && a.col[p] < t.col[q]:
				j, x = a.col[p], a.val[p]
				p++
			case p >= a.ptr[i+1] || t.col[q] < a.col[p]:
				j, y = t.col[q], t.val[q]
				q++
			default:
				j, x, y = a.col[p], a.val[p], t.val[q]
				p++
				q++
			}
			if !diag && j > int32(i) {
				out.col, out.val = append(out.col, int32(i)), append(out.val, 0)
				diag = true
			}
			diag = diag || j == int32(i)
			out.col, out.val = append(out.col, j), append(out.val, max(x, y))
		}
		if !diag {
			out.col, out.val = append(out.col, int32(i)), append(out.val, 0)
		}
		out.ptr[i+1] = int32(len(out.col))
	}
	// Here out holds A'; the diagonal's +1 is added below as normalizeSym
	// adds it: in f32 for the degrees, in f64 for the values.
	inv := make([]float64, n)
	for i := range n {
		var deg float64
		for k := out.ptr[i]; k < out.ptr[i+1]; k++ {
			v := out.val[k]
			if out.col[k] == int32(i) {
				v++
			}
			deg += float64(v)
		}
		if deg > 0 {
			inv[i] = 1 / math.Sqrt(deg)
		}
	}
	for i := range n {
		for k := out.ptr[i]; k < out.ptr[i+1]; k++ {
			j := int(out.col[k])
			v := float64(out.val[k])
			if j == i {
				v++
			}
			lo, hi := min(i, j), max(i, j)
			out.val[k] = float32(inv[lo] * v * inv[hi])
		}
	}
	return out, nil
}

// denseToCSR is the CSR form of a dense f32 matrix's nonzero entries.
func denseToCSR(a *tensor.Tensor) *csrMatrix {
	r, c := a.Shape[0], a.Shape[1]
	m := &csrMatrix{rows: r, cols: c, ptr: make([]int32, r+1)}
	for i := range r {
		for j, v := range a.F32[i*c : (i+1)*c] {
			if v != 0 {
				m.col, m.val = append(m.col, int32(j)), append(m.val, v)
			}
		}
		m.ptr[i+1] = int32(len(m.col))
	}
	return m
}
