package data

import (
	"fmt"
	"math"
	"slices"

	"github.com/nnclang/nnc/tensor"
)

// Scaling says how Preprocess scales the features of an array.
type Scaling int

// Scalings.
const (
	// NoScaling leaves values as they are.
	NoScaling Scaling = iota
	// Standardize maps each feature v to (v − mean) / std, with the
	// training set's mean and population standard deviation (NumPy's
	// std with ddof = 0, scikit-learn's StandardScaler). A feature that
	// is constant in the training set (std 0) is divided by 1: it becomes
	// v − mean, 0 on the training set.
	Standardize
	// MinMax maps each feature v to Low + (v − min) / (max − min) ·
	// (High − Low), with the training set's minimum and maximum
	// (scikit-learn's MinMaxScaler). A constant feature (max = min) is
	// divided by 1: it becomes Low + (v − min) · (High − Low).
	MinMax
)

// String is the name of the scaling in a train block and in a statistics
// file: "none", "standardize" or "minmax".
func (s Scaling) String() string {
	switch s {
	case NoScaling:
		return "none"
	case Standardize:
		return "standardize"
	case MinMax:
		return "minmax"
	}
	return fmt.Sprintf("Scaling(%d)", int(s))
}

// ParseScaling reads a scaling's name as String prints it.
func ParseScaling(s string) (Scaling, bool) {
	for _, k := range []Scaling{NoScaling, Standardize, MinMax} {
		if k.String() == s {
			return k, true
		}
	}
	return NoScaling, false
}

// Preprocess encodes and scales a dataset's feature arrays with statistics
// fitted on the training set only, so that validation, test and inference
// data are transformed exactly as the training data was:
//
//	p := &data.Preprocess{Scaling: data.Standardize}
//	if err := p.Fit(train); err != nil { ... } // statistics of train only
//	train, err = p.Apply(train)
//	test, err = p.Apply(test)                   // the same statistics
//	err = p.Save(data.PreprocessPath("m.safetensors")) // m.preprocess.json
//
// Statistics are computed in float64 per feature (per element of a row: a
// 28 × 28 image has 784 features). Apply first one-hot encodes the columns
// OneHot lists, then scales the Arrays. A Preprocess is not changed by
// Apply or ScaleBatch and may be shared by goroutines once fitted.
type Preprocess struct {
	// Scaling is the scaling applied to Arrays.
	Scaling Scaling
	// Arrays names the arrays scaled; nil means ["x"]. Each must be a
	// float array (or a byte array converted to floats).
	Arrays []string
	// Low and High are MinMax's target range; both 0 means [0, 1].
	Low, High float64
	// OneHot lists the id columns expanded to indicators before scaling.
	OneHot []OneHot
	// Stats holds the fitted statistics by array name (set by Fit and by
	// LoadPreprocess).
	Stats map[string]*FeatureStats
	// Inputs records, for a model trained on the data, the input of its
	// entry that each scaled array was bound to ({"x": "img"}), so that
	// inference can scale inputs given by name (ScaleTensor). Optional.
	Inputs map[string]string
}

// OneHot expands ids to one-hot indicators: id k of a feature with n
// classes becomes n values, 1 at k and 0 elsewhere.
type OneHot struct {
	// Array names the array; "" means "x".
	Array string
	// Columns lists, from 0, the columns of a 2-D array [N, F] that hold
	// ids (a CSV's categorical columns); each is replaced, in place, by
	// its indicator columns. Nil means every element of the array is an
	// id: an array [N, ...] becomes f32 [N, ..., classes].
	Columns []int
	// Classes gives the number of classes of each column (of the whole
	// array: one number). Nil, or 0 for a column, is fitted: one more
	// than the largest id of the training set. An id outside [0, classes)
	// is an error naming its row.
	Classes []int
}

// FeatureStats are the statistics of one array, per feature.
type FeatureStats struct {
	// Shape is the shape of one row (after one-hot encoding).
	Shape []int `json:"shape"`
	// Rows is the number of training rows the statistics come from.
	Rows int `json:"rows"`
	// Mean and Std (population: ddof = 0) are set for Standardize; Std is
	// 0 for a constant feature.
	Mean []float64 `json:"mean,omitempty"`
	Std  []float64 `json:"std,omitempty"`
	// Min and Max are set for MinMax.
	Min []float64 `json:"min,omitempty"`
	Max []float64 `json:"max,omitempty"`
}

// maxOneHotClasses bounds the classes of a one-hot feature (as the
// categories of a CSV column).
const maxOneHotClasses = maxCategories

// arrays is Arrays with its default.
func (p *Preprocess) arrays() []string {
	if p.Arrays == nil {
		return []string{"x"}
	}
	return p.Arrays
}

