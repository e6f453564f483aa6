package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRowsVec runs the row helpers of rows_vec.go on f32 rows of every
// length from 1 to 70 and some longer ones with the AVX2 code and with the
// Go loops (simdOff) and requires bitwise the same results, and checks
// them against plain float64 loops: the sums and dot products within 1e-12
// relative, the maximum exactly.
func TestRowsVec(t *testing.T) {
	if !X86.HasAVX2 {
		t.Skip("no AVX2: only the Go loops run")
	}
	defer func(old bool) { simdOff = old }(simdOff)
	rng := rand.New(rand.NewPCG(5, 6))
	lengths := []int{100, 127, 128, 129, 1000}
	for n := 1; n <= 70; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		a, b := to32(randSlice(rng, n)), to32(randSlice(rng, n))
		a[rng.IntN(n)] = 9 // the maximum somewhere
		type result struct {
			sum, dot float64
			max      float32
			sub      []float32
		}
		run := func(off bool) result {
			simdOff = off
			r := result{sum: sumLanes(a), dot: dotLanes(a, b), max: maxOfRow(a), sub: append([]float32(nil), a...)}
			subScalarRow(r.sub, 0.3)
			mulRow(r.sub, b)
			ScaleRow(r.sub, r.sub, 1.7)
			scaled := make([]float32, n) // ScaleRow into another row
			ScaleRow(scaled, r.sub, -0.4)
			r.sub = append(r.sub, scaled...)
			return r
		}
		v, s := run(false), run(true)
		if v.sum != s.sum || v.dot != s.dot || v.max != s.max {
			t.Fatalf("n %d: sum, dot, max: AVX2 %v %v %v, Go %v %v %v", n, v.sum, v.dot, v.max, s.sum, s.dot, s.max)
		}
		var sum, dot float64
		for i := range a {
			sum += float64(a[i])
			dot += float64(a[i]) * float64(b[i])
			want := float32(float32(b[i]*float32(a[i]-0.3)) * 1.7)
			if math.Float32bits(v.sub[i]) != math.Float32bits(s.sub[i]) || v.sub[i] != want {
				t.Fatalf("n %d [%d]: (a - 0.3)·b·1.7: AVX2 %v, Go %v, want %v", n, i, v.sub[i], s.sub[i], want)
			}
			if w2 := want * -0.4; math.Float32bits(v.sub[n+i]) != math.Float32bits(s.sub[n+i]) || v.sub[n+i] != w2 {
				t.Fatalf("n %d [%d]: ScaleRow into another row: AVX2 %v, Go %v, want %v", n, i, v.sub[n+i], s.sub[n+i], w2)
			}
		}
		if math.Abs(v.sum-sum) > 1e-12*(1+math.Abs(sum)) || math.Abs(v.dot-dot) > 1e-12*(1+math.Abs(dot)) || v.max != 9 {
			t.Fatalf("n %d: sum %v dot %v max %v, plain loops %v %v 9", n, v.sum, v.dot, v.max, sum, dot)
		}
	}
}
