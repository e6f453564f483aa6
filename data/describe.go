package data

import (
	"archive/zip"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// Description is what a data file holds, as Describe reports it.
type Description struct {
	// File is the file, folder or set name described.
	File string `json:"file"`
	// Format names how it was read: "npz", "npy", "csv", "idx", "jsonl",
	// "safetensors", "images", "text", "builtin", "idx-splits".
	Format string `json:"format"`
	// Parts are the sets it holds: one (named "") for a plain file, or
	// the official splits ("train", "test").
	Parts []PartInfo `json:"parts,omitempty"`
	// Text describes a text file read as tokens.
	Text *TextInfo `json:"text,omitempty"`
}

// PartInfo describes one set of arrays.
type PartInfo struct {
	Name string `json:"name,omitempty"`
	// Rows is the number of rows the arrays share, or -1 when their
	// leading dimensions differ (a graph's parts, for example: such a
	// file is not a table of rows).
	Rows   int         `json:"rows"`
	Arrays []ArrayInfo `json:"arrays"`
}

// ArrayInfo describes one array.
type ArrayInfo struct {
	Name string `json:"name"`
	// DType is the element type the array binds as ("f32").
	DType string `json:"dtype,omitempty"`
	// Stored is "u8" or "i8" when the array is kept as bytes (converted
	// to DType per batch).
	Stored string `json:"stored,omitempty"`
	Shape  []int  `json:"shape,omitempty"`
	// Min and Max are the smallest and largest finite values (as bound;
	// absent when there are none).
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// NaN and Inf count the NaN and infinite elements.
	NaN int64 `json:"nan"`
	Inf int64 `json:"inf"`
	// Classes is the distribution of the values of an integer or bool
	// array of one value per row whose values all lie in [0, 256) (labels,
	// masks).
	Classes *ClassInfo `json:"classes,omitempty"`
	// Categories are the strings of the ids of a text column.
	Categories []string `json:"categories,omitempty"`
	// Error says why the array could not be read (a pickled object
	// array, an unsupported type); the other fields are then empty.
	Error string `json:"error,omitempty"`
}

// ClassInfo is the distribution of the values of a label array.
type ClassInfo struct {
	Counts []ClassCount `json:"counts"`
	// Imbalance is the largest count divided by the smallest.
	Imbalance float64 `json:"imbalance"`
}

// ClassCount is how many rows have one value.
type ClassCount struct {
	Value int64 `json:"value"`
	Count int64 `json:"count"`
}

// TextInfo describes a text file.
type TextInfo struct {
	Tokens int `json:"tokens"`
	// Level is "char" or "byte".
	Level string `json:"level"`
	Vocab int    `json:"vocab"`
}

// maxClasses bounds the values of a label distribution.
const maxClasses = 256

// Describe reads a data file, folder or named set (as LoadSplits would,
// within o's limits; non-finite values are counted, not refused) and
// reports its arrays: types, shapes, value ranges, NaN and infinite
// counts, and the class distribution of label arrays. A CSV file's text
// columns are read as categories (CSVOptions.TextColumns). An .npz archive is
// described member by member (its arrays need not share their rows; a
// member that cannot be read, such as a pickled object array, is listed
// with the reason); a .txt file is read as characters.
func Describe(path string, o Options) (*Description, error) {
	o.AllowNonFinite = true
	base := strings.ToLower(filepath.Base(strings.TrimSuffix(path, ".gz")))
	switch {
	case strings.HasSuffix(base, ".npz"):
		return describeNPZ(path, o)
	case strings.HasSuffix(base, ".txt"):
		t, err := ReadText(path, TextOptions{Options: o})
		if err != nil {
			t, err = ReadText(path, TextOptions{Options: o, Bytes: true})
		}
		if err != nil {
			return nil, err
		}
		return &Description{File: path, Format: "text", Text: &TextInfo{Tokens: len(t.IDs), Level: t.Vocab.Level, Vocab: t.Vocab.Len()}}, nil
	case strings.HasSuffix(base, ".csv"):
		d, err := ReadCSV(path, CSVOptions{MaxBytes: o.MaxBytes, AllowNonFinite: true, TextColumns: true})
		if err != nil {
			return nil, err
		}
		return &Description{File: path, Format: "csv", Parts: []PartInfo{describeArrays(d, "")}}, nil
	case strings.HasSuffix(base, ".safetensors"):
		ts, err := LoadSafetensorsWith(path, o)
		if err != nil {
			return nil, err
		}
		return &Description{File: path, Format: "safetensors", Parts: []PartInfo{describeArrays(&Dataset{Arrays: ts}, "")}}, nil
	}
	s, err := LoadSplits(path, o)
	if err != nil {
		return nil, err
	}
	desc := &Description{File: path, Format: formatOf(path)}
	if s.Test == nil && s.Val == nil {
		desc.Parts = []PartInfo{describeArrays(s.Train, "")}
		return desc, nil
	}
	for _, p := range []struct {
		name string
		d    *Dataset
	}{{"train", s.Train}, {"val", s.Val}, {"test", s.Test}} {
		if p.d != nil {
			desc.Parts = append(desc.Parts, describeArrays(p.d, p.name))
		}
	}
	return desc, nil
}

// formatOf names the format LoadSplits chose for path.
func formatOf(path string) string {
	if IsBuiltinName(path) {
		if IsNamedSet(path) {
			return "idx-splits"
		}
		return "builtin"
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		if isIDXDir(path) {
			return "idx-splits"
		}
		return "images"
	}
	base := strings.ToLower(strings.TrimSuffix(filepath.Base(path), ".gz"))
	for _, f := range []string{"csv", "npy", "jsonl", "ndjson"} {
		if strings.HasSuffix(base, "."+f) {
			return f
		}
	}
	return "idx"
}

// describeNPZ describes an archive member by member.
func describeNPZ(path string, o Options) (*Description, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return nil, fileErr(path, "not a .npz archive: %v", err)
	}
	d := &Dataset{Arrays: map[string]*tensor.Tensor{}, Bytes: map[string]*ByteArray{}}
	var failed []ArrayInfo
	var total int64
	for _, m := range zr.File {
		key := strings.TrimSuffix(m.Name, ".npy")
		member := path + "[" + m.Name + "]"
		if _, _, dup := d.Type(key); dup {
			failed = append(failed, ArrayInfo{Name: key, Error: "a second member of this name"})
			continue
		}
		if total >= limit {
			failed = append(failed, ArrayInfo{Name: key, Error: fmt.Sprintf("the arrays before it reach the limit of %d bytes", limit)})
			continue
		}
		t, b, err := readNPZMember(m, fi.Size(), member, limit-total)
		switch {
		case err != nil:
			failed = append(failed, ArrayInfo{Name: key, Error: err.Error()})
		case b != nil:
			d.Bytes[key] = b
			total += int64(len(b.Data))
		default:
			d.Arrays[key] = t
			total += int64(t.Len() * t.DType.Size())
		}
	}
	part := describeArrays(d, "")
	part.Arrays = append(part.Arrays, failed...)
	sort.Slice(part.Arrays, func(i, j int) bool { return part.Arrays[i].Name < part.Arrays[j].Name })
	return &Description{File: path, Format: "npz", Parts: []PartInfo{part}}, nil
}

