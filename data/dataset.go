package data

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// Dataset is a set of named arrays (for example "x" f32[N, 64] and "y"
// i32[N]) that share their leading dimension N: row i of every array is
// example i. Arrays are bound to a graph's inputs by name.
//
// Arrays stored one byte per element (images) may sit in Bytes instead of
// Arrays: they convert to tensors row by row when batched. A name is in
// one of the two maps, not both. Use Names, Type and Len, which see both
// maps; Get converts a byte array whole.
type Dataset struct {
	Arrays map[string]*tensor.Tensor
	// Bytes holds the arrays kept as bytes (nil when there are none).
	Bytes map[string]*ByteArray
	// Categories records, for an array of ids read from text (a CSV or
	// JSON Lines column of strings, an image folder's class names), the
	// string of each id: Categories["y"][3] is the text of id 3. Nil when
	// there are none.
	Categories map[string][]string
	// Source says where the rows came from, for errors; nil when unknown.
	// Subset and Split carry it along.
	Source *Source
}

// Source names the file a dataset was loaded from and, for each row, its
// place in the file.
type Source struct {
	File string
	// Lines says that Rows holds line numbers (CSV, from 1); otherwise
	// Rows holds row indices of the file's arrays (from 0).
	Lines bool
	// Rows holds row i's line or index; nil means row i is index i.
	Rows []int32
}

// Where describes row i of a dataset with source s: "file:17" (a line),
// "file: row 17" (an array row) or "row 17" (no source).
func (s *Source) Where(i int) string {
	if s == nil {
		return "row " + strconv.Itoa(i)
	}
	if s.Rows != nil && i >= 0 && i < len(s.Rows) {
		i = int(s.Rows[i])
	}
	if s.Lines {
		return s.File + ":" + strconv.Itoa(i)
	}
	return s.File + ": row " + strconv.Itoa(i)
}

// subset returns the source of rows idx of s.
func (s *Source) subset(idx []int) *Source {
	if s == nil {
		return nil
	}
	rows := make([]int32, len(idx))
	for i, j := range idx {
		switch {
		case s.Rows != nil:
			rows[i] = s.Rows[j]
		case j > math.MaxInt32:
			return nil // too many rows to record
		default:
			rows[i] = int32(j)
		}
	}
	return &Source{File: s.File, Lines: s.Lines, Rows: rows}
}

// NewDataset checks that every array has rank ≥ 1 and the same leading
// dimension, and wraps them. The map is used as is, not copied.
func NewDataset(arrays map[string]*tensor.Tensor) (*Dataset, error) {
	d := &Dataset{Arrays: arrays}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return d, nil
}

// Check reports why d is not a dataset: no arrays, a nil or scalar array,
// a name in both Arrays and Bytes, a byte array whose data does not match
// its shape, or arrays whose leading dimensions differ.
func (d *Dataset) Check() error {
	if len(d.Arrays)+len(d.Bytes) == 0 {
		return fmt.Errorf("data: a dataset needs at least one array")
	}
	n := -1
	first := ""
	for _, name := range d.Names() {
		var rows int
		t, inArrays := d.Arrays[name]
		b, inBytes := d.Bytes[name]
		switch {
		case inArrays && inBytes:
			return fmt.Errorf("data: array %q is both a tensor and a byte array", name)
		case inArrays && t == nil:
			return fmt.Errorf("data: array %q is nil", name)
		case inArrays && len(t.Shape) == 0:
			return fmt.Errorf("data: array %q is a scalar; arrays need a leading example dimension", name)
		case inArrays:
			rows = t.Shape[0]
		default:
			if err := b.check(); err != nil {
				return fmt.Errorf("data: array %q: %v", name, err)
			}
			rows = b.Shape[0]
		}
		if n < 0 {
			n, first = rows, name
		} else if rows != n {
			return fmt.Errorf("data: array %q has %d rows but %q has %d", name, rows, first, n)
		}
	}
	return nil
}

