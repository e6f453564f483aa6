package data

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// maxCategories bounds the distinct strings of one categorical column
// (ids must stay exact in f32).
const maxCategories = 1 << 24

// csvRows accumulates the parsed rows of a CSV file.
type csvRows struct {
	opts   CSVOptions
	name   string
	limit  int64
	scale  float64
	header []string // the header's fields, or nil
	feats  []float32
	labels []int32
	lines  []int32
	nf     int   // fields per record, -1 before the first row
	label  int   // label column index, -1 without
	cols   []int // feature column indices, in order
	cats   map[int]*csvCategories
	rows   int
}

// csvCategories numbers the strings of a categorical column as they come;
// dataset renumbers them in sorted order.
type csvCategories struct {
	ids     map[string]int32
	strings []string
}

func newCSVRows(o CSVOptions, name string, limit int64) *csvRows {
	scale := o.Scale
	if scale == 0 {
		scale = 1
	}
	return &csvRows{opts: o, name: name, limit: limit, scale: scale, nf: -1, label: -1}
}

// refs are the column references the options make.
func (p *csvRows) refs() []string {
	refs := append(append([]string{}, p.opts.Columns...), p.opts.Categorical...)
	if p.opts.Label != "" {
		refs = append(refs, p.opts.Label)
	}
	return refs
}

// column resolves a reference, a header name or a number from 1.
func (p *csvRows) column(ref string, line int) (int, error) {
	if i := slices.Index(p.header, ref); i >= 0 {
		if i >= p.nf { // a header wider than the rows (sklearn's first lines are)
			return 0, lineErr(p.name, line, "column %q is field %d of the header, but the rows have %d fields", ref, i+1, p.nf)
		}
		return i, nil
	}
	if k, err := strconv.Atoi(strings.TrimSpace(ref)); err == nil && k >= 1 && k <= p.nf {
		return k - 1, nil
	}
	have := "no header"
	if p.header != nil {
		have = "columns " + strings.Join(p.header, ", ")
	}
	return 0, lineErr(p.name, line, "no column %q (%s; or a number from 1 to %d)", ref, have, p.nf)
}

// resolve chooses the label and feature columns at the first data row,
// which has nf fields.
func (p *csvRows) resolve(rec []string, line int) error {
	o := p.opts
	p.nf = len(rec)
	var err error
	switch {
	case o.NoLabel:
	case o.Label != "":
		if p.label, err = p.column(o.Label, line); err != nil {
			return err
		}
	case o.LabelColumn == 0:
		p.label = p.nf - 1
	case o.LabelColumn > 0:
		p.label = o.LabelColumn - 1
	default:
		p.label = p.nf + o.LabelColumn
	}
	if !o.NoLabel && (p.label < 0 || p.label >= p.nf) {
		return lineErr(p.name, line, "label column %d is out of range for %d fields", o.LabelColumn, p.nf)
	}
	if o.Columns == nil {
		for i := range p.nf {
			if i != p.label {
				p.cols = append(p.cols, i)
			}
		}
	}
	for _, ref := range o.Columns {
		c, err := p.column(ref, line)
		if err != nil {
			return err
		}
		if c == p.label || slices.Contains(p.cols, c) {
			return lineErr(p.name, line, "column %q is chosen twice (as a feature and the label, or as two features)", ref)
		}
		p.cols = append(p.cols, c)
	}
	if len(p.cols) == 0 {
		return lineErr(p.name, line, "a labelled row needs at least 2 fields, got %d (no feature columns)", p.nf)
	}
	p.cats = map[int]*csvCategories{}
	for _, ref := range o.Categorical {
		c, err := p.column(ref, line)
		if err != nil {
			return err
		}
		p.cats[c] = &csvCategories{ids: map[string]int32{}}
	}
	for c := range p.nf {
		if (c == p.label || o.TextColumns) && p.cats[c] == nil && !isNumber(rec[c]) {
			p.cats[c] = &csvCategories{ids: map[string]int32{}}
		}
	}
	return nil
}

// category returns the id of s in column c (numbered as they come).
func (p *csvRows) category(c int, s string, line, col int) (int32, error) {
	cc := p.cats[c]
	s = strings.TrimSpace(s)
	id, ok := cc.ids[s]
	if !ok {
		if len(cc.strings) >= maxCategories {
			return 0, colErr(p.name, line, col, "more than %d distinct values in a categorical column", maxCategories)
		}
		id = int32(len(cc.strings))
		cc.ids[s] = id
		cc.strings = append(cc.strings, s)
	}
	return id, nil
}

