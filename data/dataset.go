package data

import (
	"fmt"
	"math"
	"sort"

	"github.com/nnclang/nnc/runtime/tensor"
)

// Dataset is a set of named arrays (for example "x" f32[N, 64] and "y"
// i32[N]) that share their leading dimension N: row i of every array is
// example i. Arrays are bound to a graph's inputs by name.
type Dataset struct {
	Arrays map[string]*tensor.Tensor
}

// NewDataset checks that every array has rank ≥ 1 and the same leading
// dimension, and wraps them. The map is used as is, not copied.
func NewDataset(arrays map[string]*tensor.Tensor) (*Dataset, error) {
	if len(arrays) == 0 {
		return nil, fmt.Errorf("data: a dataset needs at least one array")
	}
	n := -1
	first := ""
	for _, name := range sortedNames(arrays) {
		t := arrays[name]
		if t == nil {
			return nil, fmt.Errorf("data: array %q is nil", name)
		}
		if len(t.Shape) == 0 {
			return nil, fmt.Errorf("data: array %q is a scalar; arrays need a leading example dimension", name)
		}
		if n < 0 {
			n, first = t.Shape[0], name
		} else if t.Shape[0] != n {
			return nil, fmt.Errorf("data: array %q has %d rows but %q has %d", name, t.Shape[0], first, n)
		}
	}
	return &Dataset{Arrays: arrays}, nil
}

// Len is the number of examples N.
func (d *Dataset) Len() int {
	for _, t := range d.Arrays {
		return t.Shape[0]
	}
	return 0
}

// Names lists the arrays' names, sorted.
func (d *Dataset) Names() []string { return sortedNames(d.Arrays) }

// Get returns the array named name, or nil.
func (d *Dataset) Get(name string) *tensor.Tensor { return d.Arrays[name] }

// Subset returns a new dataset holding rows idx (in that order) of every
// array. Indices must be in [0, Len()); an index out of range panics, as for
// a slice.
func (d *Dataset) Subset(idx []int) *Dataset {
	out := make(map[string]*tensor.Tensor, len(d.Arrays))
	for name, t := range d.Arrays {
		shape := append([]int{len(idx)}, t.Shape[1:]...)
		s := tensor.New(t.DType, shape...)
		for i, j := range idx {
			copyRow(s, i, t, j)
		}
		out[name] = s
	}
	return &Dataset{Arrays: out}
}

// Split divides the dataset into len(fractions) parts by a seeded random
// permutation of its rows: part k gets round(fractions[k]·N) rows, and the
// last part gets whatever remains, so every row lands in exactly one part.
// The fractions must be positive and sum to 1 (within 1e-9). The same seed
// gives the same split on every platform.
//
// The project's convention is Split(0, 0.7, 0.15, 0.15): train, validation
// and test.
func (d *Dataset) Split(seed uint64, fractions ...float64) ([]*Dataset, error) {
	if len(fractions) == 0 {
		return nil, fmt.Errorf("data: Split needs at least one fraction")
	}
	sum := 0.0
	for _, f := range fractions {
		if !(f > 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("data: Split fraction %v is not positive", f)
		}
		sum += f
	}
	if math.Abs(sum-1) > 1e-9 {
		return nil, fmt.Errorf("data: Split fractions sum to %v, not 1", sum)
	}
	n := d.Len()
	perm := Permutation(n, seed, 0x5b1175)
	out := make([]*Dataset, len(fractions))
	start := 0
	for k, f := range fractions {
		size := n - start
		if k < len(fractions)-1 {
			size = min(int(math.Round(f*float64(n))), n-start)
		}
		out[k] = d.Subset(perm[start : start+size])
		start += size
	}
	return out, nil
}

func sortedNames(m map[string]*tensor.Tensor) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// rowLen is the number of elements of one example of t.
func rowLen(t *tensor.Tensor) int { return tensor.NumElems(t.Shape[1:]) }

// copyRow copies row j of src into row i of dst (same dtype and row shape).
func copyRow(dst *tensor.Tensor, i int, src *tensor.Tensor, j int) {
	r := rowLen(src)
	a, b := i*r, j*r
	switch src.DType {
	case tensor.F32:
		copy(dst.F32[a:a+r], src.F32[b:b+r])
	case tensor.F64:
		copy(dst.F64[a:a+r], src.F64[b:b+r])
	case tensor.I32:
		copy(dst.I32[a:a+r], src.I32[b:b+r])
	case tensor.I64:
		copy(dst.I64[a:a+r], src.I64[b:b+r])
	case tensor.Bool:
		copy(dst.Bool[a:a+r], src.Bool[b:b+r])
	default:
		panic("data: invalid dtype")
	}
}