// bounds is MinMax's target range with its default.
func (p *Preprocess) bounds() (float64, float64) {
	if p.Low == 0 && p.High == 0 {
		return 0, 1
	}
	return p.Low, p.High
}

// Check reports a configuration that cannot be fitted or applied: an
// unknown scaling, a min-max range that is not finite with Low < High, an
// array listed twice, a malformed OneHot.
func (p *Preprocess) Check() error {
	switch p.Scaling {
	case NoScaling, Standardize, MinMax:
	default:
		return fmt.Errorf("data: preprocess: unknown scaling %v", p.Scaling)
	}
	lo, hi := p.bounds()
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(hi-lo, 0) || !(lo < hi) {
		return fmt.Errorf("data: preprocess: the minmax range [%v, %v] needs finite bounds, low < high", lo, hi)
	}
	seen := map[string]bool{}
	for _, name := range p.arrays() {
		if seen[name] {
			return fmt.Errorf("data: preprocess: array %q is listed twice", name)
		}
		seen[name] = true
	}
	seen = map[string]bool{}
	for _, oh := range p.OneHot {
		name := oh.name()
		if seen[name] {
			return fmt.Errorf("data: preprocess: one-hot array %q is listed twice (list its columns together)", name)
		}
		seen[name] = true
		if err := oh.checkSpec(); err != nil {
			return err
		}
	}
	return nil
}

func (oh *OneHot) name() string {
	if oh.Array == "" {
		return "x"
	}
	return oh.Array
}

// features is the number of id features: one for a whole array.
func (oh *OneHot) features() int {
	if oh.Columns == nil {
		return 1
	}
	return len(oh.Columns)
}

func (oh *OneHot) checkSpec() error {
	if oh.Columns != nil && len(oh.Columns) == 0 {
		return fmt.Errorf("data: preprocess: one-hot of %q lists no columns", oh.name())
	}
	seen := map[int]bool{}
	for _, c := range oh.Columns {
		if c < 0 || seen[c] {
			return fmt.Errorf("data: preprocess: one-hot of %q: column %d is negative or listed twice", oh.name(), c)
		}
		seen[c] = true
	}
	if oh.Classes != nil && len(oh.Classes) != oh.features() {
		return fmt.Errorf("data: preprocess: one-hot of %q has %d class counts for %d features", oh.name(), len(oh.Classes), oh.features())
	}
	for _, n := range oh.Classes {
		if n < 0 || n > maxOneHotClasses {
			return fmt.Errorf("data: preprocess: one-hot of %q: %d classes is not in [1, %d] (0: fitted)", oh.name(), n, maxOneHotClasses)
		}
	}
	return nil
}

// Fit computes the statistics of the training set train: the classes of
// one-hot features not given, then the statistics of each array to scale,
// after one-hot encoding. Values must be finite. It replaces Stats and
// fills the fitted OneHot classes.
func (p *Preprocess) Fit(train *Dataset) error { return p.FitRows(train, nil) }

// FitRows is Fit over rows of train only (nil: all of them), for a data set
// whose sets share one table, such as a graph's nodes selected by its
// training mask.
func (p *Preprocess) FitRows(train *Dataset, rows []int) error {
	if err := p.Check(); err != nil {
		return err
	}
	n := train.Len()
	if rows == nil {
		rows = make([]int, n)
		for i := range rows {
			rows[i] = i
		}
	}
	if len(rows) == 0 {
		return fmt.Errorf("data: preprocess: no training rows to fit statistics on")
	}
	for _, r := range rows {
		if r < 0 || r >= n {
			return fmt.Errorf("data: preprocess: row %d out of range [0, %d)", r, n)
		}
	}
	for k := range p.OneHot {
		if err := p.OneHot[k].fit(train, rows); err != nil {
			return err
		}
	}
	enc, err := p.Encode(train)
	if err != nil {
		return err
	}
	p.Stats = nil
	if p.Scaling == NoScaling {
		return nil
	}
	stats := make(map[string]*FeatureStats, len(p.arrays()))
	for _, name := range p.arrays() {
		v, err := floatView(enc, name)
		if err != nil {
			return err
		}
		st, err := fitStats(v, rows, p.Scaling)
		if err != nil {
			return fmt.Errorf("%s: array %q: %v", enc.Source.Where(st.Rows), name, err) // st.Rows is the row at fault
		}
		stats[name] = st
	}
	p.Stats = stats
	return nil
}

