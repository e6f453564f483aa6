package kernels

import (
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"testing"
)

// cpuBench runs f b.N times on a locked thread and reports its CPU time
// per call (cpu-us/op), which load on the machine does not inflate.
func cpuBench(b *testing.B, f func()) {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	c0, ok := threadCPUSeconds()
	for range b.N {
		f()
	}
	if c1, ok1 := threadCPUSeconds(); ok && ok1 {
		b.ReportMetric((c1-c0)*1e6/float64(b.N), "cpu-us/op")
	}
}

// BenchmarkAttention times one batch-head of Attention's forward and
// backward under a causal mask (go test ./kernels -run '^$' -bench
// Attention -cpu 1).
func BenchmarkAttention(b *testing.B) {
	for _, s := range []struct{ t, d int }{{32, 32}, {64, 32}, {256, 32}, {128, 32}} {
		rng := rand.New(rand.NewPCG(1, 2))
		rnd := func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
			return v
		}
		q, k, v, g := rnd(s.t*s.d), rnd(s.t*s.d), rnd(s.t*s.d), rnd(s.t*s.d)
		out, dq, dk, dv := rnd(s.t*s.d), rnd(s.t*s.d), rnd(s.t*s.d), rnd(s.t*s.d)
		lens := make([]int, s.t)
		for i := range lens {
			lens[i] = i + 1
		}
		a := NewAttention[float32](s.t, s.t, s.d, s.d, 0.17, true)
		b.Run(fmt.Sprintf("forward/T%d_d%d", s.t, s.d), func(b *testing.B) {
			cpuBench(b, func() { a.Forward(out, q, k, v, lens, nil) })
		})
		b.Run(fmt.Sprintf("backward/T%d_d%d", s.t, s.d), func(b *testing.B) {
			cpuBench(b, func() { a.Backward(dq, dk, dv, q, k, v, g, lens, nil) })
		})
	}
}
