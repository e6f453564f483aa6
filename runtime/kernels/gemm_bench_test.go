package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkGemm times square products C = A·B with a prepared plan and
// reports GFLOP/s (2·n³ floating-point operations per product). With
// GOMAXPROCS=1 it also reports cpu-GFLOP/s, by the thread's CPU time rather
// than the wall clock: on a shared machine that measures the code rather than
// the other processes. bench/gemm.sh runs it beside NumPy's matmul.
func BenchmarkGemm(b *testing.B) {
	for _, n := range []int{128, 256, 512, 1024, 2048} {
		b.Run(fmt.Sprintf("f32/n=%d", n), func(b *testing.B) { benchGemm[float32](b, n) })
	}
	for _, n := range []int{256, 1024} {
		b.Run(fmt.Sprintf("f64/n=%d", n), func(b *testing.B) { benchGemm[float64](b, n) })
	}
}

func benchGemm[T Float](b *testing.B, n int) {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	x, y, c := make([]T, n*n), make([]T, n*n), make([]T, n*n)
	for i := range x {
		x[i], y[i] = T(rng.NormFloat64()), T(rng.NormFloat64())
	}
	g := NewGemmPlan[T](false, false, n, n, n)
	g.Run(1, x, n, y, n, 0, c, n)
	serial := runtime.GOMAXPROCS(0) == 1 // the product runs on this goroutine
	if serial {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	cpu0, cpuOK := threadCPUSeconds()
	b.ResetTimer()
	for b.Loop() {
		g.Run(1, x, n, y, n, 0, c, n)
	}
	flop := 2 * float64(n) * float64(n) * float64(n) * float64(b.N)
	b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu1, ok := threadCPUSeconds(); serial && cpuOK && ok && cpu1 > cpu0 {
		b.ReportMetric(flop/(cpu1-cpu0)/1e9, "cpu-GFLOP/s")
	}
}
