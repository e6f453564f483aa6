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
	"slices"
	"strconv"
	"strings"
)

// HeaderMode says how ReadCSV treats the first line.
type HeaderMode int

// Header modes.
const (
	// HeaderAuto takes the first line for a header when it has fewer
	// fields than the second (scikit-learn's first lines such as
	// "150,4,setosa,versicolor,virginica"), when a field of it is not a
	// number where the second line's is, when it names a column that
	// CSVOptions selects, or, in a one-line file, when a field is not a
	// number.
	HeaderAuto HeaderMode = iota
	// HeaderNone reads the first line as data.
	HeaderNone
	// HeaderSkip takes the first line for a header: it is not data, and
	// its fields name the columns.
	HeaderSkip
)

// CSVOptions configures ReadCSV and DecodeCSV. The zero value reads a label
// in the last column, detects a header and keeps values unscaled.
type CSVOptions struct {
	// LabelColumn picks the label column when Label is "": 0 (the
	// default) is the last column; k > 0 is the k-th column counted from
	// 1; k < 0 counts from the end (-1 is the last column).
	LabelColumn int
	// Label picks the label column by its header name, or by its number
	// counted from 1 ("3"); "" uses LabelColumn.
	Label string
	// Columns picks the feature columns, in this order, each by header
	// name or number counted from 1; nil takes every column but the
	// label's.
	Columns []string
	// Categorical lists columns (names or numbers) whose values are text
	// mapped to ids, numbered in the sorted order of the distinct strings.
	// The strings are recorded in Dataset.Categories: the label's under
	// "y", a feature column's under "x." and its header name (or number).
	// A label column whose first value is not a number is categorical
	// without being listed.
	Categorical []string
	// TextColumns makes every column whose first value is not a number
	// categorical, as if listed in Categorical (nnc data reads CSV files
	// so).
	TextColumns bool
	// NoLabel reads every column (or Columns) as a feature and produces
	// no "y" array.
	NoLabel bool
	// Header says whether the first line is a header.
	Header HeaderMode
	// Scale multiplies every numeric feature value; 0 means 1 (digits'
	// 0..16 pixels use 1.0/16). Category ids are not scaled.
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

// ReadCSV reads a CSV file into a dataset with "x" f32[N, F] (the feature
// columns, times Scale; category ids for categorical columns) and "y"
// i32[N] (the integer labels, or category ids). A file that is
// gzip-compressed (by its content, whatever its name) is decompressed on
// the fly. Errors name the file, line and column. The dataset's Source
// records the file and the line of every row, so that later checks (labels
// against a model's classes) can name them.
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
	p := newCSVRows(opts, name, limit)
	var held *csvRecord // the first line, until the second decides
	started := false
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadErr(name, err)
		}
		cur := &csvRecord{fields: rec}
		cur.line, _ = cr.FieldPos(0)
		for i := range rec {
			_, c := cr.FieldPos(i)
			cur.cols = append(cur.cols, c)
		}
		switch {
		case !started && opts.Header == HeaderSkip:
			p.header = append([]string(nil), rec...)
		case !started && opts.Header == HeaderAuto:
			cur.fields = append([]string(nil), rec...)
			held = cur
		case held != nil:
			if err := p.decideHeader(held, rec); err != nil {
				return nil, err
			}
			held = nil
			fallthrough
		default:
			if err := p.row(rec, cur.line, cur.cols); err != nil {
				return nil, err
			}
		}
		started = true
	}
	if held != nil {
		if err := p.decideHeader(held, nil); err != nil {
			return nil, err
		}
	}
	return p.dataset()
}

// csvRecord is a line held back with its positions.
type csvRecord struct {
	fields []string
	line   int
	cols   []int
}

// decideHeader takes the held first line for a header or for data, given
// the second line (nil when there is none).
func (p *csvRows) decideHeader(first *csvRecord, second []string) error {
	if p.isHeader(first.fields, second) {
		p.header = first.fields
		return nil
	}
	return p.row(first.fields, first.line, first.cols)
}

// isHeader decides whether the first record is a header, given the second
// (nil when the file has one line).
func (p *csvRows) isHeader(first, second []string) bool {
	for _, ref := range p.refs() {
		if _, err := strconv.Atoi(ref); err != nil && slices.Contains(first, ref) {
			return true
		}
	}
	if second == nil {
		for _, s := range first {
			if !isNumber(s) {
				return true
			}
		}
		return false
	}
	if len(first) < len(second) {
		return true
	}
	for i, s := range first {
		if i < len(second) && !isNumber(s) && isNumber(second[i]) {
			return true
		}
	}
	return false
}

// isNumber reports whether a field parses as a number.
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
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
