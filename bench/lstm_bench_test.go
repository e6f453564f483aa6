package bench

import (
	"fmt"
	"testing"
)

// BenchmarkLSTMStepSGD: bench/lstm.nn 64→128, batch 32, 50 steps, forward,
// backward and a plain SGD update (lstm_torch.py is the reference).
func BenchmarkLSTMStepSGD(b *testing.B) {
	w, err := LSTMStep(LSTMBase, 1, 1)
	benchRun(b, w, err)
}

// BenchmarkLSTMSizes: the same step at the sizes of LSTMSizes, named
// in_hidden_T_batch.
func BenchmarkLSTMSizes(b *testing.B) {
	for _, s := range LSTMSizes {
		b.Run(fmt.Sprintf("%d_%d_%d_%d", s.In, s.Hidden, s.T, s.Batch), func(b *testing.B) {
			w, err := LSTMStep(s, 1, 1)
			benchRun(b, w, err)
		})
	}
}
