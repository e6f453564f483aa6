package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRowProductRanges: a RowProduct computed by ranges of rows, for
// several ways of splitting the rows, both layouts of B, with and without
// a PackCache, is bitwise the same for every split and within float32
// rounding of a float64 product.
func TestRowProductRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 14))
	for _, s := range [][3]int{{32, 512, 128}, {32, 128, 512}, {7, 40, 9}, {50, 33, 300}, {24, 64, 1}} {
		m, n, k := s[0], s[1], s[2]
		for _, tb := range []bool{false, true} {
			a := make([]float32, m*k)
			b := make([]float32, k*n)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			ldb := n
			if tb {
				ldb = k
			}
			want := make([]float64, m*n) // in float64
			for i := range m {
				for j := range n {
					var acc float64
					for l := range k {
						bv := b[l*n+j]
						if tb {
							bv = b[j*k+l]
						}
						acc += float64(a[i*k+l]) * float64(bv)
					}
					want[i*n+j] = acc
				}
			}
			var first []float32
			for _, parts := range []int{1, 2, 3, m} {
				for _, cache := range []*PackCache{nil, {}} {
					p := NewRowProduct[float32](tb, m, n, k)
					p.Pack(cache, b, ldb)
					c := make([]float32, m*n)
					for i := range c {
						c[i] = float32(math.NaN()) // every element must be written
					}
					var ws Workspace
					for q := range parts {
						lo, hi := q*m/parts, (q+1)*m/parts
						p.Part().Run(&ws, a, k, c, n, lo, hi)
					}
					for i := range c {
						if d := math.Abs(float64(c[i]) - want[i]); !(d <= 1e-4*math.Sqrt(float64(k))*(1+math.Abs(want[i]))) {
							t.Fatalf("%v tb=%v parts %d: c[%d] = %v, want %v", s, tb, parts, i, c[i], want[i])
						}
					}
					if first == nil {
						first = c
						continue
					}
					for i := range c {
						if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%v tb=%v parts %d: c[%d] = %v, but %v with one range", s, tb, parts, i, c[i], first[i])
						}
					}
				}
			}
		}
	}
}

// TestRowKernel: a range of 16 rows runs tiles of 8 read in place where the
// kernel has them (TestRowProductRanges compares their bits with the
// 12-row tiles'), and keeps the kernel's tile where op(A)'s rows are 4 KiB
// apart or the tile divides the rows.
func TestRowKernel(t *testing.T) {
	kern := gemmKernelsFor[float32]()[0]
	want := kern.mr
	if kern.unpackedFor(8) != nil && kern.mr == 12 {
		want = 8
	}
	if got := rowKernel(kern, 16, 128).mr; got != want {
		t.Errorf("16 rows: tiles of %d rows, want %d", got, want)
	}
	if got := rowKernel(kern, 16, 1024).mr; got != kern.mr {
		t.Errorf("rows 4 KiB apart: tiles of %d rows, want %d", got, kern.mr)
	}
	if got := rowKernel(kern, 2*kern.mr, 128).mr; got != kern.mr {
		t.Errorf("%d rows: tiles of %d rows, want %d", 2*kern.mr, got, kern.mr)
	}
}

// TestRowProductWorkspace: a RowPart borrows no more than
// RowPartWorkspace from its workspace.
func TestRowProductWorkspace(t *testing.T) {
	m, n, k := 30, 64, 70
	p := NewRowProduct[float32](false, m, n, k)
	b := make([]float32, k*n)
	p.Pack(nil, b, n)
	var ws Workspace
	p.Part().Run(&ws, make([]float32, m*k), k, make([]float32, m*n), n, 3, 20)
	if got, max := len(ws.f32), RowPartWorkspace[float32](17, k); got > max {
		t.Fatalf("borrowed %d elements, RowPartWorkspace says %d", got, max)
	}
}

// TestCellPartSameBits: each cell kernel run by ranges of rows on a
// CellPart gives bitwise what the kernel computes for all rows at once.
func TestCellPartSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 5))
	const rows, h = 9, 300
	rnd := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	gates, c := rnd(rows*4*h), rnd(rows*h)
	y := make([]float32, LSTMPlanes*rows*h)
	LSTMCell(y, gates, c, rows, h)
	g7, dh, dc := rnd(LSTMPlanes*rows*h), rnd(rows*h), rnd(rows*h)
	xw, hw := rnd(rows*3*h), rnd(rows*3*h)
	gy := make([]float32, GRUPlanes*rows*h)
	GRUCell(gy, xw, hw, c, rows, h)
	g5 := rnd(GRUPlanes * rows * h)
	cases := []struct {
		kind CellKind
		n    int
		full func(dst []float32)
		x    [][]float32
	}{
		{CellLSTM, LSTMPlanes * rows * h, func(d []float32) { LSTMCell(d, gates, c, rows, h) }, [][]float32{gates, c}},
		{CellLSTMGrad, 5 * rows * h, func(d []float32) { LSTMCellGrad(d, y, c, g7, rows, h) }, [][]float32{y, c, g7}},
		{CellLSTMGrad2, 5 * rows * h, func(d []float32) { LSTMCellGrad2(d, y, c, dh, dc, rows, h) }, [][]float32{y, c, dh, dc}},
		{CellGRU, GRUPlanes * rows * h, func(d []float32) { GRUCell(d, xw, hw, c, rows, h) }, [][]float32{xw, hw, c}},
		{CellGRUGrad, 7 * rows * h, func(d []float32) { GRUCellGrad(d, gy, c, g5, rows, h) }, [][]float32{gy, c, g5}},
		{CellGRUGradH, 7 * rows * h, func(d []float32) { GRUCellGradH(d, gy, c, dh, rows, h) }, [][]float32{gy, c, dh}},
	}
	for _, tc := range cases {
		want := make([]float32, tc.n)
		tc.full(want)
		got := make([]float32, tc.n)
		part := NewCellPart[float32]()
		for _, r := range [][2]int{{0, 4}, {4, 5}, {5, 9}} {
			part.Run(tc.kind, got, rows, h, r[0], r[1], tc.x...)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("kind %d: element %d = %v by ranges, %v whole", tc.kind, i, got[i], want[i])
			}
		}
	}
}

// TestRowProductRanges64: the float64 RowProduct, split into 1, 2 and 3
// ranges, is bitwise the same for every split and matches the naive
// product.
func TestRowProductRanges64(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	m, n, k := 29, 70, 300
	a, b := make([]float64, m*k), make([]float64, n*k)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	var first []float64
	for _, parts := range []int{1, 2, 3} {
		p := NewRowProduct[float64](true, m, n, k) // B transposed: [n, k]
		p.Pack(&PackCache{}, b, k)
		c := make([]float64, m*n)
		var ws Workspace
		for q := range parts {
			p.Part().Run(&ws, a, k, c, n, q*m/parts, (q+1)*m/parts)
		}
		for i := range m {
			for j := range n {
				var want float64
				for l := range k {
					want += a[i*k+l] * b[j*k+l]
				}
				if d := math.Abs(c[i*n+j] - want); d > 1e-12*float64(k) {
					t.Fatalf("parts %d: c[%d,%d] = %v, want %v", parts, i, j, c[i*n+j], want)
				}
			}
		}
		if first == nil {
			first = c
		}
		for i := range c {
			if math.Float64bits(c[i]) != math.Float64bits(first[i]) {
				t.Fatalf("parts %d: c[%d] = %v, but %v with one range", parts, i, c[i], first[i])
			}
		}
	}
}
