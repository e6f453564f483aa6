package bench

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestRecurrentLoopMatchesUnrolled: the LSTM and GRU training steps with
// the scan run as a loop of the plan (Unroll 1) follow the unrolled steps
// (losses and parameters after four SGD steps, within f32 rounding: the
// two sum the recurrent weight's gradient in different orders), give
// bitwise the same results with GOMAXPROCS 1 and 2, and allocate nothing
// in a steady step.
func TestRecurrentLoopMatchesUnrolled(t *testing.T) {
	for _, name := range []string{"LSTMNet", "GRUNet"} {
		t.Run(name, func(t *testing.T) {
			s := LSTMSize{In: 8, Hidden: 24, T: 30, Batch: 6}
			unrolled, err := recurrentStep(s, name, 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			s.Unroll = 1
			looped, err := recurrentStep(s, name, 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			loops := 0
			for _, n := range looped.Graph.Nodes {
				if n.Op == ops.Loop {
					loops++
				}
			}
			if loops != 2 {
				t.Fatalf("%d loops in the step, want 2 (forward and backward)", loops)
			}
			lu, su, _ := lstmSteps(t, unrolled, 1, 4)
			l1, s1, a1 := lstmSteps(t, looped, 1, 4)
			l2, s2, a2 := lstmSteps(t, looped, 2, 4)
			close := func(a, b float32) bool {
				return math.Abs(float64(a-b)) <= 2e-5*(1+math.Abs(float64(b)))
			}
			for i := range lu {
				if !close(l1[i], lu[i]) {
					t.Errorf("step %d: loss %v as a loop, %v unrolled", i, l1[i], lu[i])
				}
				if math.Float32bits(l1[i]) != math.Float32bits(l2[i]) {
					t.Errorf("step %d: loss %v with GOMAXPROCS 1, %v with 2", i, l1[i], l2[i])
				}
			}
			for _, p := range su.Names() {
				want, got, got2 := su.Get(p).F32, s1.Get(p).F32, s2.Get(p).F32
				for j := range want {
					if !close(got[j], want[j]) {
						t.Errorf("%s[%d] = %v as a loop, %v unrolled", p, j, got[j], want[j])
						break
					}
					if math.Float32bits(got[j]) != math.Float32bits(got2[j]) {
						t.Errorf("%s[%d] = %v with GOMAXPROCS 1, %v with 2", p, j, got[j], got2[j])
						break
					}
				}
			}
			if a1 != 0 || a2 != 0 {
				t.Errorf("a steady step allocates %v (GOMAXPROCS 1) and %v (2) times, want 0", a1, a2)
			}
		})
	}
}
