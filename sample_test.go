package nnc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDrawToken checks the draws against the distribution computed here
// independently: softmax(logits / T) over the top k, frequencies of 40,000
// draws within 4 standard errors; greedy and top-k 1 take the largest
// logit; tokens outside the top k are never drawn.
func TestDrawToken(t *testing.T) {
	logits := []float32{1.0, 2.5, -0.5, 2.0, 0.0, 2.5}
	probs := make([]float64, len(logits))
	for _, c := range []struct {
		temp float64
		k    int
		want []float64
	}{
		{1, 0, softmaxOf([]float64{1, 2.5, -0.5, 2, 0, 2.5}, 1)},
		{0.5, 0, softmaxOf([]float64{1, 2.5, -0.5, 2, 0, 2.5}, 0.5)},
		// the top 3: ids 1, 5 (2.5, the tie kept by id order) and 3 (2.0)
		{0.8, 3, softmaxOf([]float64{math.Inf(-1), 2.5, math.Inf(-1), 2, math.Inf(-1), 2.5}, 0.8)},
		// the top 1 of a tie is the lower id
		{1, 1, []float64{0, 1, 0, 0, 0, 0}},
	} {
		rng := rand.New(rand.NewPCG(3, 4))
		const n = 40000
		count := make([]float64, len(logits))
		for range n {
			id, err := drawToken(logits, probs, SampleOptions{Temperature: c.temp, TopK: c.k}, rng)
			if err != nil {
				t.Fatal(err)
			}
			count[id]++
		}
		for i, p := range c.want {
			se := math.Sqrt(p * (1 - p) / n)
			if got := count[i] / n; math.Abs(got-p) > 4*se+1e-12 {
				t.Errorf("T %v, k %d: token %d drawn %.4f of the time, want %.4f", c.temp, c.k, i, got, p)
			}
		}
	}
	if id, _ := drawToken(logits, probs, SampleOptions{Greedy: true}, nil); id != 1 {
		t.Errorf("greedy: %d, want 1", id)
	}
	if _, err := drawToken([]float32{0, float32(math.NaN())}, probs, SampleOptions{Temperature: 1}, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("a NaN logit: no error")
	}
}

// softmaxOf is softmax(x / temp) in float64.
func softmaxOf(x []float64, temp float64) []float64 {
	out := make([]float64, len(x))
	z := 0.0
	for i, v := range x {
		out[i] = math.Exp(v / temp)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}
