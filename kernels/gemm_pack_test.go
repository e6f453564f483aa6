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
				g.packBPanel(j)
			}
			want := append([]float32(nil), g.packB...)
			for i := range g.packB {
				g.packB[i] = float32(math.NaN())
			}
			for c := range s.chunks {
				g.packBRows(c*s.k/s.chunks, (c+1)*s.k/s.chunks)
			}
			for i, w := range want {
				if math.Float32bits(g.packB[i]) != math.Float32bits(w) {
					t.Fatalf("%s n=%d k=%d: packB[%d] = %v by rows, %v by panels", kern.name, s.n, s.k, i, g.packB[i], w)
				}
			}
		}
	}
}
