package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestAttentionBatchSameForAnyGOMAXPROCS: a batch of sets run in parallel
// gives bitwise what one Attention gives set by set, forward and backward,
// whatever GOMAXPROCS is when it runs.
func TestAttentionBatchSameForAnyGOMAXPROCS(t *testing.T) {
	const n, tq, tk, d, dv = 12, 70, 70, 16, 24
	rng := rand.New(rand.NewPCG(9, 10))
	fill := func(k int) []float32 {
		x := make([]float32, k)
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
		return x
	}
	q, k, v, g := fill(n*tq*d), fill(n*tk*d), fill(n*tk*dv), fill(n*tq*dv)
	lens := make([]int, tq) // causal: row i keeps keys [0, i]
	for i := range lens {
		lens[i] = i + 1
	}
	for _, backward := range []bool{false, true} {
		size := n * tq * dv
		if backward {
			size = n * (tq*d + tk*d + tk*dv)
		}
		run := func(out []float32) func(a *Attention[float32], _, i int) {
			return func(a *Attention[float32], _, i int) {
				qb, kb, vb := q[i*tq*d:(i+1)*tq*d], k[i*tk*d:(i+1)*tk*d], v[i*tk*dv:(i+1)*tk*dv]
				if !backward {
					a.Forward(out[i*tq*dv:(i+1)*tq*dv], qb, kb, vb, lens, nil)
					return
				}
				dq := out[i*tq*d : (i+1)*tq*d]
				dk := out[n*tq*d+i*tk*d : n*tq*d+(i+1)*tk*d]
				dvv := out[n*(tq*d+tk*d)+i*tk*dv : n*(tq*d+tk*d)+(i+1)*tk*dv]
				a.Backward(dq, dk, dvv, qb, kb, vb, g[i*tq*dv:(i+1)*tq*dv], lens, nil)
			}
		}
		want := make([]float32, size)
		one := NewAttention[float32](tq, tk, d, dv, 0.25, backward)
		for i := range n {
			run(want)(one, 0, i)
		}
		got := make([]float32, size)
		b := NewAttentionBatch(n, tq, tk, d, dv, 0.25, backward, run(got))
		if b.Participants() < 2 && runtime.NumCPU() > 1 {
			t.Errorf("backward=%v: %d participants for %d sets", backward, b.Participants(), n)
		}
		for _, procs := range []int{1, 2, 3} {
			prev := runtime.GOMAXPROCS(procs)
			clear(got)
			b.Run()
			runtime.GOMAXPROCS(prev)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("backward=%v GOMAXPROCS=%d: element %d is %v, set by set %v", backward, procs, i, got[i], want[i])
				}
			}
		}
	}
}