// Len is the number of examples N.
func (d *Dataset) Len() int {
	for _, t := range d.Arrays {
		return t.Shape[0]
	}
	for _, b := range d.Bytes {
		return b.Shape[0]
	}
	return 0
}

// Names lists the arrays' names (of Arrays and Bytes), sorted.
func (d *Dataset) Names() []string {
	names := sortedNames(d.Arrays)
	if len(d.Bytes) > 0 {
		for k := range d.Bytes {
			names = append(names, k)
		}
		sort.Strings(names)
	}
	return names
}

// Get returns the array named name, or nil. A byte array is converted to a
// new tensor of its DType at each call (a copy of the whole array): use
// Type for its type and shape, and Batches for its rows.
func (d *Dataset) Get(name string) *tensor.Tensor {
	if t, ok := d.Arrays[name]; ok {
		return t
	}
	if b, ok := d.Bytes[name]; ok {
		return b.Tensor()
	}
	return nil
}

// Type returns the element type and shape of the array named name as it
// binds to a model's input (a byte array's DType), and whether there is
// one. The shape is shared; do not modify it.
func (d *Dataset) Type(name string) (tensor.DType, []int, bool) {
	if t, ok := d.Arrays[name]; ok && t != nil {
		return t.DType, t.Shape, true
	}
	if b, ok := d.Bytes[name]; ok && b != nil {
		return b.DType, b.Shape, true
	}
	return tensor.Invalid, nil, false
}

// AsFloat makes the byte array named name convert to f32 values times
// scale (0 means 1), in place: no copy is made. It is an error when name
// is not a byte array.
func (d *Dataset) AsFloat(name string, scale float64) error {
	b, ok := d.Bytes[name]
	if !ok {
		return fmt.Errorf("data: %q is not a byte array", name)
	}
	b.DType, b.Scale = tensor.F32, scale
	return nil
}

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
	var bytes map[string]*ByteArray
	if len(d.Bytes) > 0 {
		bytes = make(map[string]*ByteArray, len(d.Bytes))
		for name, b := range d.Bytes {
			bytes[name] = b.subset(idx)
		}
	}
	return &Dataset{Arrays: out, Bytes: bytes, Categories: d.Categories, Source: d.Source.subset(idx)}
}

// Split divides the dataset into len(fractions) parts by a seeded random
// permutation of its rows: part k gets round(fractions[k]·N) rows, and the
// last part gets whatever remains, so every row lands in exactly one part.
// The fractions must be non-negative and finite, at least one of them
// positive, and sum to 1 (within 1e-9); a part whose fraction is 0 is
// empty (the remainder goes to the last part with a positive fraction). The
// same seed gives the same split on every platform.
//
// The project's convention is Split(0, 0.7, 0.15, 0.15): train, validation
// and test.
func (d *Dataset) Split(seed uint64, fractions ...float64) ([]*Dataset, error) {
	if len(fractions) == 0 {
		return nil, fmt.Errorf("data: Split needs at least one fraction")
	}
	sum, last := 0.0, -1
	for k, f := range fractions {
		if !(f >= 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("data: Split fraction %v is not a non-negative, finite number", f)
		}
		if f > 0 {
			last = k
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
		if k != last {
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

// CheckFinite returns an error naming the array, the row (with its source)
// and the value of the first NaN or infinite element of a float array, or
// nil. Byte arrays are always finite.
func (d *Dataset) CheckFinite() error {
	for _, name := range sortedNames(d.Arrays) {
		t := d.Arrays[name]
		if !t.DType.IsFloat() || t.Len() == 0 {
			continue
		}
		r := rowLen(t)
		for i := 0; i < t.Len(); i++ {
			v := t.At(i)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				row, col := i, 0
				if r > 0 {
					row, col = i/r, i%r
				}
				return fmt.Errorf("%s: array %q, element %d of the row: %v is not finite (NaN and infinite values are refused unless allowed)", d.Source.Where(row), name, col, v)
			}
		}
	}
	return nil
}

// shapeString prints a shape as [2, 3].
func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
