package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
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
// on a job while the caller computes its own share for 200 µs: the cost that
// keeps small products serial (gemmSerialMACs). It reports the median and
// the 10th percentile in µs of the helpers that started in time, and the
// percentage that did not (the caller cancels those when it is done).
func BenchmarkPoolWake(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS >= 2")
	}
	w := &wakeProbe{spin: 200 * time.Microsecond}
	s := newPoolSync(2)
	var lat []float64
	late := 0
	for b.Loop() {
		w.sent, w.started = time.Now(), time.Time{}
		poolRun(w, 2, &s)
		if w.started.IsZero() {
			late++
		} else {
			lat = append(lat, float64(w.started.Sub(w.sent).Nanoseconds())/1e3)
		}
		time.Sleep(50 * time.Microsecond) // let the helper park
	}
	b.ReportMetric(100*float64(late)/float64(b.N), "late-%")
	if len(lat) > 0 {
		sort.Float64s(lat)
		b.ReportMetric(lat[len(lat)/2], "p50-µs")
		b.ReportMetric(lat[len(lat)/10], "p10-µs")
	}
}

// BenchmarkGemmMicrokernel runs the microkernels alone on packed panels that
// stay in L1 (KC = 256 steps, accumulating into one tile): the ceiling of the
// whole product.
func BenchmarkGemmMicrokernel(b *testing.B) {
	for _, kern := range gemmKernelsFor[float32]() {
		b.Run("f32/"+kern.name, func(b *testing.B) {
			const kc = 256
			pa, pb, c := make([]float32, kc*kern.mr), make([]float32, kc*kern.nr), make([]float32, kern.mr*kern.nr)
			for b.Loop() {
				kern.fn(kc, &pa[0], &pb[0], &c[0], kern.nr, 1)
			}
			b.ReportMetric(2*float64(kc*kern.mr*kern.nr)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// gemmShape is one product of a benchmark set: C[m, n] = op(A)·op(B) with
// K = k, A stored transposed when ta and B when tb.
type gemmShape struct {
	name    string
	m, n, k int
	ta, tb  bool
}

// gemmMLPShapes are the products of a training step of the MLP
// 784-512-512-10 on batches of 128 (forward, weight gradients with the
// input transposed, input gradients with the weights transposed);
// bench/sgemm_numpy.py --mlp times the same.
var gemmMLPShapes = []gemmShape{
	{"x.W1", 128, 512, 784, false, false},
	{"h1.W2", 128, 512, 512, false, false},
	{"h2.W3", 128, 10, 512, false, false},
	{"dW1", 784, 512, 128, true, false},
	{"dW2", 512, 512, 128, true, false},
	{"dW3", 512, 10, 128, true, false},
	{"dh2", 128, 512, 10, false, true},
	{"dh1", 128, 512, 512, false, true},
}

// gemmTransformerShapes are the dense products of one block of
// bench/transformer.nn's training step at d 128, 16 sequences of 64 tokens
// (1,024 rows): the q/k/v projection as one product, the output
// projection, the feed-forward's up (to 512) and down products, each
// forward, for its weight's gradient (the input transposed) and for its
// input's gradient (the weight transposed); bench/sgemm_numpy.py
// --transformer times the same.
var gemmTransformerShapes = []gemmShape{
	{"x.Wqkv", 1024, 384, 128, false, false},
	{"a.Wo", 1024, 128, 128, false, false},
	{"h.Wup", 1024, 512, 128, false, false},
	{"u.Wdown", 1024, 128, 512, false, false},
	{"dWqkv", 128, 384, 1024, true, false},
	{"dWo", 128, 128, 1024, true, false},
	{"dWup", 128, 512, 1024, true, false},
	{"dWdown", 512, 128, 1024, true, false},
	{"dx.qkv", 1024, 128, 384, false, true},
	{"da.o", 1024, 128, 128, false, true},
	{"dh.up", 1024, 128, 512, false, true},
	{"du.down", 1024, 512, 128, false, true},
}

// BenchmarkGemmMLP times the MLP step's products (f32); with GOMAXPROCS=1
// also by the thread's CPU time.
func BenchmarkGemmMLP(b *testing.B) { benchGemmShapes(b, gemmMLPShapes) }

// BenchmarkGemmTransformer times a transformer block's products (f32), as
// BenchmarkGemmMLP does.
func BenchmarkGemmTransformer(b *testing.B) { benchGemmShapes(b, gemmTransformerShapes) }

// benchGemmShapes runs one sub-benchmark per shape, reporting GFLOP/s and,
// with GOMAXPROCS=1, the thread's CPU µs per product. The plans take their
// buffers from a Workspace, as a plan's products do (PrepareShared).
func benchGemmShapes(b *testing.B, shapes []gemmShape) {
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			g := NewGemmPlanShared[float32](s.ta, s.tb, s.m, s.n, s.k)
			g.SetWorkspace(&Workspace{})
			x, y, c := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
			lda, ldb := s.k, s.n
			if s.ta {
				lda = s.m
			}
			if s.tb {
				ldb = s.k
			}
			serial := runtime.GOMAXPROCS(0) == 1
			if serial {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			cpu0, cpuOK := threadCPUSeconds()
			for b.Loop() {
				g.Run(1, x, lda, y, ldb, 0, c, s.n)
			}
			flop := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu1, ok := threadCPUSeconds(); serial && cpuOK && ok && cpu1 > cpu0 {
				b.ReportMetric((cpu1-cpu0)/float64(b.N)*1e6, "cpu-µs/op")
			}
		})
	}
}
