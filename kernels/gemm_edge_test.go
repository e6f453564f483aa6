package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmEdgeKernelsSameBits: the last panel of an M that the tile's rows
// do not divide runs an edge kernel of fewer rows; each element must be
// bitwise what the full kernel computes, for every M of up to three panels,
// both transposes of A, a swapped product and beta 0 and 1 over several K
// blocks.
func TestGemmEdgeKernelsSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 9))
	edges := 0
	for _, kern := range gemmKernelsFor[float32]() {
		if len(kern.edge) == 0 {
			continue
		}
		full := kern
		full.edge = nil
		for m := 1; m <= 3*kern.mr; m++ {
			for _, s := range [][2]int{{2*kern.nr + 5, 300}, {kern.nr, 7}, {3, 40}} {
				n, k := s[0], s[1]
				ta := m%2 == 0
				a := make([]float32, m*k)
				b := make([]float32, k*n)
				c0 := make([]float32, m*n)
				for _, x := range [][]float32{a, b, c0} {
					for i := range x {
						x[i] = float32(rng.NormFloat64())
					}
				}
				lda := k
				if ta {
					lda = m
				}
				for _, beta := range []float32{0, 1} {
					ge := newGemm(kern, ta, false, m, n, k, false, true)
					gf := newGemm(full, ta, false, m, n, k, false, true)
					ce := append([]float32(nil), c0...)
					cf := append([]float32(nil), c0...)
					ge.Run(1, a, lda, b, n, beta, ce, n)
					gf.Run(1, a, lda, b, n, beta, cf, n)
					for i := range ce {
						if math.Float32bits(ce[i]) != math.Float32bits(cf[i]) {
							t.Fatalf("%s %d×%d×%d ta=%v beta=%v: C[%d] = %g with the edge kernels, %g with the full one", kern.name, m, n, k, ta, beta, i, ce[i], cf[i])
						}
					}
					if m%kern.mr != 0 && m%kern.mr <= kern.edge[len(kern.edge)-1].rows {
						edges++
					}
				}
			}
		}
	}
	if gemmAsm && (X86.HasAVX2 && X86.HasFMA) && edges == 0 {
		t.Fatal("no product took an edge kernel")
	}
}

// TestGemmDirectASameBits: a row-major op(A) with alpha 1 is read in place
// by the unpacked kernels where one computes a panel's rows (12, 8 and 4 of
// the 12-row tile); each element must be bitwise what the packed path
// computes, for every M of up to three panels, a leading dimension wider
// than K, several K blocks, beta 0 and 1, and a swapped product.
func TestGemmDirectASameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 10))
	defer func(v bool) { gemmDirectA = v }(gemmDirectA)
	direct := 0
	for _, kern := range gemmKernelsFor[float32]() {
		if len(kern.unpacked) == 0 {
			continue
		}
		for m := 1; m <= 3*kern.mr; m++ {
			for _, s := range [][2]int{{2*kern.nr + 5, 300}, {kern.nr, 7}, {3, 40}} {
				n, k := s[0], s[1]
				lda := k + 3
				a := make([]float32, m*lda)
				b := make([]float32, k*n)
				c0 := make([]float32, m*n)
				for _, x := range [][]float32{a, b, c0} {
					for i := range x {
						x[i] = float32(rng.NormFloat64())
					}
				}
				for _, beta := range []float32{0, 1} {
					g := newGemm(kern, false, false, m, n, k, false, true)
					run := func(on bool) []float32 {
						gemmDirectA = on
						c := append([]float32(nil), c0...)
						g.Run(1, a, lda, b, n, beta, c, n)
						return c
					}
					cd, cp := run(true), run(false)
					for i := range cd {
						if math.Float32bits(cd[i]) != math.Float32bits(cp[i]) {
							t.Fatalf("%s %d×%d×%d beta=%v swap=%v: C[%d] = %g read in place, %g packed", kern.name, m, n, k, beta, g.swap, i, cd[i], cp[i])
						}
					}
					if gemmDirectA = true; !g.swap && kern.unpackedFor(min(m, kern.mr)) != nil {
						direct++
					}
				}
			}
		}
	}
	if gemmAsm && X86.HasAVX2 && X86.HasFMA && direct == 0 {
		t.Fatal("no product read op(A) in place")
	}
}
