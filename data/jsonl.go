package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/nnclang/nnc/tensor"
)

// JSONLOptions configures ReadJSONL. The zero value reads every field of
// the first record.
type JSONLOptions struct {
	Options
	// Fields lists the fields to read; nil reads every field of the first
	// record. Each listed field must be in every record; other fields are
	// ignored.
	Fields []string
	// Types gives a field's element type (f32, f64, i32, i64 or bool),
	// overriding the one inferred from its values.
	Types map[string]tensor.DType
	// Pad names 1-D array fields whose records may differ in length, each
	// with the value that fills the end of its shorter arrays. A padded
	// field "ids" becomes the array ids [N, L], L the longest record's
	// length (or MaxLen), and the array ids_mask (f32 [N, L]: 1 where a
	// record has a value, 0 where it is padding). Its values must be
	// numbers; an empty array is a record of length 0.
	Pad map[string]float64
	// MaxLen, when positive, is L for every padded field: a record longer
	// than it is an error at its line, or cut to MaxLen with Truncate.
	MaxLen int
	// Truncate cuts a padded field's records longer than MaxLen instead of
	// failing.
	Truncate bool
}

// maxJSONLDepth bounds the nesting of a value's arrays.
const maxJSONLDepth = 32

// jsonlCol accumulates one field of a JSON Lines file.
type jsonlCol struct {
	name   string
	kind   byte  // 'n' numbers, 'b' booleans, 's' strings
	shape  []int // one row's shape
	vals   []float64
	allInt bool
	ids    map[string]int32
	cats   []string
	pad    *jsonlPad // set when the field is padded (JSONLOptions.Pad)
}

// ReadJSONL reads a JSON Lines file (one JSON object per line, gzipped or
// not; blank lines are skipped) into a dataset with one array per field.
// A field's values are numbers, booleans, strings, or arrays of numbers
// nested to the same shape in every record:
//
//   - numbers become i32 when every value is an integer in the i32 range,
//     f32 otherwise (JSONLOptions.Types overrides);
//   - booleans become bool;
//   - strings become category ids (i32, numbered in order of first
//     appearance), the strings recorded in Dataset.Categories;
//   - arrays become rows of that shape ([N, 3] for "x": [1, 2, 3]).
//
// Errors name the file, the line and the field. Lines are at most
// MaxLineBytes long and the file inflates to at most MaxBytes.
func ReadJSONL(path string, o JSONLOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeJSONL(f, path, o)
}

// DecodeJSONL is ReadJSONL reading from r; name is used in errors.
func DecodeJSONL(r io.Reader, name string, o JSONLOptions) (*Dataset, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	if err := o.checkPadOptions(); err != nil {
		return nil, err
	}
	r, err = maybeGunzip(r, name)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(&lineGuard{r: r, limit: limit, line: 1})
	sc.Buffer(make([]byte, 0, 4096), int(maxLine)+2)
	p := &jsonlRows{name: name, o: o, limit: limit}
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if err := p.row(b, line); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, csvReadErr(name, err)
	}
	return p.dataset()
}

// jsonlRows accumulates the records of a JSON Lines file.
type jsonlRows struct {
	name  string
	o     JSONLOptions
	limit int64
	cols  []*jsonlCol
	lines []int32
	used  int64 // bytes of the values so far
}

// row reads one record.
func (p *jsonlRows) row(b []byte, line int) error {
	var rec map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&rec); err != nil || rec == nil {
		return lineErr(p.name, line, "not a JSON object: %v", jsonMsg(err))
	}
	if dec.More() {
		return lineErr(p.name, line, "text after the JSON object")
	}
	if p.cols == nil {
		names := p.o.Fields
		if names == nil {
			names = sortedKeysOf(rec)
		}
		if len(names) == 0 {
			return lineErr(p.name, line, "the record has no fields")
		}
		if err := p.checkPadFields(names, line); err != nil {
			return err
		}
		for _, n := range names {
			c := &jsonlCol{name: n, allInt: true}
			if v, ok := p.o.Pad[n]; ok {
				c.pad = &jsonlPad{value: v}
			}
			p.cols = append(p.cols, c)
		}
	}
	for _, c := range p.cols {
		raw, ok := rec[c.name]
		if !ok {
			return lineErr(p.name, line, "the record has no field %q", c.name)
		}
		if err := p.value(c, raw); err != nil {
			return lineErr(p.name, line, "field %q: %v", c.name, err)
		}
	}
	if int64(len(p.lines)) >= math.MaxInt32 {
		return lineErr(p.name, line, "more than %d records", math.MaxInt32)
	}
	p.lines = append(p.lines, int32(min(line, math.MaxInt32)))
	return nil
}

// jsonMsg is an error's message, or "null" for a null record.
func jsonMsg(err error) string {
	if err == nil {
		return "null"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d of the line)", se, se.Offset)
	}
	return err.Error()
}

// value adds one record's value of field c.
func (p *jsonlRows) value(c *jsonlCol, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return fmt.Errorf("no value")
	}
	if c.pad != nil {
		return p.padded(c, raw)
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		if err := c.setKind('s', nil); err != nil {
			return err
		}
		id, ok := c.ids[s]
		if !ok {
			if c.ids == nil {
				c.ids = map[string]int32{}
			}
			id = int32(len(c.cats))
			c.ids[s] = id
			c.cats = append(c.cats, s)
			p.used += int64(len(s)) + 16
		}
		return p.add(c, float64(id))
	case 't', 'f':
		var v bool
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if err := c.setKind('b', nil); err != nil {
			return err
		}
		return p.add(c, map[bool]float64{false: 0, true: 1}[v])
	case 'n':
		return fmt.Errorf("null is not a value nnc can read (leave the record out, or give a number)")
	}
	var shape []int
	start := len(c.vals)
	leaf := -1
	if err := p.numbers(c, raw, 0, &shape, &leaf); err != nil {
		return err
	}
	if err := c.setKind('n', shape); err != nil {
		c.vals = c.vals[:start]
		return err
	}
	return nil
}

