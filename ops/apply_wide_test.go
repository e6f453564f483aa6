package ops

import (
	goruntime "runtime"
	"testing"
	"time"
)

// TestApplyWideLinear: building a node of n operands costs time linear in n
// (the node's key once grew by copying, quadratic in n: 45% of checking a
// 20,000-item concat). CPU time, as a ratio, so a busy machine does not
// fail it.
func TestApplyWideLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing ratio; skipped with -short")
	}
	build := func(n int) time.Duration {
		var took time.Duration
		for r := 0; r < 5; r++ {
			b := NewBuilder()
			x := b.Input("x", Type{DType: F32, Shape: ShapeOf(1)})
			in := make([]*Node, n)
			for i := range in {
				in[i] = x
			}
			goruntime.GC()
			start := cpuTime()
			y, err := b.Apply(Concat, Attrs{"axis": 0}, in...)
			if d := cpuTime() - start; r == 0 || d < took {
				took = d // the fastest run: a collection or a stall does not count
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := y.Type.Shape[0].IsConst(); !ok || got != int64(n) {
				t.Fatalf("concat of %d: shape %v", n, y.Type.Shape)
			}
		}
		return took
	}
	build(1000) // warm up
	small, large := build(5000), build(50000)
	if ratio := float64(large) / float64(max(small, time.Microsecond)); ratio > 50 {
		t.Errorf("10x the operands took %.1fx the CPU time (%v vs %v); want linear (at most 50x; the quadratic key took thousands)", ratio, large, small)
	}
}