// describeArrays describes the arrays of d (which need not share rows).
func describeArrays(d *Dataset, name string) PartInfo {
	p := PartInfo{Name: name, Rows: -1}
	rows := -2
	for _, n := range d.Names() {
		var a ArrayInfo
		if t, ok := d.Arrays[n]; ok {
			a = describeTensor(n, t)
		} else {
			a = describeBytes(n, d.Bytes[n])
		}
		a.Categories = d.Categories[n]
		switch {
		case len(a.Shape) == 0:
			rows = -1
		case rows == -2:
			rows = a.Shape[0]
		case rows != a.Shape[0]:
			rows = -1
		}
		p.Arrays = append(p.Arrays, a)
	}
	if rows >= 0 {
		p.Rows = rows
	}
	return p
}

// describeTensor computes the statistics of a tensor.
func describeTensor(name string, t *tensor.Tensor) ArrayInfo {
	a := ArrayInfo{Name: name, DType: t.DType.String(), Shape: t.Shape}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range t.Len() {
		v := t.At(i)
		if t.DType == tensor.I64 {
			v = float64(t.I64[i])
		}
		switch {
		case math.IsNaN(v):
			a.NaN++
		case math.IsInf(v, 0):
			a.Inf++
		default:
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo <= hi {
		a.Min, a.Max = &lo, &hi
	}
	if (t.DType.IsInt() || t.DType == tensor.Bool) && (len(t.Shape) == 1 || len(t.Shape) == 2 && t.Shape[1] == 1) {
		a.Classes = classes(t.Len(), func(i int) int64 {
			if t.DType == tensor.I64 {
				return t.I64[i]
			}
			return int64(t.At(i))
		})
	}
	return a
}

// describeBytes computes the statistics of a byte array, as bound.
func describeBytes(name string, b *ByteArray) ArrayInfo {
	a := ArrayInfo{Name: name, DType: b.DType.String(), Stored: "u8", Shape: b.Shape}
	if b.Signed {
		a.Stored = "i8"
	}
	var seen [256]bool
	for _, v := range b.Data {
		seen[v] = true
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for v, ok := range seen {
		if ok {
			x := b.valueOf(byte(v))
			if b.DType.IsFloat() {
				x *= b.scale()
			}
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if lo <= hi {
		if b.DType == tensor.F32 {
			lo, hi = float64(float32(lo)), float64(float32(hi))
		}
		a.Min, a.Max = &lo, &hi
	}
	if b.DType.IsInt() && len(b.Shape) == 1 {
		a.Classes = classes(len(b.Data), func(i int) int64 { return int64(b.valueOf(b.Data[i])) })
	}
	return a
}

// classes counts the values of n elements, or returns nil when a value is
// outside [0, maxClasses) (not a class label).
func classes(n int, at func(int) int64) *ClassInfo {
	counts := map[int64]int64{}
	for i := range n {
		v := at(i)
		if v < 0 || v >= maxClasses {
			return nil
		}
		counts[v]++
	}
	if len(counts) == 0 {
		return nil
	}
	c := &ClassInfo{}
	lo, hi := int64(math.MaxInt64), int64(0)
	for v, k := range counts {
		c.Counts = append(c.Counts, ClassCount{Value: v, Count: k})
		lo, hi = min(lo, k), max(hi, k)
	}
	sort.Slice(c.Counts, func(i, j int) bool { return c.Counts[i].Value < c.Counts[j].Value })
	c.Imbalance = float64(hi) / float64(lo)
	return c
}

// String prints the description as the CLI's text output.
func (d *Description) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s (%s)\n", d.File, d.Format)
	if d.Text != nil {
		fmt.Fprintf(&sb, "  %d tokens, %s level, %d distinct\n", d.Text.Tokens, d.Text.Level, d.Text.Vocab)
	}
	for _, p := range d.Parts {
		indent := "  "
		if p.Name != "" {
			fmt.Fprintf(&sb, "  %s:\n", p.Name)
			indent = "    "
		}
		if p.Rows >= 0 {
			fmt.Fprintf(&sb, "%s%d rows\n", indent, p.Rows)
		} else {
			fmt.Fprintf(&sb, "%sthe arrays do not share a leading dimension (not rows of one table)\n", indent)
		}
		for _, a := range p.Arrays {
			sb.WriteString(indent + a.line() + "\n")
			if a.Classes != nil {
				sb.WriteString(indent + "    " + a.Classes.String() + "\n")
			}
		}
	}
	return sb.String()
}

// line prints one array.
func (a ArrayInfo) line() string {
	if a.Error != "" {
		return a.Name + ": not read: " + a.Error
	}
	s := a.Name + " " + a.DType + shapeString(a.Shape)
	if a.Stored != "" {
		s += " (stored as " + a.Stored + ")"
	}
	if a.Min != nil {
		s += fmt.Sprintf("  range [%.6g, %.6g]", *a.Min, *a.Max)
	}
	if a.NaN > 0 || a.Inf > 0 {
		s += fmt.Sprintf("  NaN %d, Inf %d", a.NaN, a.Inf)
	}
	if len(a.Categories) > 0 {
		s += fmt.Sprintf("  %d categories", len(a.Categories))
	}
	return s
}

// String prints the distribution: "classes 0: 5923, 1: 6742, ...;
// imbalance 1.24".
func (c *ClassInfo) String() string {
	parts := make([]string, len(c.Counts))
	for i, k := range c.Counts {
		parts[i] = fmt.Sprintf("%d: %d", k.Value, k.Count)
	}
	return fmt.Sprintf("classes %s; imbalance (largest/smallest) %.3g", strings.Join(parts, ", "), c.Imbalance)
}
