package data

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/nnclang/nnc/tensor"
)

// JSONLStreamOptions configures OpenJSONLStream.
type JSONLStreamOptions struct {
	// JSONLOptions are the reader's options (fields, types, padding), as
	// for ReadJSONL. MaxBytes bounds what stays in memory (the evaluation
	// sets), not the file.
	JSONLOptions
	// Train, Val and Test are the split's fractions: record i (from 0, in
	// file order, blank lines not counted) belongs to the part that
	// RecordPart gives, a seeded hash of i, so the parts are disjoint and
	// the same on every read.
	Train, Val, Test float64
	// EvalMax bounds the records kept in memory for the validation and
	// test sets and the training sample; 0 means DefaultEvalMax.
	EvalMax int
}

// JSONLStream is a JSON Lines file read from disk record by record: an
// ExampleSource of its training records, with the arrays, element types,
// shapes, categories and padded lengths the whole-file reader would give
// (found by a first pass over the file).
type JSONLStream struct {
	// File is the file read.
	File string
	// Counts holds the records of the training, validation and test
	// parts.
	Counts [3]int
	// Sample holds the first training records, Val and Test the first
	// records of the other parts (nil when empty), at most EvalMax each.
	Sample, Val, Test *Dataset
	o                 JSONLStreamOptions
	p                 *jsonlRows
	types             map[string]tensor.DType
	tmpl              *Dataset
}

// RecordPart is the part (0 training, 1 validation, 2 test) of record i
// of a stream split by the fractions train and val (the rest tests).
func RecordPart(i int64, train, val float64) int {
	z := uint64(i) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	u := float64((z^(z>>31))>>11) / (1 << 53)
	switch {
	case u < train:
		return 0
	case u < train+val:
		return 1
	}
	return 2
}

