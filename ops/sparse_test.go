package ops_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"slices"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// csrOperand draws operand i of check case c when its domain is a CSR
// structure's: RowPointers (sorted, from 0 to the next operand's length)
// or Columns (in [0, M)). ok is false for other domains.
func csrOperand(c ops.CheckCase, i int, rng *rand.Rand) (*tensor.Tensor, bool) {
	if i >= len(c.Domain) || (c.Domain[i] != ops.RowPointers && c.Domain[i] != ops.Columns) {
		return nil, false
	}
	shape, _ := c.In[i].Shape.Concrete()
	v := tensor.New(c.In[i].DType, shape...)
	switch c.Domain[i] {
	case ops.RowPointers:
		nnz, _ := c.In[i+1].Shape.Concrete()
		cuts := make([]int, shape[0])
		for j := 1; j < len(cuts)-1; j++ {
			cuts[j] = rng.IntN(nnz[0] + 1)
		}
		cuts[len(cuts)-1] = nnz[0]
		slices.Sort(cuts)
		for j, x := range cuts {
			v.Set(j, float64(x))
		}
	case ops.Columns:
		var m int
		if s := c.Attrs.Shape("shape"); len(s) > 0 {
			k, _ := s[0].IsConst()
			m = int(k)
		} else {
			last, _ := c.In[len(c.In)-1].Shape.Concrete()
			m = last[0]
		}
		for j := range v.Len() {
			v.Set(j, float64(rng.IntN(m)))
		}
	}
	return v, true
}

// denseOf is the dense matrix of a CSR structure (repeated entries added).
func denseOf(ptr []int32, col []int32, val []float64, n, m int) []float64 {
	a := make([]float64, n*m)
	for i := range n {
		for k := ptr[i]; k < ptr[i+1]; k++ {
			a[i*m+int(col[k])] += val[k]
		}
	}
	return a
}

// randCSR draws an n×m CSR matrix of nnz entries (rows of any length,
// repeated columns allowed).
func randCSR(rng *rand.Rand, n, m, nnz int) (ptr, col []int32, val []float64) {
	cuts := make([]int, n+1)
	for j := 1; j < n; j++ {
		cuts[j] = rng.IntN(nnz + 1)
	}
	cuts[n] = nnz
	slices.Sort(cuts)
	ptr = make([]int32, n+1)
	for j, x := range cuts {
		ptr[j] = int32(x)
	}
	col = make([]int32, nnz)
	val = make([]float64, nnz)
	for k := range nnz {
		col[k], val[k] = int32(rng.IntN(m)), rng.NormFloat64()
	}
	return ptr, col, val
}

func i32Tensor(xs []int32) *tensor.Tensor {
	t := tensor.New(tensor.I32, len(xs))
	copy(t.I32, xs)
	return t
}

func f64Tensor(xs []float64, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.F64, shape...)
	copy(t.F64, xs)
	return t
}

// spmmGraph is y = spmm(ptr, col, val, x) with its inputs.
func spmmGraph(dt ops.DType, n, m, nnz, f int) (*ops.Builder, []*ops.Node, *ops.Node) {
	b := ops.NewBuilder()
	in := []*ops.Node{
		b.Input("ptr", ops.TI(n+1)), b.Input("col", ops.TI(nnz)),
		b.Input("val", ops.Type{DType: dt, Shape: ops.ShapeOf(nnz)}),
		b.Input("x", ops.Type{DType: dt, Shape: ops.ShapeOf(m, f)}),
	}
	return b, in, b.Must(ops.Spmm, nil, in...)
}

// spmm, spmm_t and sddmm against dense products computed here, on
// matrices large enough that the kernels split their rows into tasks:
// equal to 1e-12, and bitwise the same with one thread and with many.
func TestSparseProductsMatchDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	for _, sz := range []struct{ n, m, nnz, f int }{{7, 5, 12, 3}, {900, 700, 9000, 16}, {1, 1, 0, 2}} {
		ptr, col, val := randCSR(rng, sz.n, sz.m, sz.nnz)
		a := denseOf(ptr, col, val, sz.n, sz.m)
		x := make([]float64, sz.m*sz.f)
		g := make([]float64, sz.n*sz.f)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range g {
			g[i] = rng.NormFloat64()
		}
		b, in, y := spmmGraph(ops.F64, sz.n, sz.m, sz.nnz, sz.f)
		gn := b.Input("g", ops.T(sz.n, sz.f))
		yt := b.Must(ops.SpmmT, ops.Attrs{"shape": ops.ShapeOf(sz.m, sz.f)}, in[0], in[1], in[2], gn)
		sd := b.Must(ops.Sddmm, nil, in[0], in[1], gn, in[3])
		vals := map[string]*tensor.Tensor{"ptr": i32Tensor(ptr), "col": i32Tensor(col), "val": f64Tensor(val, sz.nnz),
			"x": f64Tensor(x, sz.m, sz.f), "g": f64Tensor(g, sz.n, sz.f)}
		run := func() map[*ops.Node]*tensor.Tensor {
			res, err := ops.Evaluate(b.G, vals, &ops.Ctx{})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		res := run()
		old := goruntime.GOMAXPROCS(1)
		serial := run()
		goruntime.GOMAXPROCS(old)
		for _, n := range []*ops.Node{y, yt, sd} {
			if !slices.Equal(res[n].F64, serial[n].F64) {
				t.Errorf("%v %s: results differ with one thread", sz, n.Op.Name)
			}
		}
		for i := range sz.n {
			for c := range sz.f {
				var want float64
				for j := range sz.m {
					want += a[i*sz.m+j] * x[j*sz.f+c]
				}
				if got := res[y].F64[i*sz.f+c]; math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
					t.Fatalf("%v spmm[%d, %d] = %v, want %v", sz, i, c, got, want)
				}
			}
		}
		for j := range sz.m {
			for c := range sz.f {
				var want float64
				for i := range sz.n {
					want += a[i*sz.m+j] * g[i*sz.f+c]
				}
				if got := res[yt].F64[j*sz.f+c]; math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
					t.Fatalf("%v spmm_t[%d, %d] = %v, want %v", sz, j, c, got, want)
				}
			}
		}
		for i := range sz.n {
			for k := ptr[i]; k < ptr[i+1]; k++ {
				var want float64
				for c := range sz.f {
					want += g[i*sz.f+c] * x[int(col[k])*sz.f+c]
				}
				if got := res[sd].F64[k]; math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
					t.Fatalf("%v sddmm[%d] = %v, want %v", sz, k, got, want)
				}
			}
		}
	}
}

