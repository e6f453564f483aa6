// Package runtime runs nnc graphs. A Plan fixes, for one graph and one set of
// concrete shape-variable values, the schedule of kernels, every value's
// shape and the placement of every value in one arena per element type, with
// buffers reused once their values are dead. A Session caches plans per
// concrete input signature and runs them; a steady run allocates nothing.
// Parameters and states live in a Store shared by the sessions of one model.
package runtime

import (
	"sort"
	"sync/atomic"

	"github.com/nnclang/nnc/tensor"
)

// Store holds a model's parameters and states by path ("l1.W"). One store is
// shared by the sessions of one model (its training step and its evaluation),
// so that updates made by one are seen by the others. A Store is not safe for
// concurrent use.
type Store struct {
	m map[string]*tensor.Tensor
	// gen counts the changes the store may have seen: Set, Get (the
	// tensor handed out may be written) and the runs of sessions that
	// update it. Sessions with SetParamsFixed keep packed params while it
	// does not move. Atomic: the nnc package reads params (Get) while
	// runs are in progress.
	gen atomic.Uint64
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{m: map[string]*tensor.Tensor{}} }

// Get returns the tensor named name, or nil. The caller may write into it:
// the store counts it as possibly changed (see Session.SetParamsFixed).
func (s *Store) Get(name string) *tensor.Tensor {
	s.gen.Add(1)
	return s.m[name]
}

// Set stores t under name, replacing any previous tensor. Sessions bind the
// tensor itself (no copy): updates write into it.
func (s *Store) Set(name string, t *tensor.Tensor) {
	s.gen.Add(1)
	s.m[name] = t
}

// lookup is Get for the runtime's own reads, which do not change the
// tensor.
func (s *Store) lookup(name string) *tensor.Tensor { return s.m[name] }

// Names returns the stored names, sorted.
func (s *Store) Names() []string {
	out := make([]string, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
