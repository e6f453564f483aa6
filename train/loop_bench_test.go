package train

import "testing"

// BenchmarkRunEpoch measures the loop around the steps: one epoch of the
// digits MLP (40 steps of 32 rows), no evaluation, no log.
func BenchmarkRunEpoch(b *testing.B) {
	t := &testing.T{}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := digitsConfig(t, 1, 3)
		cfg.Forward, cfg.Loss, cfg.Val, cfg.Test = nil, nil, nil, nil
		b.StartTimer()
		if _, err := Run(cfg); err != nil {
			b.Fatal(err)
		}
	}
}