// fitStats computes the statistics of rows of v in two passes with
// compensated sums. On an error, the returned value's Rows is the row at
// fault.
func fitStats(v floatRows, rows []int, s Scaling) (*FeatureStats, error) {
	f := v.features
	lo, hi := make([]float64, f), make([]float64, f)
	sum, comp := make([]float64, f), make([]float64, f)
	row := make([]float64, f)
	for k, r := range rows {
		v.row(r, row)
		for j, x := range row {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return &FeatureStats{Rows: r}, fmt.Errorf("feature %d is %v: statistics need finite training values", j, x)
			}
			if k == 0 || x < lo[j] {
				lo[j] = x
			}
			if k == 0 || x > hi[j] {
				hi[j] = x
			}
			sum[j], comp[j] = neumaier(sum[j], comp[j], x)
		}
	}
	st := &FeatureStats{Shape: slices.Clone(v.shape), Rows: len(rows)}
	if s == MinMax {
		for j := range lo {
			if math.IsInf(hi[j]-lo[j], 0) {
				return &FeatureStats{Rows: rows[0]}, fmt.Errorf("feature %d: the range [%v, %v] overflows", j, lo[j], hi[j])
			}
		}
		st.Min, st.Max = lo, hi
		return st, nil
	}
	n := float64(len(rows))
	mean := make([]float64, f)
	for j := range mean {
		mean[j] = (sum[j] + comp[j]) / n
		if lo[j] == hi[j] {
			mean[j] = lo[j] // exactly the constant, whatever the rounding of the sum
		}
		if math.IsInf(mean[j], 0) {
			return &FeatureStats{Rows: rows[0]}, fmt.Errorf("feature %d: the mean overflows", j)
		}
	}
	clear(sum)
	clear(comp)
	for _, r := range rows {
		v.row(r, row)
		for j, x := range row {
			d := x - mean[j]
			sum[j], comp[j] = neumaier(sum[j], comp[j], d*d)
		}
	}
	std := make([]float64, f)
	for j := range std {
		if lo[j] == hi[j] {
			continue // constant: 0
		}
		std[j] = math.Sqrt((sum[j] + comp[j]) / n)
		if math.IsInf(std[j], 0) || math.IsNaN(std[j]) {
			return &FeatureStats{Rows: rows[0]}, fmt.Errorf("feature %d: the standard deviation overflows", j)
		}
	}
	st.Mean, st.Std = mean, std
	return st, nil
}

// neumaier adds x to the compensated sum (s, c).
func neumaier(s, c, x float64) (float64, float64) {
	t := s + x
	if math.Abs(s) >= math.Abs(x) {
		c += (s - t) + x
	} else {
		c += (x - t) + s
	}
	return t, c
}

// Encode returns d with the one-hot features expanded (a new array for
// each; the others shared). Classes not given must have been fitted.
func (p *Preprocess) Encode(d *Dataset) (*Dataset, error) {
	if len(p.OneHot) == 0 {
		return d, nil
	}
	out := shallowCopy(d)
	for k := range p.OneHot {
		oh := &p.OneHot[k]
		t, err := oh.expand(out)
		if err != nil {
			return nil, err
		}
		delete(out.Bytes, oh.name())
		out.Arrays[oh.name()] = t
	}
	return out, nil
}

// Apply returns d one-hot encoded and scaled with the fitted statistics:
// new arrays for those transformed (a byte array becomes a tensor of its
// DType), the others shared with d. A row whose shape differs from the
// statistics', or a finite value that scales to an infinite one, is an
// error naming the row.
func (p *Preprocess) Apply(d *Dataset) (*Dataset, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	enc, err := p.Encode(d)
	if err != nil {
		return nil, err
	}
	if p.Scaling == NoScaling {
		return enc, nil
	}
	out := shallowCopy(enc)
	for _, name := range p.arrays() {
		v, err := floatView(enc, name)
		if err != nil {
			return nil, err
		}
		t := tensor.New(v.dtype, append([]int{v.rows}, v.shape...)...)
		row := make([]float64, v.features)
		for r := range v.rows {
			v.row(r, row)
			v.setRow(t, r, row)
		}
		if err := p.scale(name, t, enc.Source, 0); err != nil {
			return nil, err
		}
		delete(out.Bytes, name)
		out.Arrays[name] = t
	}
	return out, nil
}

// ScaleBatch scales, in place, the arrays of a batch filled from a dataset
// that Encode (or Apply without scaling) prepared: the per-batch form of
// Apply's scaling, which keeps byte arrays as bytes until they are
// batched. It suits Prefetch's Prep.
func (p *Preprocess) ScaleBatch(b *Batch) error {
	if p.Scaling == NoScaling {
		return nil
	}
	for _, name := range p.arrays() {
		t, ok := b.Arrays[name]
		if !ok {
			return fmt.Errorf("data: preprocess: the batch has no array %q", name)
		}
		if err := p.scale(name, t, nil, b.Index); err != nil {
			return err
		}
	}
	return nil
}

// ScaleTensor scales, in place, the rows of t (a float tensor [N, ...]) with
// the statistics of array name. A row may have another shape holding as
// many values as the statistics' rows ([N, 784] for images fitted as
// [28, 28]): features are taken in row-major order.
func (p *Preprocess) ScaleTensor(name string, t *tensor.Tensor) error {
	if p.Scaling == NoScaling {
		return nil
	}
	return p.scale(name, t, nil, 0)
}

