package nnc

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
)

// drawToken picks the next token from the logits: the most likely with
// o.Greedy, else a draw from softmax(logits / o.Temperature) restricted to
// the o.TopK most likely tokens (ties broken by the lower id), using rng.
// probs is scratch of the logits' length. Non-finite logits are an error.
func drawToken(logits []float32, probs []float64, o SampleOptions, rng *rand.Rand) (int32, error) {
	best := 0
	for i, l := range logits {
		if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
			return 0, errors.New("the step gave a non-finite logit")
		}
		if l > logits[best] {
			best = i
		}
	}
	if o.Greedy {
		return int32(best), nil
	}
	keep := len(logits)
	if o.TopK > 0 && o.TopK < keep {
		keep = o.TopK
	}
	order := make([]int, len(logits))
	for i := range order {
		order[i] = i
	}
	if keep < len(logits) {
		sort.SliceStable(order, func(a, b int) bool { return logits[order[a]] > logits[order[b]] })
		order = order[:keep]
		sort.Ints(order)
	}
	top := float64(logits[best]) / o.Temperature
	total := 0.0
	for _, i := range order {
		probs[i] = math.Exp(float64(logits[i])/o.Temperature - top)
		total += probs[i]
	}
	u := rng.Float64() * total
	for _, i := range order {
		if u < probs[i] {
			return int32(i), nil
		}
		u -= probs[i]
	}
	return int32(order[len(order)-1]), nil
}
