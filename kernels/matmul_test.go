package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMatmulNaive compares the gemm path with a triple loop on awkward
// sizes, in both precisions, with and without batches.
func TestMatmulNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	sizes := []int{1, 7, 33, 200}
	for _, m := range sizes {
		for _, k := range sizes {
			for _, n := range sizes {
				for _, batch := range [][2][]int{{nil, nil}, {{3}, {3}}, {{2, 1}, {3}}, {{2}, nil}} {
					bx, bw := batch[0], batch[1]
					xs := append(append([]int(nil), bx...), m, k)
					ws := append(append([]int(nil), bw...), k, n)
					x, w := randSlice(rng, numElems(xs)), randSlice(rng, numElems(ws))
					nb := max(numElems(bx), numElems(bw))
					if len(bx) == 2 {
						nb = 2 * 3
					}
					want := make([]float64, nb*m*n)
					for b := range nb {
						// Batch b of the output reads x batch xb and w batch wb.
						xb, wb := b, b
						switch {
						case len(bx) == 2: // [2, 1] against [3]: out [2, 3]
							xb, wb = b/3, b%3
						case len(bw) == 0:
							wb = 0
						}
						for i := range m {
							for j := range n {
								s := 0.0
								for l := range k {
									s += x[xb*m*k+i*k+l] * w[wb*k*n+l*n+j]
								}
								want[b*m*n+i*n+j] = s
							}
						}
					}
					for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
						// Store the operands transposed as the flags say.
						xd, xsh := x, xs
						if tr[0] {
							xd, xsh = transposeLast(x, xs), swapLastDims(xs)
						}
						wd, wsh := w, ws
						if tr[1] {
							wd, wsh = transposeLast(w, ws), swapLastDims(ws)
						}
						p := NewMatmul(xsh, wsh, tr[0], tr[1])
						got := make([]float64, len(want))
						p.F64(got, xd, wd)
						got32 := make([]float32, len(want))
						p.F32(got32, to32(xd), to32(wd))
						for i := range want {
							if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
								t.Fatalf("f64 %v @ %v %v: [%d] = %g, want %g", xs, ws, tr, i, got[i], want[i])
							}
							if math.Abs(float64(got32[i])-want[i]) > 1e-4*(1+math.Abs(want[i])) {
								t.Fatalf("f32 %v @ %v %v: [%d] = %g, want %g", xs, ws, tr, i, got32[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// transposeLast swaps the last two axes of s (shape sh) by index arithmetic.
func transposeLast(s []float64, sh []int) []float64 {
	r, c := sh[len(sh)-2], sh[len(sh)-1]
	out := make([]float64, len(s))
	for b := 0; b < len(s)/(r*c); b++ {
		for i := range r {
			for j := range c {
				out[b*r*c+j*r+i] = s[b*r*c+i*c+j]
			}
		}
	}
	return out
}

func swapLastDims(sh []int) []int {
	out := append([]int(nil), sh...)
	out[len(out)-1], out[len(out)-2] = out[len(out)-2], out[len(out)-1]
	return out
}

func TestMatmulDoesNotAllocate(t *testing.T) {
	// 512×300 results would take gonum's parallel path in one call.
	p := NewMatmul([]int{4, 128, 32}, []int{32, 300}, false, false)
	x, w, out := make([]float32, 4*128*32), make([]float32, 32*300), make([]float32, 4*128*300)
	if a := testing.AllocsPerRun(10, func() { p.F32(out, x, w) }); a != 0 {
		t.Errorf("%g allocations per run", a)
	}
}
