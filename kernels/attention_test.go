package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// attnReference is attention in float64 straight from its definition, one
// query row at a time: p = softmax over the kept keys of q·kᵀ·scale, out =
// p·v, and the backward of TestAttentionMatchesDefinition's comment.
func attnReference(tq, tk, d, dv int, scale float64, q, k, v, g []float32, kept func(i, j int) bool) (out, dq, dk, dvv []float64) {
	out, dq = make([]float64, tq*dv), make([]float64, tq*d)
	dk, dvv = make([]float64, tk*d), make([]float64, tk*dv)
	for i := 0; i < tq; i++ {
		p := make([]float64, tk)
		m := math.Inf(-1)
		for j := 0; j < tk; j++ {
			if !kept(i, j) {
				continue
			}
			for c := 0; c < d; c++ {
				p[j] += float64(q[i*d+c]) * float64(k[j*d+c])
			}
			p[j] *= scale
			m = math.Max(m, p[j])
		}
		sum := 0.0
		for j := range p {
			if kept(i, j) {
				p[j] = math.Exp(p[j] - m)
				sum += p[j]
			} else {
				p[j] = 0
			}
		}
		dp := make([]float64, tk)
		delta := 0.0
		for j := range p {
			if sum > 0 { // a row that keeps no key has probabilities 0
				p[j] /= sum
			}
			for c := 0; c < dv; c++ {
				out[i*dv+c] += p[j] * float64(v[j*dv+c])
				dp[j] += float64(g[i*dv+c]) * float64(v[j*dv+c])
			}
			delta += p[j] * dp[j]
		}
		for j := range p {
			ds := p[j] * (dp[j] - delta) * scale
			for c := 0; c < d; c++ {
				dq[i*d+c] += ds * float64(k[j*d+c])
				dk[j*d+c] += ds * float64(q[i*d+c])
			}
			for c := 0; c < dv; c++ {
				dvv[j*dv+c] += p[j] * float64(g[i*dv+c])
			}
		}
	}
	return out, dq, dk, dvv
}

// TestAttentionMatchesDefinition: Attention's forward and backward agree
// with attnReference, for sizes below, at and across a strip and a key
// tile (one strip, and several of which a prefix mask skips key tiles),
// under a prefix mask (causal and ragged), a mask function and none.
func TestAttentionMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fill := func(n int) []float32 { return to32(randSlice(rng, n)) }
	for _, s := range []struct{ tq, tk, d, dv int }{{5, 5, 3, 4}, {32, 32, 32, 32}, {17, 40, 8, 5}, {70, 70, 16, 24}, {130, 90, 8, 8}} {
		q, k, v, g := fill(s.tq*s.d), fill(s.tk*s.d), fill(s.tk*s.dv), fill(s.tq*s.dv)
		ragged := make([]int, s.tq)
		for i := range ragged {
			ragged[i] = rng.IntN(s.tk + 1)
		}
		ragged[0] = 0 // a row that keeps no key: its output is 0
		causal := make([]int, s.tq)
		for i := range causal {
			causal[i] = min(i+1, s.tk)
		}
		none := make([]int, s.tq) // no row keeps a key: every output 0
		odd := func(i, j int) bool { return (i+j)%3 != 1 || j == 0 }
		cases := []struct {
			name string
			lens []int
			mask func(i int, row []float32)
			kept func(i, j int) bool
		}{
			{"none", nil, nil, func(int, int) bool { return true }},
			{"causal", causal, nil, func(i, j int) bool { return j < causal[i] }},
			{"ragged", ragged, nil, func(i, j int) bool { return j < ragged[i] }},
			{"nothing", none, nil, func(int, int) bool { return false }},
			{"mask", nil, func(i int, row []float32) {
				for j := range row {
					if !odd(i, j) {
						row[j] = float32(math.Inf(-1))
					}
				}
			}, odd},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%dx%dx%dx%d/%s", s.tq, s.tk, s.d, s.dv, c.name), func(t *testing.T) {
				const scale = 0.3
				a := NewAttention[float32](s.tq, s.tk, s.d, s.dv, scale, true)
				out, dq := make([]float32, s.tq*s.dv), make([]float32, s.tq*s.d)
				dk, dvv := make([]float32, s.tk*s.d), make([]float32, s.tk*s.dv)
				for _, x := range [][]float32{out, dq, dk, dvv} { // stale values to overwrite
					for i := range x {
						x[i] = 7
					}
				}
				a.Forward(out, q, k, v, c.lens, c.mask)
				a.Backward(dq, dk, dvv, q, k, v, g, c.lens, c.mask)
				wo, wq, wk, wv := attnReference(s.tq, s.tk, s.d, s.dv, scale, q, k, v, g, c.kept)
				for _, r := range []struct {
					name string
					got  []float32
					want []float64
				}{{"out", out, wo}, {"dq", dq, wq}, {"dk", dk, wk}, {"dv", dvv, wv}} {
					for i, w := range r.want {
						if e := math.Abs(float64(r.got[i]) - w); !(e <= 1e-4*(1+math.Abs(w))) {
							t.Fatalf("%s[%d] = %v, want %v", r.name, i, r.got[i], w)
						}
					}
				}
			})
		}
	}
}
