package data

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/nnclang/nnc/tensor"
)

// jsonlPad is the state of a padded field (JSONLOptions.Pad): its records'
// values are kept back to back in jsonlCol.vals, their lengths here.
type jsonlPad struct {
	value   float64
	lens    []int32
	longest int
}

// maxPadLen bounds L, the length a padded field is padded to.
const maxPadLen = math.MaxInt32

// padded adds one record's value of a padded field: a 1-D array of
// numbers, cut to MaxLen when Truncate is set.
func (p *jsonlRows) padded(c *jsonlCol, raw json.RawMessage) error {
	if raw[0] != '[' {
		return fmt.Errorf("a padded field's value must be an array of numbers, got %.40q", string(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return err
	}
	if m := p.o.MaxLen; m > 0 && len(elems) > m {
		if !p.o.Truncate {
			return fmt.Errorf("%d elements, more than the maximum length %d (truncate to cut longer records)", len(elems), m)
		}
		elems = elems[:m]
	}
	if len(elems) > maxPadLen {
		return fmt.Errorf("%d elements, more than %d", len(elems), maxPadLen)
	}
	for _, e := range elems {
		e = bytes.TrimSpace(e)
		if len(e) > 0 && e[0] == '[' {
			return fmt.Errorf("padding applies to 1-D arrays; an element is an array")
		}
		v, isInt, err := jsonNumber(e)
		if err != nil {
			return err
		}
		c.allInt = c.allInt && isInt
		if err := p.add(c, v); err != nil {
			return err
		}
	}
	c.kind = 'n'
	c.pad.lens = append(c.pad.lens, int32(len(elems)))
	c.pad.longest = max(c.pad.longest, len(elems))
	return nil
}

// checkPadOptions checks the padding options before anything is read.
func (o JSONLOptions) checkPadOptions() error {
	if o.MaxLen < 0 || o.MaxLen > maxPadLen {
		return fmt.Errorf("data: JSONLOptions.MaxLen is %d, want 0 (the longest record) to %d", o.MaxLen, maxPadLen)
	}
	if o.Truncate && o.MaxLen == 0 {
		return fmt.Errorf("data: JSONLOptions.Truncate needs MaxLen")
	}
	for k, v := range o.Pad {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("data: JSONLOptions.Pad[%q] is %v, not a finite number", k, v)
		}
	}
	return nil
}

// checkPadFields checks the padded fields against the fields read, names,
// at the first record's line.
func (p *jsonlRows) checkPadFields(names []string, line int) error {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	keys := slices.Sorted(mapKeys(p.o.Pad))
	for _, k := range keys {
		if !set[k] {
			return lineErr(p.name, line, "padded field %q is not a field read (fields: %v)", k, names)
		}
		if set[k+"_mask"] {
			return lineErr(p.name, line, "padded field %q: its mask %q is also a field of the records", k, k+"_mask")
		}
	}
	return nil
}

// mapKeys yields the keys of m.
func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// padCol lays out a padded field's n records as rows of length L (MaxLen,
// or the longest record), the ends filled with the pad value, and returns
// the mask. The size of [n, L] is checked against the limit before
// anything is allocated.
func (p *jsonlRows) padCol(c *jsonlCol, n int) (*tensor.Tensor, error) {
	L := c.pad.longest
	if p.o.MaxLen > 0 {
		L = p.o.MaxLen
	}
	if L == 0 {
		return nil, fileErr(p.name, "padded field %q: every record's array is empty (set a maximum length)", c.name)
	}
	// The padded values as f64, the array they become (at most 8 bytes an
	// element) and the f32 mask.
	if _, _, err := sizeOf([]int{n, L}, 20, p.limit); err != nil {
		return nil, fileErr(p.name, "padded field %q: %d records padded to length %d: %v", c.name, n, L, err)
	}
	if v := c.pad.value; v != math.Trunc(v) || v < math.MinInt32 || v > math.MaxInt32 {
		c.allInt = false
	}
	vals := make([]float64, n*L)
	mask := tensor.New(tensor.F32, n, L)
	at := 0
	for i, k := range c.pad.lens {
		row := vals[i*L : (i+1)*L]
		copy(row, c.vals[at:at+int(k)])
		for j := int(k); j < L; j++ {
			row[j] = c.pad.value
		}
		for j := range int(k) {
			mask.F32[i*L+j] = 1
		}
		at += int(k)
	}
	c.vals, c.shape = vals, []int{L}
	return mask, nil
}

// DescribeJSONL is Describe for a JSON Lines file read with o (its padded
// fields and their masks, say), non-finite values counted, not refused.
func DescribeJSONL(path string, o JSONLOptions) (*Description, error) {
	o.AllowNonFinite = true
	d, err := ReadJSONL(path, o)
	if err != nil {
		return nil, err
	}
	return &Description{File: path, Format: "jsonl", Parts: []PartInfo{describeArrays(d, "")}}, nil
}
