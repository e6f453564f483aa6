package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// HeaderMode says how ReadCSV treats the first line.
type HeaderMode int

// Header modes.
const (
	// HeaderAuto skips the first line when it holds a non-numeric field or
	// has fewer fields than the second line (scikit-learn's first lines
	// such as "150,4,setosa,versicolor,virginica" or "569,30,malignant,benign").
	HeaderAuto HeaderMode = iota
	// HeaderNone reads the first line as data.
	HeaderNone
	// HeaderSkip always skips the first line.
	HeaderSkip
)

// CSVOptions configures ReadCSV and ReadCSV. The zero value reads a label in
// the last column, detects a header and keeps values unscaled.
type CSVOptions struct {
	// LabelColumn picks the label column: 0 (the default) is the last
	// column; k > 0 is the k-th column counted from 1; k < 0 counts from
	// the end (-1 is the last column).
	LabelColumn int
	// NoLabel reads every column as a feature and produces no "y" array.
	NoLabel bool
	// Header says whether the first line is a header.
	Header HeaderMode
	// Scale multiplies every feature value; 0 means 1 (digits' 0..16
	// pixels use 1.0/16).
	Scale float64
	// Comma is the field separator; 0 means ','.
	Comma rune
	// MaxBytes bounds the bytes the file inflates to and the bytes of the
	// arrays it produces; 0 means DefaultMaxBytes(), negative is an error.
	MaxBytes int64
	// AllowNonFinite accepts NaN and infinite feature values (and values
	// beyond the f32 range, which become infinite). By default they are an
	// error naming the file, line and column.
	AllowNonFinite bool
}

// ReadCSV reads a CSV file of numbers into a dataset with "x" f32[N, F]
// (the features, times Scale) and "y" i32[N] (the integer labels). A file
// that is gzip-compressed (by its content, whatever its name) is
// decompressed on the fly. Errors name the file, line and column. The
// dataset's Source records the file and the line of every row, so that
// later checks (labels against a model's classes) can name them.
func ReadCSV(path string, opts CSVOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeCSV(f, path, opts)
}

// DecodeCSV is ReadCSV reading from r; name is used in errors.
func DecodeCSV(r io.Reader, name string, opts CSVOptions) (*Dataset, error) {
	limit, err := Options{MaxBytes: opts.MaxBytes}.limit()
	if err != nil {
		return nil, err
	}
	r, err = maybeGunzip(r, name)
	if err != nil {
		return nil, err
	}
	guard := &lineGuard{r: r, limit: limit, line: 1}
	cr := csv.NewReader(guard)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	if opts.Comma != 0 {
		cr.Comma = opts.Comma
	}
	scale := opts.Scale
	if scale == 0 {
		scale = 1
	}

	p := &csvRows{opts: opts, name: name, limit: limit, scale: scale, nf: -1, label: -1}
	var (
		first           []string
		firstLn         int
		firstCols, cols []int
		haveHead        bool
	)

	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		cols = cols[:0]
		for i := range rec {
			_, c := cr.FieldPos(i)
			cols = append(cols, c)
		}
		if first == nil && !haveHead && p.rows == 0 && opts.Header != HeaderNone {
			// Hold the first line until the second decides whether it is
			// a header.
			first = append([]string(nil), rec...)
			firstLn = line
			firstCols = append([]int(nil), cols...)
			if opts.Header == HeaderSkip {
				first, haveHead = nil, true
			}
			continue
		}
		if first != nil {
			if !isHeader(first, rec) {
				if err := p.row(first, firstLn, firstCols); err != nil {
					return nil, err
				}
			}
			first, haveHead = nil, true
		}
		if err := p.row(rec, line, cols); err != nil {
			return nil, err
		}
	}
	if first != nil && !isHeader(first, nil) {
		if err := p.row(first, firstLn, firstCols); err != nil {
			return nil, err
		}
	}
	if p.rows == 0 {
		return nil, fileErr(name, "no data rows")
	}
	f := p.nf
	if !opts.NoLabel {
		f--
	}
	x := &tensor.Tensor{DType: tensor.F32, Shape: []int{p.rows, f}, F32: p.feats}
	arrays := map[string]*tensor.Tensor{"x": x}
	if !opts.NoLabel {
		arrays["y"] = &tensor.Tensor{DType: tensor.I32, Shape: []int{p.rows}, I32: p.labels}
	}
	return &Dataset{Arrays: arrays, Source: &Source{File: name, Lines: true, Rows: p.lines}}, nil
}

// csvRows accumulates the parsed rows of a CSV file.
type csvRows struct {
	opts   CSVOptions
	name   string
	limit  int64
	scale  float64
	feats  []float32
	labels []int32
	lines  []int32
	nf     int // fields per record, -1 before the first row
	label  int // label column index, -1 without
	rows   int
}

