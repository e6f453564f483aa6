package data

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// PreprocessPath is where the statistics of a model trained into params (a
// .safetensors file) are kept: "m.safetensors" → "m.preprocess.json".
func PreprocessPath(params string) string {
	return strings.TrimSuffix(params, ".safetensors") + ".preprocess.json"
}

// maxPreprocessFile bounds a statistics file (256 MiB: about three million
// features).
const maxPreprocessFile = 256 << 20

// preprocessFormat names the JSON form of a Preprocess.
const preprocessFormat = "nnc-preprocess"

// preprocessFile is the JSON form of a fitted Preprocess. Numbers are
// written by encoding/json, which prints the shortest decimal that reads
// back as the same float64: the statistics round-trip exactly.
type preprocessFile struct {
	Format  string                   `json:"format"`
	Version int                      `json:"version"`
	Scaling string                   `json:"scaling"`
	Arrays  []string                 `json:"arrays"`
	Low     float64                  `json:"low"`
	High    float64                  `json:"high"`
	OneHot  []oneHotFile             `json:"one_hot,omitempty"`
	Inputs  map[string]string        `json:"inputs,omitempty"`
	Stats   map[string]*FeatureStats `json:"stats,omitempty"`
}

type oneHotFile struct {
	Array   string `json:"array"`
	Columns []int  `json:"columns"` // null: the whole array
	Classes []int  `json:"classes"`
}

// Save writes the fitted preprocessing to path as JSON, atomically.
func (p *Preprocess) Save(path string) error {
	b, err := p.MarshalJSON()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// MarshalJSON encodes a fitted Preprocess as Save writes it.
func (p *Preprocess) MarshalJSON() ([]byte, error) {
	if err := p.checkFitted(); err != nil {
		return nil, err
	}
	lo, hi := p.bounds()
	f := preprocessFile{Format: preprocessFormat, Version: 1, Scaling: p.Scaling.String(),
		Arrays: p.arrays(), Low: lo, High: hi, Stats: p.Stats, Inputs: p.Inputs}
	for _, oh := range p.OneHot {
		f.OneHot = append(f.OneHot, oneHotFile{Array: oh.name(), Columns: oh.Columns, Classes: oh.Classes})
	}
	return json.MarshalIndent(f, "", " ")
}

// LoadPreprocess reads statistics written by Save, checking every number.
func LoadPreprocess(path string) (*Preprocess, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPreprocessFile+1))
	if err != nil {
		return nil, fileErr(path, "reading: %v", err)
	}
	if len(b) > maxPreprocessFile {
		return nil, fileErr(path, "a statistics file is at most %d bytes", maxPreprocessFile)
	}
	return ParsePreprocess(b, path)
}

// ParsePreprocess decodes a statistics file held in memory; name is used in
// errors.
func ParsePreprocess(b []byte, name string) (*Preprocess, error) {
	var f preprocessFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fileErr(name, "not a statistics file: %v", err)
	}
	if dec.More() {
		return nil, fileErr(name, "not a statistics file: data after its object")
	}
	if f.Format != preprocessFormat || f.Version != 1 {
		return nil, fileErr(name, "not a statistics file of version 1 (format %q, version %d)", f.Format, f.Version)
	}
	s, ok := ParseScaling(f.Scaling)
	if !ok {
		return nil, fileErr(name, "unknown scaling %q (none, standardize or minmax)", f.Scaling)
	}
	p := &Preprocess{Scaling: s, Arrays: f.Arrays, Low: f.Low, High: f.High, Stats: f.Stats, Inputs: f.Inputs}
	if p.Arrays == nil {
		p.Arrays = []string{}
	}
	for _, oh := range f.OneHot {
		o := OneHot{Array: oh.Array, Columns: oh.Columns, Classes: oh.Classes}
		o.Array = o.name() // "" is "x"
		p.OneHot = append(p.OneHot, o)
	}
	if err := p.checkFitted(); err != nil {
		return nil, fileErr(name, "%v", strings.TrimPrefix(err.Error(), "data: "))
	}
	return p, nil
}

// checkFitted reports a Preprocess whose statistics or classes are missing
// or malformed.
func (p *Preprocess) checkFitted() error {
	if err := p.Check(); err != nil {
		return err
	}
	for _, oh := range p.OneHot {
		if len(oh.Classes) != oh.features() || hasZero(oh.Classes) {
			return fmt.Errorf("data: preprocess: one-hot of %q: classes not fitted", oh.name())
		}
	}
	if p.Scaling == NoScaling {
		if len(p.Stats) > 0 {
			return fmt.Errorf("data: preprocess: statistics without a scaling")
		}
		return nil
	}
	if len(p.Stats) != len(p.arrays()) {
		return fmt.Errorf("data: preprocess: statistics for %d arrays, %d scaled", len(p.Stats), len(p.arrays()))
	}
	for _, name := range p.arrays() {
		st := p.Stats[name]
		if st == nil {
			return fmt.Errorf("data: preprocess: no statistics for array %q", name)
		}
		if err := st.check(p.Scaling); err != nil {
			return fmt.Errorf("data: preprocess: array %q: %v", name, err)
		}
	}
	return nil
}

// check reports statistics that cannot be applied.
func (st *FeatureStats) check(s Scaling) error {
	if st.Rows <= 0 {
		return fmt.Errorf("fitted on %d rows", st.Rows)
	}
	if _, _, err := sizeOf(st.Shape, 8, maxPreprocessFile); err != nil {
		return fmt.Errorf("row shape: %v", err)
	}
	f := tensor.NumElems(st.Shape)
	want, other := [][]float64{st.Mean, st.Std}, [][]float64{st.Min, st.Max}
	if s == MinMax {
		want, other = other, want
	}
	for _, v := range want {
		if len(v) != f {
			return fmt.Errorf("%d statistics for %d features", len(v), f)
		}
		if i := slices.IndexFunc(v, func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }); i >= 0 {
			return fmt.Errorf("feature %d: a statistic is not finite", i)
		}
	}
	for _, v := range other {
		if v != nil {
			return fmt.Errorf("statistics of another scaling")
		}
	}
	for j := range f {
		if s == Standardize && st.Std[j] < 0 {
			return fmt.Errorf("feature %d: negative standard deviation %v", j, st.Std[j])
		}
		if s == MinMax && (!(st.Min[j] <= st.Max[j]) || math.IsInf(st.Max[j]-st.Min[j], 0)) {
			return fmt.Errorf("feature %d: the range [%v, %v] is not a finite interval", j, st.Min[j], st.Max[j])
		}
	}
	return nil
}
