package bench

import "testing"

// BenchmarkThreads: the training steps of BENCHMARKS.md (MLP and ConvNet
// with SGD, the LSTM with SGD, the transformer with Adam) with the process's
// CPU time per call (cpu-ms/op) beside the wall time, to compare one thread
// with two: run it with -cpu 1, then with -cpu 2 (in one run with -cpu 1,2
// Go's testing may make a benchmark's first call for the first count
// before it sets GOMAXPROCS, and b.Loop measures it all then). On a machine
// shared with other jobs the wall time of two threads depends on what the
// others leave, and the CPU time shows what the second thread costs.
func BenchmarkThreads(b *testing.B) {
	for _, c := range threadWorkloads {
		b.Run(c.name, func(b *testing.B) {
			w, err := c.make()
			lstmRun(b, w, err)
		})
	}
}

// threadWorkloads are the training steps BenchmarkThreads and
// BenchmarkThreadsPaired time.
var threadWorkloads = []struct {
	name string
	make func() (Workload, error)
}{
	{"MLPStepSGD", func() (Workload, error) { return Step(MLP, "sgd", 1, 128, 1) }},
	{"ConvNetStepSGD", func() (Workload, error) { return Step(ConvNet, "sgd", 1, 64, 1) }},
	{"LSTMStepSGD", func() (Workload, error) { return LSTMStep(LSTMBase, 1, 1) }},
	{"TransformerStepAdam", func() (Workload, error) { return TransformerStep(TransformerBase, 1, 1) }},
}
