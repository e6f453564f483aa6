package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCSRFault: the first faulty entry of a CSR structure, by hand.
func TestCSRFault(t *testing.T) {
	for _, c := range []struct {
		ptr, col  []int32
		cols      int
		at, part  int
		v, lo, hi int64
	}{
		{[]int32{0, 1, 3}, []int32{0, 2, 1}, 3, -1, 0, 0, 0, 0},
		{[]int32{0}, nil, 0, -1, 0, 0, 0, 0},
		{[]int32{2, 3}, []int32{0, 0, 0}, 1, 0, 0, 2, 0, 1},
		{[]int32{0, 2, 1, 3}, []int32{0, 0, 0}, 1, 2, 0, 1, 2, 4},
		{[]int32{0, 5, 3}, []int32{0, 0, 0}, 1, 1, 0, 5, 0, 4},
		{[]int32{0, 1, 2}, []int32{0, 0, 0}, 1, 2, 0, 2, 3, 4},
		{[]int32{0, 1, 3}, []int32{0, 3, 0}, 3, 1, 1, 3, 0, 3},
		{[]int32{0, 1, 3}, []int32{0, 0, -1}, 3, 2, 1, -1, 0, 3},
	} {
		at, part, v, lo, hi := CSRFault(c.ptr, c.col, c.cols)
		if at != c.at || at >= 0 && (part != c.part || v != c.v || lo != c.lo || hi != c.hi) {
			t.Errorf("CSRFault(%v, %v, %d) = %d %d %d [%d, %d), want %d %d %d [%d, %d)", c.ptr, c.col, c.cols, at, part, v, lo, hi, c.at, c.part, c.v, c.lo, c.hi)
		}
	}
}

// coraLike is a random CSR matrix of Cora's size: 2,708 rows and columns,
// 13,264 entries, and a dense operand of 16 columns.
func coraLike() (ptr, col []int32, val, x []float32, n, f int) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, nnz, f := 2708, 13264, 16
	cuts := make([]int, n+1)
	for i := 1; i < n; i++ {
		cuts[i] = rng.IntN(nnz + 1)
	}
	cuts[n] = nnz
	slices.Sort(cuts)
	ptr = make([]int32, n+1)
	for i, c := range cuts {
		ptr[i] = int32(c)
	}
	col, val = make([]int32, nnz), make([]float32, nnz)
	for k := range col {
		col[k], val[k] = int32(rng.IntN(n)), rng.Float32()
	}
	x = make([]float32, n*f)
	for i := range x {
		x[i] = rng.Float32()
	}
	return ptr, col, val, x, n, f
}

// The sparse kernels split Cora-sized products into tasks; the result is
// the serial loop's, bitwise.
func TestSparseTasksMatchSerial(t *testing.T) {
	ptr, col, val, x, n, f := coraLike()
	s := NewSpmm[float32](n, len(col), f)
	if s.par == nil {
		t.Fatal("a Cora-sized product runs in one task")
	}
	got, want := make([]float32, n*f), make([]float32, n*f)
	s.Run(got, ptr, col, val, x)
	spmmRows(want, ptr, col, val, x, f, 0, n)
	if !slices.Equal(got, want) {
		t.Error("spmm in tasks differs from the serial loop")
	}
	st := NewSpmmT[float32](n, n, len(col), f)
	st.Run(got, ptr, col, val, x)
	st.par = nil
	st.Run(want, ptr, col, val, x)
	if !slices.Equal(got, want) {
		t.Error("spmm_t in tasks differs from one task")
	}
	sd := NewSddmm[float32](n, len(col), f)
	g1, g2 := make([]float32, len(col)), make([]float32, len(col))
	sd.Run(g1, ptr, col, x, x)
	sddmmRows(g2, ptr, col, x, x, f, 0, n)
	if !slices.Equal(g1, g2) {
		t.Error("sddmm in tasks differs from the serial loop")
	}
}

// BenchmarkSpmm is one product of each kind on a Cora-sized matrix.
func BenchmarkSpmm(b *testing.B) {
	ptr, col, val, x, n, f := coraLike()
	out := make([]float32, n*f)
	b.Run("spmm", func(b *testing.B) {
		s := NewSpmm[float32](n, len(col), f)
		for b.Loop() {
			s.Run(out, ptr, col, val, x)
		}
	})
	b.Run("spmm_t", func(b *testing.B) {
		s := NewSpmmT[float32](n, n, len(col), f)
		for b.Loop() {
			s.Run(out, ptr, col, val, x)
		}
	})
	b.Run("sddmm", func(b *testing.B) {
		s := NewSddmm[float32](n, len(col), f)
		vals := make([]float32, len(col))
		for b.Loop() {
			s.Run(vals, ptr, col, x, x)
		}
	})
}
