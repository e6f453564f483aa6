package runtime

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestOrthogonalInit checks the defining property: seen as [shape[0],
// rest], the matrix times its transpose (the smaller side) is gain² I.
func TestOrthogonalInit(t *testing.T) {
	for _, c := range []struct {
		shape []int
		gain  float64
	}{{[]int{6, 4}, 1}, {[]int{3, 5}, 2}, {[]int{4, 2, 3}, 1}, {[]int{5, 5}, 0.5}} {
		b := ops.NewBuilder()
		b.Param("w", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(c.shape...)}, ops.Attrs{"init": "orthogonal", "gain": c.gain})
		store := NewStore()
		if err := InitParams(store, b.G, 7); err != nil {
			t.Fatal(err)
		}
		w := store.Get("w")
		rows := c.shape[0]
		cols := w.Len() / rows
		at := func(r, k int) float64 { return w.At(r*cols + k) }
		n, m := rows, cols // n vectors of length m
		vec := func(i, j int) float64 { return at(i, j) }
		if rows > cols {
			n, m = cols, rows
			vec = func(i, j int) float64 { return at(j, i) }
		}
		for i := 0; i < n; i++ {
			for k := 0; k < n; k++ {
				dot := 0.0
				for j := 0; j < m; j++ {
					dot += vec(i, j) * vec(k, j)
				}
				want := 0.0
				if i == k {
					want = c.gain * c.gain
				}
				if math.Abs(dot-want) > 1e-5 {
					t.Fatalf("%v: <v%d, v%d> = %v, want %v", c.shape, i, k, dot, want)
				}
			}
		}
	}
}