// numbers appends the numbers of a (possibly nested) array to c, recording
// its shape at depth; leaf is the depth at which numbers sit (-1 before the
// first), the same for every number of a rectangular array.
func (p *jsonlRows) numbers(c *jsonlCol, raw json.RawMessage, depth int, shape *[]int, leaf *int) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		if *leaf >= 0 && *leaf != depth || len(*shape) > depth {
			return fmt.Errorf("a ragged array: a number at depth %d where others are arrays", depth)
		}
		*leaf = depth
		if depth == 0 || len(raw) > 0 && raw[0] != '"' && raw[0] != '[' && raw[0] != '{' {
			v, isInt, err := jsonNumber(raw)
			if err != nil {
				return err
			}
			c.allInt = c.allInt && isInt
			return p.add(c, v)
		}
		return fmt.Errorf("arrays must hold numbers (or arrays of numbers)")
	}
	if depth >= maxJSONLDepth {
		return fmt.Errorf("arrays nested deeper than %d levels", maxJSONLDepth)
	}
	if *leaf >= 0 && depth >= *leaf {
		return fmt.Errorf("a ragged array: an array at depth %d where others hold numbers", depth)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return err
	}
	if len(*shape) == depth {
		*shape = append(*shape, len(elems))
	} else if (*shape)[depth] != len(elems) {
		return fmt.Errorf("a ragged array: %d elements at depth %d where others have %d", len(elems), depth+1, (*shape)[depth])
	}
	for _, e := range elems {
		if err := p.numbers(c, e, depth+1, shape, leaf); err != nil {
			return err
		}
	}
	if len(elems) == 0 && len(*shape) > depth+1 {
		return fmt.Errorf("a ragged array: an empty array where others have elements")
	}
	return nil
}

// jsonNumber reads a JSON number; isInt says it is an integer in the i32
// range.
func jsonNumber(raw []byte) (float64, bool, error) {
	s := string(raw)
	if !json.Valid(raw) || len(s) == 0 || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return 0, false, fmt.Errorf("%.40q is not a number", s)
	}
	if i, err := strconv.ParseInt(s, 10, 32); err == nil {
		return float64(i), true, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%.40q is beyond the f64 range", s)
	}
	return v, false, nil
}

// setKind checks that every record's value of c has the same kind and row
// shape.
func (c *jsonlCol) setKind(kind byte, shape []int) error {
	if c.kind == 0 {
		c.kind, c.shape = kind, shape
		return nil
	}
	if c.kind != kind {
		return fmt.Errorf("a %s where earlier records have a %s", kindName(kind), kindName(c.kind))
	}
	if !equalShape(c.shape, shape) {
		return fmt.Errorf("shape %v where earlier records have %v", shape, c.shape)
	}
	return nil
}

func kindName(k byte) string {
	return map[byte]string{'n': "number", 'b': "boolean", 's': "string"}[k]
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// add appends a value, within the size limit (8 bytes per value while
// reading).
func (p *jsonlRows) add(c *jsonlCol, v float64) error {
	p.used += 8
	if p.used > p.limit {
		return fmt.Errorf("the data is more than the limit of %d bytes", p.limit)
	}
	c.vals = append(c.vals, v)
	return nil
}

// dataset converts the columns to arrays.
func (p *jsonlRows) dataset() (*Dataset, error) {
	n := len(p.lines)
	if n == 0 {
		return nil, fileErr(p.name, "no records")
	}
	d := &Dataset{Arrays: map[string]*tensor.Tensor{}, Source: &Source{File: p.name, Lines: true, Rows: p.lines}}
	for _, c := range p.cols {
		var mask *tensor.Tensor
		if c.pad != nil {
			var err error
			if mask, err = p.padCol(c, n); err != nil {
				return nil, err
			}
		}
		dt := tensor.F32
		switch {
		case c.kind == 'b':
			dt = tensor.Bool
		case c.kind == 's' || c.allInt:
			dt = tensor.I32
		}
		if t, ok := p.o.Types[c.name]; ok {
			if t.Size() == 0 {
				return nil, fmt.Errorf("data: JSONLOptions.Types[%q] is not an element type", c.name)
			}
			dt = t
		}
		shape := append([]int{n}, c.shape...)
		if len(c.vals) != tensor.NumElems(shape) {
			return nil, fileErr(p.name, "field %q: %d values for %d records of shape %v", c.name, len(c.vals), n, c.shape)
		}
		if dt == tensor.I32 || dt == tensor.I64 {
			lo, hi := float64(math.MinInt32), float64(math.MaxInt32)
			if dt == tensor.I64 {
				lo, hi = -(1 << 63), 1<<63-1024
			}
			for i, v := range c.vals {
				if v != math.Trunc(v) || v < lo || v > hi {
					row := i / max(1, tensor.NumElems(c.shape))
					return nil, lineErr(p.name, int(p.lines[row]), "field %q: %v is not an integer of %v", c.name, v, dt)
				}
			}
		}
		t := tensor.FromFloat64s(dt, shape, c.vals)
		d.Arrays[c.name] = t
		if mask != nil {
			d.Arrays[c.name+"_mask"] = mask
		}
		if c.kind == 's' {
			if d.Categories == nil {
				d.Categories = map[string][]string{}
			}
			d.Categories[c.name] = c.cats
		}
		c.vals = nil
	}
	if !p.o.AllowNonFinite {
		if err := d.CheckFinite(); err != nil {
			return nil, err
		}
	}
	return d, nil
}
