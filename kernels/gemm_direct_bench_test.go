package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkGemmDirectA compares products read op(A) in place (directA)
// with the same products packing it, on the shapes of the benchmark
// models' steps (transformer d 128 at 512 tokens, the MLP at batch 128,
// an LSTM at batch 32, its input projection over 50 steps), reporting
// GFLOP/s. Run with -test.cpu 1.
func BenchmarkGemmDirectA(b *testing.B) {
	for _, s := range [][3]int{{512, 384, 128}, {512, 512, 128}, {512, 128, 512}, {128, 512, 784}, {128, 512, 512}, {32, 1024, 256}, {32, 256, 1024}, {1600, 1024, 64}} {
		for _, on := range []bool{false, true} {
			m, n, k := s[0], s[1], s[2]
			b.Run(fmt.Sprintf("%dx%dx%d/direct=%v", m, n, k, on), func(b *testing.B) {
				a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
				for i := range a {
					a[i] = float32(i%7) * 0.1
				}
				for i := range bb {
					bb[i] = float32(i%5) * 0.1
				}
				g := NewGemmPlan[float32](false, false, m, n, k)
				defer func(v bool) { gemmDirectA = v }(gemmDirectA)
				gemmDirectA = on
				b.ResetTimer()
				for range b.N {
					g.Run(1, a, k, bb, n, 0, c, n)
				}
				b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
