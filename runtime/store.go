// Package runtime runs nnc graphs. A Plan fixes, for one graph and one set of
// concrete shape-variable values, the schedule of kernels, every value's
// shape and the placement of every value in one arena per element type, with
// buffers reused once their values are dead. A Session caches plans per
// concrete input signature and runs them; a steady run allocates nothing.
// Parameters and states live in a Store shared by the sessions of one model.
package runtime

import (
	"sort"

	"github.com/nnclang/nnc/tensor"
)

// Store holds a model's parameters and states by path ("l1.W"). One store is
// shared by the sessions of one model (its training step and its evaluation),
// so that updates made by one are seen by the others. A Store is not safe for
// concurrent use.
type Store struct {
	m map[string]*tensor.Tensor
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{m: map[string]*tensor.Tensor{}} }

// Get returns the tensor named name, or nil.
func (s *Store) Get(name string) *tensor.Tensor { return s.m[name] }

// Set stores t under name, replacing any previous tensor. Sessions bind the
// tensor itself (no copy): updates write into it.
func (s *Store) Set(name string, t *tensor.Tensor) { s.m[name] = t }

// Names returns the stored names, sorted.
func (s *Store) Names() []string {
	out := make([]string, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
