package nnc

import (
	"fmt"
	"slices"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// setParams copies tensors named by path from m into store; every leaf must
// be present with its declared type.
func setParams(store *runtime.Store, leaves []*ops.Node, m map[string]*Tensor, file string) error {
	for _, n := range leaves {
		t, ok := m[n.Name()]
		if !ok {
			return fmt.Errorf("%s: no tensor named %s (%v)", file, n.Name(), n.Type)
		}
		cur := store.Get(n.Name())
		if cur == nil || t.DType != cur.DType || !slices.Equal(t.Shape, cur.Shape) {
			return fmt.Errorf("%s: tensor %s is %v%v, but the model declares %v", file, n.Name(), t.DType, t.Shape, n.Type)
		}
		cur.CopyFrom(t)
	}
	return nil
}

// saveParams writes the leaves' values from store to a safetensors file.
func saveParams(store *runtime.Store, leaves []*ops.Node, file string) error {
	m := map[string]*Tensor{}
	for _, n := range leaves {
		m[n.Name()] = store.Get(n.Name())
	}
	return data.SaveSafetensors(file, m)
}
