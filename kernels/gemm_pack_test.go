package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPackBRowsSameAsPanels: packing op(B) a row at a time, in chunks of
// rows that start and end inside K blocks, puts every element where
// packing it a panel at a time does (bitwise, for each float32 kernel with
// a row-wise packer), partial last panels included.
func TestPackBRowsSameAsPanels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kern := range gemmKernelsFor[float32]() {
		if kern.packPanels == nil {
			continue
		}
		for _, s := range []struct{ n, k, chunks int }{
			{64, 10, 1}, {100, 500, 3}, {100, 784, 16}, {120, 257, 5}, {512, 784, 7}, {kern.nr, 1, 1}, {250, 600, 4},
		} {
			g := newGemm(kern, false, false, 96, s.n, s.k, false, true)
			if g.swap || g.tb {
				t.Fatalf("%s n=%d k=%d: the plan computes the transpose", kern.name, s.n, s.k)
			}
			ldb := s.n + 3
			b := make([]float32, s.k*ldb)
			for i := range b {
				b[i] = rng.Float32()*2 - 1
			}
			g.b, g.ldb = b, ldb
			for i := range g.packB {
				g.packB[i] = float32(math.NaN())
			}
			for j := range g.nPan {
				g.packBPanel(g.packB, j)
			}
			want := append([]float32(nil), g.packB...)
			for i := range g.packB {
				g.packB[i] = float32(math.NaN())
			}
			for c := range s.chunks {
				g.packBRows(g.packB, c*s.k/s.chunks, (c+1)*s.k/s.chunks)
			}
			for i, w := range want {
				if math.Float32bits(g.packB[i]) != math.Float32bits(w) {
					t.Fatalf("%s n=%d k=%d: packB[%d] = %v by rows, %v by panels", kern.name, s.n, s.k, i, g.packB[i], w)
				}
			}
		}
	}
}

// TestPackStridedSameAsGather: the transposing packers (eight and four rows
// at a time) put alpha·src where gatherRows does, for every row count and
// step count up to 21 and 35, bitwise.
func TestPackStridedSameAsGather(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kern := range gemmKernelsFor[float32]() {
		if kern.packT == nil {
			continue
		}
		for rows := 1; rows <= 21; rows++ {
			for kl := 1; kl <= 35; kl++ {
				lds, ld := kl+rng.IntN(5), rows+rng.IntN(5)
				src := make([]float32, rows*lds)
				for i := range src {
					src[i] = rng.Float32()*2 - 1
				}
				want, got := make([]float32, kl*ld), make([]float32, kl*ld)
				const alpha = 0.3
				gatherRows(want, ld, src, lds, 0, rows, kl, alpha)
				packStrided(got, ld, src, lds, rows, kl, alpha, kern.packT, kern.packT8)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s rows=%d kl=%d: element %d is %v, gatherRows gives %v", kern.name, rows, kl, i, got[i], want[i])
					}
				}
			}
		}
	}
}
