package bench

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/train"
)

// BenchmarkLSTMCompile: the compile time and plan size of the LSTM training
// step as the scan grows (64→128, batch 32): T = 50 unrolled; T = 500, 2000
// and 5000 as a loop of the plan (lang's default past 256 steps); T = 500
// and 2000 unrolled as well ("unrolled"), for comparison.
// Each iteration lowers, builds the SGD step, optimizes and plans; the
// metrics are the time of each phase (lower-ms, grad-ms: step building,
// opt-ms, plan-ms: the first run's planning, kernels and one run), the
// optimized graph's nodes, the plan's steps and its arena (peak-MB), and
// the median of three further steps (step-ms).
//
//	go test ./bench -run XXX -bench LSTMCompile -benchtime 1x
func BenchmarkLSTMCompile(b *testing.B) {
	for _, c := range []struct {
		T      int
		unroll bool
	}{{50, false}, {500, false}, {500, true}, {2000, false}, {2000, true}, {5000, false}} {
		name := fmt.Sprintf("T=%d", c.T)
		s := LSTMBase
		s.T = c.T
		if c.unroll {
			name += "/unrolled"
			s.Unroll = c.T
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				lstmCompile(b, s)
			}
		})
	}
}

func lstmCompile(b *testing.B, s LSTMSize) {
	t0 := time.Now()
	bld := ops.NewBuilder()
	low, err := LSTMLower(s, bld)
	if err != nil {
		b.Skipf("T = %d: %v", s.T, err)
	}
	t1 := time.Now()
	if err := train.BuildStep(bld, low.Outputs[0], low.Params, &train.SGD{LR: 0.01}); err != nil {
		b.Fatal(err)
	}
	t2 := time.Now()
	g, err := opt.Optimize(bld.G, opt.Options{Level: 1})
	if err != nil {
		b.Fatal(err)
	}
	t3 := time.Now()
	store := runtime.NewStore()
	if err := runtime.InitParams(store, g, 1); err != nil {
		b.Fatal(err)
	}
	x, y := inputs(LSTMModel(s), s.Batch, 1)
	sess := runtime.NewSession(g, store)
	if _, err := sess.Run(0, x, y); err != nil {
		b.Fatal(err)
	}
	t4 := time.Now()
	p, err := sess.Plan(x, y)
	if err != nil {
		b.Fatal(err)
	}
	var steps []time.Duration
	for range 3 {
		t := time.Now()
		if _, err := sess.Run(0, x, y); err != nil {
			b.Fatal(err)
		}
		steps = append(steps, time.Since(t))
	}
	slices.Sort(steps)
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 }
	b.ReportMetric(ms(steps[1]), "step-ms")
	b.ReportMetric(ms(t1.Sub(t0)), "lower-ms")
	b.ReportMetric(ms(t2.Sub(t1)), "grad-ms")
	b.ReportMetric(ms(t3.Sub(t2)), "opt-ms")
	b.ReportMetric(ms(t4.Sub(t3)), "plan-ms")
	b.ReportMetric(float64(len(g.Nodes)), "nodes")
	b.ReportMetric(float64(len(p.Steps)), "steps")
	b.ReportMetric(float64(p.PeakBytes())/(1<<20), "peak-MB")
}