// scale scales the float tensor t (rows of array name) in place. Errors
// name row r of src, offset by first.
func (p *Preprocess) scale(name string, t *tensor.Tensor, src *Source, first int) error {
	st := p.Stats[name]
	if st == nil {
		return fmt.Errorf("data: preprocess: no statistics for array %q (fit them first)", name)
	}
	if !t.DType.IsFloat() {
		return fmt.Errorf("data: preprocess: array %q is %v; only float arrays are scaled", name, t.DType)
	}
	f := tensor.NumElems(st.Shape)
	if len(t.Shape) == 0 || tensor.NumElems(t.Shape[1:]) != f {
		return fmt.Errorf("data: preprocess: array %q has rows %s but its statistics were fitted on rows %s", name, shapeString(t.Shape[min(1, len(t.Shape)):]), shapeString(st.Shape))
	}
	shift, div := st.Mean, st.Std
	lo, hi := p.bounds()
	if p.Scaling == MinMax {
		shift, div = st.Min, make([]float64, f)
		for j := range div {
			div[j] = st.Max[j] - st.Min[j]
		}
	}
	for i := 0; i < t.Len(); i++ {
		j := 0
		if f > 0 {
			j = i % f
		}
		x := t.At(i)
		d := div[j]
		if d == 0 {
			d = 1
		}
		y := (x - shift[j]) / d
		if p.Scaling == MinMax {
			y = lo + y*(hi-lo)
		}
		t.Set(i, y)
		if !math.IsNaN(x) && !math.IsInf(x, 0) && math.IsInf(t.At(i), 0) {
			where := src.Where(i/max(f, 1) + first)
			if src == nil {
				where = fmt.Sprintf("batch %d, row %d", first, i/max(f, 1))
			}
			return fmt.Errorf("%s: array %q, feature %d: %v scales to %v, beyond the %v range", where, name, j, x, y, t.DType)
		}
	}
	return nil
}

// shallowCopy copies d's maps, not its arrays.
func shallowCopy(d *Dataset) *Dataset {
	out := &Dataset{Arrays: make(map[string]*tensor.Tensor, len(d.Arrays)+1), Categories: d.Categories, Source: d.Source}
	for k, v := range d.Arrays {
		out.Arrays[k] = v
	}
	if len(d.Bytes) > 0 {
		out.Bytes = make(map[string]*ByteArray, len(d.Bytes))
		for k, v := range d.Bytes {
			out.Bytes[k] = v
		}
	}
	return out
}

// floatRows reads the rows of a float array, or of a byte array converted
// to floats, as float64 values: the values the model sees.
type floatRows struct {
	dtype    tensor.DType
	rows     int
	shape    []int // of one row
	features int
	t        *tensor.Tensor
	b        *ByteArray
	lut      [256]float64
}

// floatView finds the float array name of d.
func floatView(d *Dataset, name string) (floatRows, error) {
	dt, shape, ok := d.Type(name)
	if !ok {
		return floatRows{}, fmt.Errorf("data: preprocess: the data has no array %q (arrays: %v)", name, d.Names())
	}
	if !dt.IsFloat() {
		return floatRows{}, fmt.Errorf("data: preprocess: array %q is %v; only float arrays are scaled", name, dt)
	}
	v := floatRows{dtype: dt, rows: shape[0], shape: shape[1:], features: tensor.NumElems(shape[1:]), t: d.Arrays[name]}
	if v.t == nil {
		v.b = d.Bytes[name]
		s := v.b.scale()
		for k := range v.lut {
			x := v.b.valueOf(byte(k)) * s
			if dt == tensor.F32 {
				x = float64(float32(x)) // as ByteArray.convert rounds it
			}
			v.lut[k] = x
		}
	}
	return v, nil
}

// row reads row r into dst (len features).
func (v *floatRows) row(r int, dst []float64) {
	f := v.features
	if v.b != nil {
		for j, c := range v.b.Data[r*f : (r+1)*f] {
			dst[j] = v.lut[c]
		}
		return
	}
	if v.t.DType == tensor.F32 {
		for j, x := range v.t.F32[r*f : (r+1)*f] {
			dst[j] = float64(x)
		}
		return
	}
	copy(dst, v.t.F64[r*f:(r+1)*f])
}

// setRow writes row r of t (of v's dtype) from src.
func (v *floatRows) setRow(t *tensor.Tensor, r int, src []float64) {
	f := v.features
	if t.DType == tensor.F32 {
		dst := t.F32[r*f : (r+1)*f]
		for j, x := range src {
			dst[j] = float32(x)
		}
		return
	}
	copy(t.F64[r*f:(r+1)*f], src)
}
