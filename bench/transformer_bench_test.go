package bench

import (
	"fmt"
	"math"
	"testing"

	"github.com/nnclang/nnc/runtime"
)

// BenchmarkTransformerStep: bench/transformer.nn (two pre-norm blocks,
// causal attention, gelu), an Adam step, at TransformerBase and the sizes
// of TransformerSizes (sub-benchmarks named d128_h4_T64_B16...).
func BenchmarkTransformerStep(b *testing.B) {
	for _, s := range append([]TransformerSize{TransformerBase}, TransformerSizes...) {
		b.Run(transformerName(s), func(b *testing.B) {
			w, err := TransformerStep(s, 1, 1)
			transformerRun(b, w, err)
		})
	}
}

// BenchmarkTransformerInference: the forward pass at the same sizes.
func BenchmarkTransformerInference(b *testing.B) {
	for _, s := range append([]TransformerSize{TransformerBase}, TransformerSizes...) {
		b.Run(transformerName(s), func(b *testing.B) {
			w, err := TransformerInference(s, 1, 1)
			transformerRun(b, w, err)
		})
	}
}

// transformerRun is benchRun that also reports the process's CPU time per
// call (cpu-ms/op), comparable with transformer_torch.py's cpu_ms when other
// jobs load the machine.
func transformerRun(b *testing.B, w Workload, err error) {
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
	c0, n := cpuTime(), 0
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

func transformerName(s TransformerSize) string {
	return fmt.Sprintf("d%d_h%d_T%d_B%d", s.D, s.Heads, s.T, s.Batch)
}

// TestTransformerWorkloads builds and runs one step and one forward pass of
// the smallest transformer size, so that the benchmark's model stays valid.
func TestTransformerWorkloads(t *testing.T) {
	s := TransformerSize{D: 32, Heads: 4, T: 8, Batch: 2}
	for _, build := range []func(TransformerSize, int, uint64) (Workload, error){TransformerStep, TransformerInference} {
		w, err := build(s, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		runOnce(t, w)
	}
}

func runOnce(t *testing.T, w Workload) {
	store := runtime.NewStore()
	if err := runtime.InitParams(store, w.Graph, 1); err != nil {
		t.Fatal(err)
	}
	out, err := runtime.NewSession(w.Graph, store).Run(0, w.Inputs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		for _, v := range o.F32 {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("non-finite output %v", v)
			}
		}
	}
}
