package data

import (
	"fmt"
	"math"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// LabelEncode numbers strings as the categories of a CSV column are
// numbered: the distinct strings (spaces around them trimmed) in sorted
// order get ids 0, 1, ...; ids[i] is the id of values[i] and categories[k]
// the string of id k. More than 2^24 distinct strings is an error.
func LabelEncode(values []string) (ids []int32, categories []string, err error) {
	cc := &csvCategories{ids: map[string]int32{}}
	ids = make([]int32, len(values))
	for i, s := range values {
		s = strings.TrimSpace(s)
		id, ok := cc.ids[s]
		if !ok {
			if len(cc.strings) >= maxCategories {
				return nil, nil, fmt.Errorf("data: more than %d distinct values to label-encode", maxCategories)
			}
			id = int32(len(cc.strings))
			cc.ids[s] = id
			cc.strings = append(cc.strings, s)
		}
		ids[i] = id
	}
	remap, sorted := cc.sorted()
	for i, id := range ids {
		ids[i] = remap[id]
	}
	return ids, sorted, nil
}

// EncodeLabels numbers values by the categories of a training set (as
// LabelEncode returned them): a value not among them is an error naming
// its index, since its id would mean another category.
func EncodeLabels(values, categories []string) ([]int32, error) {
	index := make(map[string]int32, len(categories))
	for k, s := range categories {
		index[s] = int32(k)
	}
	ids := make([]int32, len(values))
	for i, s := range values {
		id, ok := index[strings.TrimSpace(s)]
		if !ok {
			return nil, fmt.Errorf("data: value %d, %q, is not a category of the training set", i, s)
		}
		ids[i] = id
	}
	return ids, nil
}

// OneHotTensor returns the one-hot encoding of the ids t (any shape, an
// integer or a float array of whole numbers): f32 [t.Shape..., classes]
// with 1 at each id. An id outside [0, classes) is an error naming its
// flat index.
func OneHotTensor(t *tensor.Tensor, classes int) (*tensor.Tensor, error) {
	if classes <= 0 || classes > maxOneHotClasses {
		return nil, fmt.Errorf("data: one-hot: %d classes is not in [1, %d]", classes, maxOneHotClasses)
	}
	n := t.Len()
	shape := append(append([]int(nil), t.Shape...), classes)
	if _, _, err := sizeOf(shape, 4, DefaultMaxBytes()); err != nil {
		return nil, fmt.Errorf("data: one-hot: %v", err)
	}
	out := tensor.New(tensor.F32, shape...)
	for i := range n {
		id, err := idAt(t, i, classes)
		if err != nil {
			return nil, fmt.Errorf("data: one-hot: element %d: %v", i, err)
		}
		out.F32[i*classes+id] = 1
	}
	return out, nil
}

// idAt reads element i of t as an id in [0, classes).
func idAt(t *tensor.Tensor, i, classes int) (int, error) {
	var v float64
	switch t.DType {
	case tensor.I64:
		x := t.I64[i]
		if x < 0 || x >= int64(classes) {
			return 0, fmt.Errorf("id %d is not in [0, %d)", x, classes)
		}
		return int(x), nil
	case tensor.Bool:
		return 0, fmt.Errorf("a bool is not an id")
	default:
		v = t.At(i)
	}
	if v != math.Trunc(v) || !(v >= 0 && v < float64(classes)) {
		return 0, fmt.Errorf("id %v is not a whole number in [0, %d)", v, classes)
	}
	return int(v), nil
}

// idArray returns the array of d that oh encodes, as a tensor (a byte
// array converted: ids are small).
func (oh *OneHot) idArray(d *Dataset) (*tensor.Tensor, error) {
	name := oh.name()
	if _, _, ok := d.Type(name); !ok {
		return nil, fmt.Errorf("data: one-hot: the data has no array %q (arrays: %v)", name, d.Names())
	}
	t := d.Get(name)
	if t.DType == tensor.Bool {
		return nil, fmt.Errorf("data: one-hot: array %q is bool, not ids", name)
	}
	if oh.Columns != nil {
		if len(t.Shape) != 2 {
			return nil, fmt.Errorf("data: one-hot: array %q is %s; columns are those of a 2-D array [N, F]", name, shapeString(t.Shape))
		}
		for _, c := range oh.Columns {
			if c >= t.Shape[1] {
				return nil, fmt.Errorf("data: one-hot: array %q has %d columns; there is no column %d (columns count from 0)", name, t.Shape[1], c)
			}
		}
	}
	return t, nil
}

// fit fills the class counts not given from rows of the training set.
func (oh *OneHot) fit(d *Dataset, rows []int) error {
	t, err := oh.idArray(d)
	if err != nil {
		return err
	}
	k := oh.features()
	given := oh.Classes
	classes := make([]int, k)
	copy(classes, given)
	for c := range classes {
		if classes[c] > 0 {
			continue
		}
		largest := -1
		for _, r := range rows {
			for _, i := range oh.elems(t, r, c) {
				id, err := idAt(t, i, maxOneHotClasses)
				if err != nil {
					return fmt.Errorf("%s: one-hot of %q%s: %v", d.Source.Where(r), oh.name(), oh.colName(c), err)
				}
				largest = max(largest, id)
			}
		}
		if largest < 0 {
			return fmt.Errorf("data: one-hot of %q%s: no ids to count the classes of", oh.name(), oh.colName(c))
		}
		classes[c] = largest + 1
	}
	oh.Classes = classes
	return nil
}

// colName is " column c" for a column encoding, else "".
func (oh *OneHot) colName(c int) string {
	if oh.Columns == nil {
		return ""
	}
	return fmt.Sprintf(" column %d", oh.Columns[c])
}

// elems lists the flat indices of t, in row r, of feature c: the column's
// element, or every element of the row for a whole-array encoding.
func (oh *OneHot) elems(t *tensor.Tensor, r, c int) []int {
	if oh.Columns != nil {
		return []int{r*t.Shape[1] + oh.Columns[c]}
	}
	per := tensor.NumElems(t.Shape[1:])
	out := make([]int, per)
	for j := range out {
		out[j] = r*per + j
	}
	return out
}

// expand returns the array of d that oh encodes, expanded.
func (oh *OneHot) expand(d *Dataset) (*tensor.Tensor, error) {
	t, err := oh.idArray(d)
	if err != nil {
		return nil, err
	}
	if len(oh.Classes) != oh.features() || hasZero(oh.Classes) {
		return nil, fmt.Errorf("data: one-hot of %q: classes not fitted (call Fit)", oh.name())
	}
	if oh.Columns == nil {
		out, err := OneHotTensor(t, oh.Classes[0])
		if err != nil {
			per := max(tensor.NumElems(t.Shape[1:]), 1)
			return nil, fmt.Errorf("%s: %q: %v", d.Source.Where(firstBadID(t, oh.Classes[0])/per), oh.name(), err)
		}
		return out, nil
	}
	return oh.expandColumns(d, t)
}

// expandColumns replaces the id columns of the 2-D array t by indicators.
func (oh *OneHot) expandColumns(d *Dataset, t *tensor.Tensor) (*tensor.Tensor, error) {
	n, f := t.Shape[0], t.Shape[1]
	width := make([]int, f) // output columns of each input column
	for j := range width {
		width[j] = 1
	}
	out := f
	for k, c := range oh.Columns {
		width[c] = oh.Classes[k]
		out += oh.Classes[k] - 1 // at most 2^24 per column: no overflow
	}
	isID := make([]bool, f)
	for _, c := range oh.Columns {
		isID[c] = true
	}
	dt := t.DType
	if !dt.IsFloat() {
		dt = tensor.F32
	}
	if _, _, err := sizeOf([]int{n, out}, dt.Size(), DefaultMaxBytes()); err != nil {
		return nil, fmt.Errorf("data: one-hot of %q: %v", oh.name(), err)
	}
	res := tensor.New(dt, n, out)
	for r := range n {
		o := r * out
		for j := range f {
			i := r*f + j
			if !isID[j] {
				res.Set(o, t.At(i))
				o++
				continue
			}
			id, err := idAt(t, i, width[j])
			if err != nil {
				return nil, fmt.Errorf("%s: one-hot of %q column %d: %v", d.Source.Where(r), oh.name(), j, err)
			}
			res.Set(o+id, 1)
			o += width[j]
		}
	}
	return res, nil
}

// firstBadID is the flat index of the first element of t that is not an
// id in [0, classes), or 0.
func firstBadID(t *tensor.Tensor, classes int) int {
	for i := range t.Len() {
		if _, err := idAt(t, i, classes); err != nil {
			return i
		}
	}
	return 0
}

func hasZero(s []int) bool {
	for _, v := range s {
		if v == 0 {
			return true
		}
	}
	return false
}
