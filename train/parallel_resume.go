package train

import (
	"maps"
	"strings"

	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// accumulatorState reports whether a state is part of gradient
// accumulation (Accumulation), which data-parallel training also uses: the
// accumulators and rows, zero between updates, and the rows of the batch
// about to run, written before every batch.
func accumulatorState(name string) bool {
	return strings.HasSuffix(name, "/accum.grad") || name == AccumRowsState || name == BatchRowsState
}

// matchAccumulators returns c with its accumulators matched to the
// store's, so that a checkpoint written between updates resumes in a run
// with or without data-parallel training (whose step keeps accumulators
// a plain step has not): an accumulator the store has and c lacks is
// added as the store's (zeros, as between updates), and one c has and the
// store lacks is dropped when it is zero (BatchRowsState whatever its
// value). c itself is not changed.
func matchAccumulators(c *Checkpoint, store *runtime.Store) *Checkpoint {
	out := *c
	out.States = maps.Clone(c.States)
	snapshot := false
	for n := range c.States {
		snapshot = snapshot || strings.HasPrefix(n, bestPrefix)
	}
	for n, t := range c.States {
		name := strings.TrimPrefix(n, bestPrefix)
		if accumulatorState(name) && store.Get(name) == nil && (name == BatchRowsState || allZero(t)) {
			delete(out.States, n)
		}
	}
	for _, name := range store.Names() {
		if !accumulatorState(name) {
			continue
		}
		if _, ok := out.States[name]; !ok {
			out.States[name] = store.Get(name).Clone()
		}
		if _, ok := out.States[bestPrefix+name]; !ok && snapshot {
			out.States[bestPrefix+name] = store.Get(name).Clone()
		}
	}
	return &out
}

func allZero(t *tensor.Tensor) bool {
	for i := range t.Len() {
		if t.At(i) != 0 {
			return false
		}
	}
	return true
}
