package nnc

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// setParams copies tensors named by path from m into store; every leaf must
// be present with its declared type, except that the shapes may differ in
// axes of size 1 (ONNX's [C, 1, 1] and a [1, C] bias load into a [C] one,
// and back: the values are the same, in the same order). Nothing is copied
// unless every leaf matches. The error lists every missing tensor and every mismatched type,
// sorted by name, and then the file's tensors that the leaves do not name
// (which alone are not an error: a model's function may use only some of
// the model's parameters).
func setParams(store *runtime.Store, leaves []*ops.Node, m map[string]*Tensor, file string) error {
	var missing, wrong []string
	want := map[string]bool{}
	for _, n := range leaves {
		name := n.Name()
		want[name] = true
		t, ok := m[name]
		if !ok || t == nil {
			missing = append(missing, name+" "+n.Type.String())
			continue
		}
		cur := store.Get(name)
		if cur == nil {
			return fmt.Errorf("%s: internal error: parameter %s has no value in the store", file, name)
		}
		if t.DType != cur.DType || !slices.Equal(squeezed(t.Shape), squeezed(cur.Shape)) {
			wrong = append(wrong, fmt.Sprintf("tensor %s is %s, but the model declares %s", name, tensorType(t), n.Type))
		}
	}
	if len(missing) == 0 && len(wrong) == 0 {
		for _, n := range leaves {
			store.Get(n.Name()).CopyFrom(m[n.Name()])
		}
		return nil
	}
	var extra []string
	for name := range m {
		if !want[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(wrong)
	sort.Strings(extra)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%s missing: %s", count(len(missing), "tensor"), strings.Join(missing, ", ")))
	}
	parts = append(parts, wrong...)
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("the file also holds %s the model does not have: %s", count(len(extra), "tensor"), strings.Join(extra, ", ")))
	}
	return fmt.Errorf("%s: %s", file, strings.Join(parts, "; "))
}

// squeezed is shape without its axes of size 1.
func squeezed(shape []int) []int {
	out := make([]int, 0, len(shape))
	for _, d := range shape {
		if d != 1 {
			out = append(out, d)
		}
	}
	return out
}

// count prints "1 tensor" or "3 tensors".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// tensorType prints a tensor's type the way the model's types print, such as
// "f32[8, 1, 1]" (and "f32" for a scalar).
func tensorType(t *Tensor) string {
	return ops.Type{DType: t.DType, Shape: ops.ShapeOf(t.Shape...)}.String()
}

// saveParams writes the leaves' values from store to a safetensors file,
// with meta in its header (may be nil).
func saveParams(store *runtime.Store, leaves []*ops.Node, file string, meta map[string]string) error {
	m := map[string]*Tensor{}
	for _, n := range leaves {
		t := store.Get(n.Name())
		if t == nil {
			return fmt.Errorf("%s: internal error: parameter %s has no value in the store", file, n.Name())
		}
		m[n.Name()] = t
	}
	return data.SaveSafetensorsMeta(file, m, meta)
}