// A structure that is not CSR fails the run with an IndexError naming the
// bad entry; nothing is read out of bounds.
func TestSpmmRejectsBadStructure(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ptr, col []int32
		what     string
		at       int
		v        int64
	}{
		{"ptr not from 0", []int32{1, 2, 3}, []int32{0, 1, 0}, "row pointer", 0, 1},
		{"ptr decreasing", []int32{0, 2, 1, 3}, []int32{0, 1, 0}, "row pointer", 2, 1},
		{"ptr past nnz", []int32{0, 9, 3}, []int32{0, 1, 0}, "row pointer", 1, 9},
		{"ptr short of nnz", []int32{0, 1, 2}, []int32{0, 1, 0}, "row pointer", 2, 2},
		{"column negative", []int32{0, 1, 3}, []int32{0, -1, 0}, "column index", 1, -1},
		{"column too large", []int32{0, 1, 3}, []int32{0, 1, 4}, "column index", 2, 4},
	} {
		n := len(tc.ptr) - 1
		b, _, _ := spmmGraph(ops.F32, n, 4, len(tc.col), 2)
		vals := map[string]*tensor.Tensor{"ptr": i32Tensor(tc.ptr), "col": i32Tensor(tc.col),
			"val": tensor.New(tensor.F32, len(tc.col)), "x": tensor.New(tensor.F32, 4, 2)}
		_, err := ops.Evaluate(b.G, vals, &ops.Ctx{})
		var ie *ops.IndexError
		if !errors.As(err, &ie) || ie.What != tc.what || ie.At[0] != tc.at || ie.Value != tc.v {
			t.Errorf("%s: got %v, want a %s error at %d (value %d)", tc.name, err, tc.what, tc.at, tc.v)
		}
	}
}

// TestSpmmTorchReference compares spmm's value and its gradients with
// respect to the values and the dense operand with torch.sparse.mm's
// (testdata/torch/sparse.py), in f64 and, for the value, in f32.
func TestSpmmTorchReference(t *testing.T) {
	raw, err := os.ReadFile("testdata/torch/sparse.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			N, M, F              int
			Ptr, Col             []int32
			Val, X, Y, Cotangent []float64
			GradVal              []float64 `json:"grad_val"`
			GradX                []float64 `json:"grad_x"`
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) == 0 {
		t.Fatal("no cases")
	}
	for ci, c := range doc.Cases {
		nnz := len(c.Col)
		b, in, y := spmmGraph(ops.F64, c.N, c.M, nnz, c.F)
		r := b.Input("r", ops.T(c.N, c.F))
		gs, err := autodiff.VJP(b, []*ops.Node{y}, []*ops.Node{in[2], in[3]}, []*ops.Node{r})
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]*tensor.Tensor{"ptr": i32Tensor(c.Ptr), "col": i32Tensor(c.Col), "val": f64Tensor(c.Val, nnz),
			"x": f64Tensor(c.X, c.M, c.F), "r": f64Tensor(c.Cotangent, c.N, c.F)}
		res, err := ops.Evaluate(b.G, vals, &ops.Ctx{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cmp := range []struct {
			name string
			got  []float64
			want []float64
		}{{"y", res[y].F64, c.Y}, {"grad val", res[gs[0]].F64, c.GradVal}, {"grad x", res[gs[1]].F64, c.GradX}} {
			if len(cmp.got) != len(cmp.want) {
				t.Fatalf("case %d %s: %d values, want %d", ci, cmp.name, len(cmp.got), len(cmp.want))
			}
			for k := range cmp.got {
				if math.Abs(cmp.got[k]-cmp.want[k]) > 1e-12*(1+math.Abs(cmp.want[k])) {
					t.Fatalf("case %d %s[%d] = %v, torch %v", ci, cmp.name, k, cmp.got[k], cmp.want[k])
				}
			}
		}
		b32, _, y32 := spmmGraph(ops.F32, c.N, c.M, nnz, c.F)
		v32, x32 := tensor.New(tensor.F32, nnz), tensor.New(tensor.F32, c.M, c.F)
		for k, v := range c.Val {
			v32.F32[k] = float32(v)
		}
		for k, v := range c.X {
			x32.F32[k] = float32(v)
		}
		res32, err := ops.Evaluate(b32.G, map[string]*tensor.Tensor{"ptr": vals["ptr"], "col": vals["col"], "val": v32, "x": x32}, &ops.Ctx{})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range res32[y32].F32 {
			if math.Abs(float64(v)-c.Y[k]) > 1e-5*(1+math.Abs(c.Y[k])) {
				t.Fatalf("case %d f32 y[%d] = %v, torch %v", ci, k, v, c.Y[k])
			}
		}
	}
}
