package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
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

// wakeProbe is a pool job that records when its helper starts, while the
// caller's share busy-waits for spin.
type wakeProbe struct {
	sent, started time.Time
	spin          time.Duration
}

func (w *wakeProbe) work(id int) {
	if id == 1 {
		w.started = time.Now()
		return
	}
	for t0 := time.Now(); time.Since(t0) < w.spin; {
	}
}

// BenchmarkPoolWake measures how long a parked pool goroutine takes to start
// on a job while the caller computes its own share (200 µs): the cost that
// keeps small products serial (gemmSerialMACs). It reports the median and
// the 10th percentile in µs; 200 means the helper started only when the
// caller was done.
func BenchmarkPoolWake(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS >= 2")
	}
	w := &wakeProbe{spin: 200 * time.Microsecond}
	var wg sync.WaitGroup
	var lat []float64
	for b.Loop() {
		w.sent = time.Now()
		poolRun(w, 2, &wg)
		lat = append(lat, float64(w.started.Sub(w.sent).Nanoseconds())/1e3)
		time.Sleep(50 * time.Microsecond) // let the helper park
	}
	sort.Float64s(lat)
	b.ReportMetric(lat[len(lat)/2], "p50-µs")
	b.ReportMetric(lat[len(lat)/10], "p10-µs")
}