// row parses one record on line, whose fields start at columns cols.
func (p *csvRows) row(rec []string, line int, cols []int) error {
	if p.nf < 0 {
		p.nf = len(rec)
		if !p.opts.NoLabel {
			switch {
			case p.opts.LabelColumn == 0:
				p.label = p.nf - 1
			case p.opts.LabelColumn > 0:
				p.label = p.opts.LabelColumn - 1
			default:
				p.label = p.nf + p.opts.LabelColumn
			}
			if p.label < 0 || p.label >= p.nf {
				return lineErr(p.name, line, "label column %d is out of range for %d fields", p.opts.LabelColumn, p.nf)
			}
			if p.nf < 2 {
				return lineErr(p.name, line, "a labelled row needs at least 2 fields, got %d", p.nf)
			}
		}
	}
	if len(rec) != p.nf {
		return lineErr(p.name, line, "row has %d fields, expected %d", len(rec), p.nf)
	}
	for i, s := range rec {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return colErr(p.name, line, cols[i], "field %d: %q is not a number", i+1, s)
		}
		if i == p.label {
			if v != math.Trunc(v) {
				return colErr(p.name, line, cols[i], "label %q is not an integer", s)
			}
			if v < math.MinInt32 || v > math.MaxInt32 {
				return colErr(p.name, line, cols[i], "label %q is out of the i32 range", s)
			}
			var ok bool
			if p.labels, ok = appendBounded(p.labels, int32(v), room(p.limit, 4, cap(p.feats)*4, cap(p.lines)*4)); !ok {
				return lineErr(p.name, line, "the data is more than the limit of %d bytes", p.limit)
			}
			continue
		}
		f := float32(v * p.scale)
		if !p.opts.AllowNonFinite && (math.IsNaN(float64(f)) || math.IsInf(float64(f), 0)) {
			what := "is not a finite number"
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				what = "is beyond the f32 range"
			}
			return colErr(p.name, line, cols[i], "field %d: %q %s (NaN and infinite values are refused unless allowed)", i+1, s, what)
		}
		var ok bool
		if p.feats, ok = appendBounded(p.feats, f, room(p.limit, 4, cap(p.labels)*4, cap(p.lines)*4)); !ok {
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

// isHeader decides whether the first record is a header, given the second
// (nil when the file has one line).
func isHeader(first, second []string) bool {
	for _, s := range first {
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return true
		}
	}
	return second != nil && len(first) < len(second)
}

// maybeGunzip wraps r in a gzip reader when its content starts with the gzip
// magic bytes.
func maybeGunzip(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(2)
	if !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fileErr(name, "gzip: %v", err)
	}
	return zr, nil
}

// lineTooLong is the error of a line longer than MaxLineBytes.
type lineTooLong struct{ line int }

func (e *lineTooLong) Error() string {
	return fmt.Sprintf("the line is longer than %d bytes", maxLine)
}

// lineGuard passes r through, failing once more than limit bytes were read
// in all or a line grows past MaxLineBytes, so that neither a bomb nor an
// endless line is buffered whole.
type lineGuard struct {
	r     io.Reader
	n     int64 // bytes read
	limit int64
	line  int   // current line, from 1
	cur   int64 // bytes of the current line so far
}

func (g *lineGuard) Read(p []byte) (int, error) {
	if g.n > g.limit {
		return 0, &limitError{g.limit}
	}
	k, err := g.r.Read(p)
	g.n += int64(k)
	for q := p[:k]; len(q) > 0; {
		i := bytes.IndexByte(q, '\n')
		if i < 0 {
			g.cur += int64(len(q))
			break
		}
		g.cur += int64(i)
		if g.cur > maxLine {
			return 0, &lineTooLong{g.line}
		}
		g.cur = 0
		g.line++
		q = q[i+1:]
	}
	if g.cur > maxLine {
		return 0, &lineTooLong{g.line}
	}
	if g.n > g.limit {
		return 0, &limitError{g.limit}
	}
	return k, err
}

// room is how many elements of size bytes fit in limit beside the used bytes.
func room(limit int64, size int, used ...int) int {
	left := limit
	for _, u := range used {
		left -= int64(u)
	}
	if left <= 0 {
		return 0
	}
	return int(min(left/int64(size), math.MaxInt32*16))
}

// appendBounded appends v to s, growing its capacity at most twofold and
// never beyond limit elements; it reports false when s is full at limit.
func appendBounded[T any](s []T, v T, limit int) ([]T, bool) {
	if len(s) == cap(s) {
		if len(s) >= limit {
			return s, false
		}
		ns := make([]T, len(s), min(max(2*cap(s), 256), limit))
		copy(ns, s)
		s = ns
	}
	return append(s, v), true
}

// csvReadErr turns an error of the CSV reader into a *FormatError.
func csvReadErr(name string, err error) error {
	var pe *csv.ParseError
	var le *limitError
	var te *lineTooLong
	switch {
	case errors.As(err, &le):
		return fileErr(name, "%v", le)
	case errors.As(err, &te):
		return lineErr(name, te.line, "%v", te)
	case errors.As(err, &pe):
		return colErr(name, pe.Line, pe.Column, "%v", pe.Err)
	}
	return fileErr(name, "%v", err)
}