// OpenJSONLStream reads a JSON Lines file (gzipped or not) once to learn
// its arrays and count its records, every record checked as ReadJSONL
// checks it (errors name the line), keeping the lines of the evaluation
// sets' records (read once more when they are over a quarter of MaxBytes
// or 256 MiB). Memory is bounded by the categories and EvalMax records,
// not by the file: a line is at most MaxLineBytes long.
func OpenJSONLStream(path string, o JSONLStreamOptions) (*JSONLStream, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	if err := o.checkPadOptions(); err != nil {
		return nil, err
	}
	if o.EvalMax == 0 {
		o.EvalMax = DefaultEvalMax
	}
	if o.EvalMax < 1 {
		return nil, fmt.Errorf("data: JSONLStreamOptions.EvalMax is %d, want at least 1", o.EvalMax)
	}
	s := &JSONLStream{File: path, o: o, p: &jsonlRows{name: path, o: o.JSONLOptions, limit: math.MaxInt64}}
	// The first pass keeps the lines of the evaluation sets' records while
	// they fit a budget, so that a second pass is needed only for long ones.
	var kept [3][]keptLine
	budget := min(limit/4, 256<<20)
	overflow := false
	err = s.records(func(i int64, line int, b []byte) error {
		k := RecordPart(i, o.Train, o.Val)
		if s.Counts[k] < o.EvalMax && !overflow {
			if budget -= int64(len(b)) + 32; budget < 0 {
				overflow = true
			} else {
				kept[k] = append(kept[k], keptLine{slices.Clone(b), line})
			}
		}
		s.Counts[k]++
		s.p.forget()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.p.cols == nil {
		return nil, fileErr(path, "no records")
	}
	if err := s.layout(); err != nil {
		return nil, err
	}
	sets, err := s.evalSets(kept, overflow, limit)
	if err != nil {
		return nil, err
	}
	s.Sample, s.Val, s.Test = sets[0], sets[1], sets[2]
	if s.Counts[0] == 0 {
		return nil, fileErr(path, "the training part has no records")
	}
	return s, nil
}

// keptLine is a record's line kept by the first pass.
type keptLine struct {
	b    []byte
	line int
}

// evalSets makes the evaluation sets: the first EvalMax records of each
// part, from the lines kept, or, when they did not fit, read again.
func (s *JSONLStream) evalSets(kept [3][]keptLine, overflow bool, limit int64) ([3]*Dataset, error) {
	sets := [3]*Dataset{}
	lines := [3][]int32{}
	for k := range sets {
		if n := min(s.Counts[k], s.o.EvalMax); n > 0 {
			if _, _, err := sizeOf([]int{n, rowBytes(s.tmpl)}, 1, limit); err != nil {
				return sets, fileErr(s.File, "%d records kept for evaluation: %v", n, err)
			}
			sets[k] = s.empty(n)
		}
	}
	add := func(k, line int) error {
		lines[k] = append(lines[k], int32(min(line, math.MaxInt32)))
		return s.put(sets[k].Arrays, len(lines[k])-1, line)
	}
	var err error
	if overflow {
		err = s.records(func(i int64, line int, _ []byte) error {
			k := RecordPart(i, s.o.Train, s.o.Val)
			if sets[k] == nil || len(lines[k]) == sets[k].Len() {
				s.p.forget()
				return nil
			}
			return add(k, line)
		})
	} else {
		for k, ls := range kept {
			for _, l := range ls {
				if err = s.p.row(l.b, l.line); err == nil {
					err = add(k, l.line)
				}
				if err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		return sets, err
	}
	for k, d := range sets {
		if d != nil {
			d.Source = &Source{File: s.File, Lines: true, Rows: lines[k]}
		}
	}
	return sets, nil
}

// rowBytes is the bytes of one row of d's arrays.
func rowBytes(d *Dataset) int {
	n := 0
	for _, t := range d.Arrays {
		n += rowLen(t) * t.DType.Size()
	}
	return max(n, 1)
}

// forget drops the values of the record just read (the columns keep what
// they learnt: kinds, shapes, categories, integerness, longest length).
func (p *jsonlRows) forget() {
	for _, c := range p.cols {
		c.vals = c.vals[:0]
		if c.pad != nil {
			c.pad.lens = c.pad.lens[:0]
		}
	}
	p.lines, p.used = p.lines[:0], 0
}

// records reads every record of the file, calling f after each is parsed
// into s.p's columns with its index and line.
func (s *JSONLStream) records(f func(i int64, line int, b []byte) error) error {
	file, err := os.Open(s.File)
	if err != nil {
		return err
	}
	defer file.Close()
	r, err := maybeGunzip(file, s.File)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(&lineGuard{r: r, limit: math.MaxInt64, line: 1})
	sc.Buffer(make([]byte, 0, 1<<16), int(maxLine)+2)
	var i int64
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if err := s.p.row(b, line); err != nil {
			return err
		}
		if err := f(i, line, b); err != nil {
			return err
		}
		i++
	}
	if err := sc.Err(); err != nil {
		return csvReadErr(s.File, err)
	}
	return nil
}

// layout fixes every array's element type and row shape from the first
// pass, as the whole-file reader's dataset does.
func (s *JSONLStream) layout() error {
	s.types = map[string]tensor.DType{}
	s.tmpl = &Dataset{Arrays: map[string]*tensor.Tensor{}}
	for _, c := range s.p.cols {
		shape := c.shape
		if c.pad != nil {
			L := c.pad.longest
			if s.o.MaxLen > 0 {
				L = s.o.MaxLen
			}
			if L == 0 {
				return fileErr(s.File, "padded field %q: every record's array is empty (set a maximum length)", c.name)
			}
			if v := c.pad.value; v != math.Trunc(v) || v < math.MinInt32 || v > math.MaxInt32 {
				c.allInt = false
			}
			shape = []int{L}
			s.tmpl.Arrays[c.name+"_mask"] = tensor.New(tensor.F32, 1, L)
		}
		dt := tensor.F32
		switch {
		case c.kind == 'b':
			dt = tensor.Bool
		case c.kind == 's' || c.allInt:
			dt = tensor.I32
		}
		if t, ok := s.o.Types[c.name]; ok {
			if t.Size() == 0 {
				return fmt.Errorf("data: JSONLOptions.Types[%q] is not an element type", c.name)
			}
			dt = t
		}
		if _, _, err := sizeOf(shape, 8, 1<<40); err != nil {
			return fileErr(s.File, "field %q: %v", c.name, err)
		}
		s.types[c.name] = dt
		s.tmpl.Arrays[c.name] = tensor.New(dt, append([]int{1}, shape...)...)
		if c.kind == 's' {
			if s.tmpl.Categories == nil {
				s.tmpl.Categories = map[string][]string{}
			}
			s.tmpl.Categories[c.name] = c.cats
		}
	}
	return nil
}

// empty is a dataset of n rows shaped as the template.
func (s *JSONLStream) empty(n int) *Dataset {
	return &Dataset{Arrays: buffers(s.tmpl, n), Categories: s.tmpl.Categories}
}

// put writes the record just parsed into row i of dst and forgets it.
func (s *JSONLStream) put(dst map[string]*tensor.Tensor, i int, line int) error {
	defer s.p.forget()
	for _, c := range s.p.cols {
		t := dst[c.name]
		w := rowLen(t)
		vals := c.vals
		if c.kind == 's' && len(c.cats) > len(s.tmpl.Categories[c.name]) {
			return lineErr(s.File, line, "field %q: %q is a category the first pass did not find (did the file change?)", c.name, c.cats[len(c.cats)-1])
		}
		if c.pad != nil {
			k := len(vals)
			if k > w {
				return lineErr(s.File, line, "field %q: %d values, longer than the first pass's longest %d (did the file change?)", c.name, k, w)
			}
			m := dst[c.name+"_mask"].F32[i*w : (i+1)*w]
			for j := range m {
				m[j] = 0
				if j < k {
					m[j] = 1
				}
			}
			vals = append(vals, make([]float64, w-k)...)
			for j := k; j < w; j++ {
				vals[j] = c.pad.value
			}
			c.vals = vals
		}
		if len(vals) != w {
			return lineErr(s.File, line, "field %q: %d values where the first pass found %d (did the file change?)", c.name, len(vals), w)
		}
		for j, v := range vals {
			if err := s.check(c.name, t.DType, v, line); err != nil {
				return err
			}
			t.Set(i*w+j, v)
		}
	}
	return nil
}

// check refuses a value its array's type cannot hold.
func (s *JSONLStream) check(name string, dt tensor.DType, v float64, line int) error {
	switch dt {
	case tensor.I32, tensor.I64:
		lo, hi := float64(math.MinInt32), float64(math.MaxInt32)
		if dt == tensor.I64 {
			lo, hi = -(1 << 63), 1<<63-1024
		}
		if v != math.Trunc(v) || v < lo || v > hi {
			return lineErr(s.File, line, "field %q: %v is not an integer of %v", name, v, dt)
		}
	case tensor.F32:
		if !s.o.AllowNonFinite && math.IsInf(float64(float32(v)), 0) {
			return lineErr(s.File, line, "field %q: %v is beyond the f32 range", name, v)
		}
	}
	return nil
}

// Template is a dataset of one record.
func (s *JSONLStream) Template() *Dataset { return s.tmpl }

// Len is the number of training records.
func (s *JSONLStream) Len() int { return s.Counts[0] }

// Open starts reading the training records (every epoch reads them in
// file order; the shuffle buffer mixes them).
func (s *JSONLStream) Open(int) (func(map[string]*tensor.Tensor, int) (bool, error), func(), error) {
	file, err := os.Open(s.File)
	if err != nil {
		return nil, nil, err
	}
	r, err := maybeGunzip(file, s.File)
	if err != nil {
		file.Close()
		return nil, nil, err
	}
	sc := bufio.NewScanner(&lineGuard{r: r, limit: math.MaxInt64, line: 1})
	sc.Buffer(make([]byte, 0, 1<<16), int(maxLine)+2)
	var i int64
	line := 0
	next := func(dst map[string]*tensor.Tensor, row int) (bool, error) {
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			k := RecordPart(i, s.o.Train, s.o.Val)
			i++
			if k != 0 {
				continue
			}
			if err := s.p.row(b, line); err != nil {
				s.p.forget()
				return false, err
			}
			return true, s.put(dst, row, line)
		}
		if err := sc.Err(); err != nil {
			return false, csvReadErr(s.File, err)
		}
		return false, nil
	}
	return next, func() { file.Close() }, nil
}
