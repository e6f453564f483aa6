package bench

import (
	goruntime "runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkThreadsPaired: BenchmarkThreads' training steps at one thread
// and at two in the same process, paired: each iteration runs the step at
// GOMAXPROCS 1 and at 2 (which first, alternating), each time a warm-up
// call then a timed one, so that both figures of a pair see the same
// machine. On a guest whose speed drifts by tens of percent within minutes
// (BENCHMARKS.md), separate runs at -cpu 1 and -cpu 2 compare different
// machines; the median of the pairs' ratios does not. It reports the
// medians of the timed calls (ms-1t, ms-2t) and of the pairs' ratios
// (speedup: one thread's time over two threads'); set the pairs with
// -benchtime, e.g. go test ./bench -run '^$' -bench ThreadsPaired
// -benchtime 100x. A plan's tasks do not depend on GOMAXPROCS (the
// kernels' partitions are fixed by the shapes), so one plan serves both.
func BenchmarkThreadsPaired(b *testing.B) {
	if goruntime.NumCPU() < 2 {
		b.Skip("one CPU")
	}
	for _, c := range threadWorkloads {
		b.Run(c.name, func(b *testing.B) {
			w, err := c.make()
			sess := warmSession(b, w, err, 0)
			defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(0))
			seed := uint64(0)
			run := func(procs int) float64 {
				goruntime.GOMAXPROCS(procs)
				var d time.Duration
				for range 2 { // a warm-up call (the pool's goroutines start), then the timed one
					seed++
					t0 := time.Now()
					if _, err := sess.Run(seed, w.Inputs...); err != nil {
						b.Fatal(err)
					}
					d = time.Since(t0)
				}
				return d.Seconds() * 1e3
			}
			run(1)
			run(2)
			var one, two, ratio []float64
			for i := 0; b.Loop(); i++ {
				var t1, t2 float64
				if i%2 == 0 {
					t1, t2 = run(1), run(2)
				} else {
					t2, t1 = run(2), run(1)
				}
				one, two, ratio = append(one, t1), append(two, t2), append(ratio, t1/t2)
			}
			b.ReportMetric(median(one), "ms-1t")
			b.ReportMetric(median(two), "ms-2t")
			b.ReportMetric(median(ratio), "speedup")
		})
	}
}

// median is the middle value of xs (the upper one of an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