// row parses one record on line, whose fields start at columns cols.
func (p *csvRows) row(rec []string, line int, cols []int) error {
	if p.nf < 0 {
		if err := p.resolve(rec, line); err != nil {
			return err
		}
	}
	if len(rec) != p.nf {
		return lineErr(p.name, line, "row has %d fields, expected %d", len(rec), p.nf)
	}
	for _, i := range p.cols {
		f, err := p.feature(rec[i], i, line, cols[i])
		if err != nil {
			return err
		}
		var ok bool
		if p.feats, ok = appendBounded(p.feats, f, room(p.limit, 4, cap(p.labels)*4, cap(p.lines)*4)); !ok {
			return lineErr(p.name, line, "the data is more than the limit of %d bytes", p.limit)
		}
	}
	if p.label >= 0 {
		v, err := p.labelOf(rec[p.label], line, cols[p.label])
		if err != nil {
			return err
		}
		var ok bool
		if p.labels, ok = appendBounded(p.labels, v, room(p.limit, 4, cap(p.feats)*4, cap(p.lines)*4)); !ok {
			return lineErr(p.name, line, "the data is more than the limit of %d bytes", p.limit)
		}
	}
	var ok bool
	if p.lines, ok = appendBounded(p.lines, int32(min(line, math.MaxInt32)), room(p.limit, 4, cap(p.feats)*4, cap(p.labels)*4)); !ok {
		return lineErr(p.name, line, "the data is more than the limit of %d bytes", p.limit)
	}
	p.rows++
	return nil
}

// feature parses field s of column i.
func (p *csvRows) feature(s string, i, line, col int) (float32, error) {
	if p.cats[i] != nil {
		id, err := p.category(i, s, line, col)
		return float32(id), err
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, colErr(p.name, line, col, "field %d: %q is not a number (list the column as categorical to read text)", i+1, s)
	}
	f := float32(v * p.scale)
	if !p.opts.AllowNonFinite && (math.IsNaN(float64(f)) || math.IsInf(float64(f), 0)) {
		what := "is not a finite number"
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			what = "is beyond the f32 range"
		}
		return 0, colErr(p.name, line, col, "field %d: %q %s (NaN and infinite values are refused unless allowed)", i+1, s, what)
	}
	return f, nil
}

// labelOf parses the label field s.
func (p *csvRows) labelOf(s string, line, col int) (int32, error) {
	if p.cats[p.label] != nil {
		return p.category(p.label, s, line, col)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil:
		return 0, colErr(p.name, line, col, "field %d: %q is not a number (the label column's first value was a number)", p.label+1, s)
	case v != math.Trunc(v):
		return 0, colErr(p.name, line, col, "label %q is not an integer", s)
	case v < math.MinInt32 || v > math.MaxInt32:
		return 0, colErr(p.name, line, col, "label %q is out of the i32 range", s)
	}
	return int32(v), nil
}

// dataset builds the arrays, renumbering categories in sorted order.
func (p *csvRows) dataset() (*Dataset, error) {
	if p.rows == 0 {
		return nil, fileErr(p.name, "no data rows")
	}
	f := len(p.cols)
	x := &tensor.Tensor{DType: tensor.F32, Shape: []int{p.rows, f}, F32: p.feats}
	d := &Dataset{Arrays: map[string]*tensor.Tensor{"x": x}, Source: &Source{File: p.name, Lines: true, Rows: p.lines}}
	if p.label >= 0 {
		d.Arrays["y"] = &tensor.Tensor{DType: tensor.I32, Shape: []int{p.rows}, I32: p.labels}
	}
	pos := make(map[int]int, len(p.cols)) // column → its place in x
	for k, c := range p.cols {
		pos[c] = k
	}
	for c, cc := range p.cats {
		remap, sorted := cc.sorted()
		if d.Categories == nil {
			d.Categories = map[string][]string{}
		}
		if c == p.label {
			for i, v := range p.labels {
				p.labels[i] = remap[v]
			}
			d.Categories["y"] = sorted
			continue
		}
		k, ok := pos[c]
		if !ok {
			continue // categorical but not read
		}
		for r := range p.rows {
			p.feats[r*f+k] = float32(remap[int32(p.feats[r*f+k])])
		}
		key := strconv.Itoa(c + 1)
		if p.header != nil && c < len(p.header) {
			key = p.header[c]
		}
		d.Categories["x."+key] = sorted
	}
	return d, nil
}

// sorted returns the sorted strings and, for each id as numbered while
// reading, its id in that order.
func (cc *csvCategories) sorted() ([]int32, []string) {
	s := slices.Clone(cc.strings)
	sort.Strings(s)
	remap := make([]int32, len(s))
	for newID, str := range s {
		remap[cc.ids[str]] = int32(newID)
	}
	return remap, s
}
