package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkAdamTiles runs one Adam step (UpdateTiles.Adam) over a
// parameter of n elements: 100 K (in L2 with its moments) and 670 K (the
// MLP 784-512-512-10's, in L3), reporting ns per element. Run with
// -test.cpu 1.
func BenchmarkAdamTiles(b *testing.B) {
	for _, n := range []int{100_000, 670_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				p[i], g[i] = float32(i%13)*0.01, float32(i%7)*0.001-0.003
			}
			u := NewUpdateTiles[float32]()
			c := AdamCoef[float32]{B1: 0.9, C1: 0.1, B2: 0.999, C2: 0.001, Eps: 1e-8, StepSize: 1e-3, BC2Sqrt: 0.5}
			b.ResetTimer()
			for range b.N {
				u.Adam(p, p, g, m, v, nil, c)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
		})
	}
}
