package bench

import (
	"fmt"
	"testing"

	"github.com/nnclang/nnc/runtime"
)

// lstmRun is benchRun that also reports the process's CPU time per call
// (cpu-ms/op), the figure comparable with lstm_torch.py's cpu_ms when the
// machine is loaded by other jobs.
func lstmRun(b *testing.B, w Workload, err error) {
	if err != nil {
		b.Fatal(err)
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, w.Graph, 1); err != nil {
		b.Fatal(err)
	}
	sess := runtime.NewSession(w.Graph, store)
	for i := 0; i < 3; i++ { // plan and warm up
		if _, err := sess.Run(uint64(i), w.Inputs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	c0 := cpuTime()
	n := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := sess.Run(uint64(i), w.Inputs...); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.StopTimer()
	if c := cpuTime(); c > 0 && n > 0 {
		b.ReportMetric((c-c0).Seconds()*1e3/float64(n), "cpu-ms/op")
	}
}

// BenchmarkLSTMStepSGD: bench/lstm.nn 64→128, batch 32, 50 steps, forward,
// backward and a plain SGD update (lstm_torch.py is the reference).
func BenchmarkLSTMStepSGD(b *testing.B) {
	w, err := LSTMStep(LSTMBase, 1, 1)
	lstmRun(b, w, err)
}

// BenchmarkLSTMSizes: the same step at the sizes of LSTMSizes, named
// in_hidden_T_batch.
func BenchmarkLSTMSizes(b *testing.B) { recurrentSizes(b, LSTMStep) }

// BenchmarkGRUStepSGD: bench/lstm.nn's GRUNet at LSTMBase's size
// (lstm_torch.py gru is the reference).
func BenchmarkGRUStepSGD(b *testing.B) {
	w, err := GRUStep(LSTMBase, 1, 1)
	lstmRun(b, w, err)
}

// BenchmarkGRUSizes: the GRU step at the sizes of LSTMSizes.
func BenchmarkGRUSizes(b *testing.B) { recurrentSizes(b, GRUStep) }

// recurrentSizes runs the step that step builds at each of LSTMSizes.
func recurrentSizes(b *testing.B, step func(LSTMSize, int, uint64) (Workload, error)) {
	for _, s := range LSTMSizes {
		b.Run(fmt.Sprintf("%d_%d_%d_%d", s.In, s.Hidden, s.T, s.Batch), func(b *testing.B) {
			w, err := step(s, 1, 1)
			lstmRun(b, w, err)
		})
	}
}
