package nnc

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
)

// DataInfo is what a data file holds (see data.Description: arrays, types,
// shapes, value ranges, NaN and infinite counts, label distributions) and,
// when an entry was given, how its arrays bind to the entry's inputs.
type DataInfo struct {
	*data.Description
	Binding *DataBinding `json:"binding,omitempty"`
}

// DataBinding is how the arrays of a data set bind, by name, to the inputs
// of an entry.
type DataBinding struct {
	// Entry is the entry bound ("Model.loss").
	Entry string `json:"entry"`
	// Part names the part of the data bound ("train" for a set with
	// official splits, "" for a plain file).
	Part string `json:"part,omitempty"`
	// Inputs lists the entry's inputs in order, each with its array.
	Inputs []InputBinding `json:"inputs"`
	// Missing names the inputs no array of that name feeds.
	Missing []string `json:"missing,omitempty"`
	// Extra names the arrays no input takes.
	Extra []string `json:"extra,omitempty"`
}

// InputBinding is one input and the array of its name.
type InputBinding struct {
	Input string `json:"input"`
	// Type is the input's type in .nn syntax ("f32[B, 784]").
	Type string `json:"type"`
	// Array is the array's type as it binds ("f32[60000, 28, 28]"); ""
	// when there is no array of the input's name.
	Array string `json:"array,omitempty"`
	// OK says the array binds as it is, one row per example.
	OK bool `json:"ok"`
	// Problem says why it does not (a type, a rank or a dimension that
	// differs); a row of another shape with the same number of elements
	// is said to need a reshape.
	Problem string `json:"problem,omitempty"`
}

// DataInfoOptions configures DescribeData.
type DataInfoOptions struct {
	// Entry is the entry whose inputs the arrays are bound to ("M.fn" or
	// "f"). Model, instead, names a model whose train block's entry (by
	// default "loss") is bound. With neither, the first train block's
	// entry is bound, or nothing when the program has no train block.
	Entry, Model string
	// MaxBytes bounds what the file may decode to (0: the default, see
	// data.Options).
	MaxBytes int64
	// Pad names ragged 1-D fields of a JSON Lines file to pad with PadValue
	// to the longest record or MaxLen (Truncate: cut longer ones), each
	// with its mask <field>_mask, as a train block's jsonl(pad = [...])
	// reads them (data.JSONLOptions.Pad).
	Pad      []string
	PadValue float64
	MaxLen   int
	Truncate bool
}

// DescribeData reads a data file, folder or named set (anything the
// train block's data or --data takes) and reports what it holds, without
// a program: no binding.
func DescribeData(path string, maxBytes int64) (info *DataInfo, err error) {
	return DescribeDataWith(path, DataInfoOptions{MaxBytes: maxBytes})
}

// DescribeDataWith is DescribeData with o's MaxBytes and JSON Lines
// padding (o's Entry and Model are not used: no binding).
func DescribeDataWith(path string, o DataInfoOptions) (info *DataInfo, err error) {
	defer recoverInternal(&err)
	if o.MaxBytes < 0 {
		return nil, &OptionError{Option: "DataInfoOptions.MaxBytes", Value: fmt.Sprint(o.MaxBytes), Msg: "must not be negative (0 means the default)"}
	}
	var d *data.Description
	if len(o.Pad) > 0 {
		jo := data.JSONLOptions{Options: data.Options{MaxBytes: o.MaxBytes}, Pad: map[string]float64{}, MaxLen: o.MaxLen, Truncate: o.Truncate}
		for _, f := range o.Pad {
			jo.Pad[f] = o.PadValue
		}
		d, err = data.DescribeJSONL(path, jo)
	} else {
		d, err = data.Describe(path, data.Options{MaxBytes: o.MaxBytes})
	}
	if err != nil {
		return nil, err
	}
	return &DataInfo{Description: d}, nil
}

// DescribeData is the package's DescribeData plus, when o names an entry or
// a model with a train block, how the arrays bind by name to that entry's
// inputs. A relative path is taken as given (relative to the working
// directory), not to the program's folder.
func (p *Program) DescribeData(path string, o DataInfoOptions) (info *DataInfo, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	entry, err := p.dataEntry(o)
	if err != nil {
		return nil, err
	}
	info, err = DescribeDataWith(path, o)
	if err != nil || entry == "" {
		return info, err
	}
	sig, _, err := p.signatureTypes(entry)
	if err != nil {
		return nil, err
	}
	if len(info.Parts) == 0 {
		return nil, fmt.Errorf("%s: a text file holds no arrays to bind (a train block's data = text(...) makes them)", path)
	}
	info.Binding = bindArrays(entry, info.Parts[0], sig)
	return info, nil
}

// dataEntry is the entry the options name, or "".
func (p *Program) dataEntry(o DataInfoOptions) (string, error) {
	switch {
	case o.Entry != "" && o.Model != "":
		return "", &OptionError{Option: "DataInfoOptions.Entry", Value: o.Entry, Msg: "give Entry or Model, not both"}
	case o.Entry != "":
		for _, e := range p.Entries() {
			if e == o.Entry {
				return e, nil
			}
		}
		return "", &OptionError{Option: "DataInfoOptions.Entry", Value: o.Entry, Msg: "no such entry (entries: " + strings.Join(p.Entries(), ", ") + ")"}
	case o.Model != "":
		spec, ok := p.mod.TrainBlock(o.Model)
		if !ok {
			return "", &OptionError{Option: "DataInfoOptions.Model", Value: o.Model, Msg: "no train block for this model (train blocks: " + strings.Join(p.mod.TrainModels(), ", ") + ")"}
		}
		method := "loss"
		if s, ok := spec.Fields["entry"].(string); ok {
			method = s
		}
		return o.Model + "." + method, nil
	}
	if ms := p.mod.TrainModels(); len(ms) > 0 {
		return p.dataEntry(DataInfoOptions{Model: ms[0]})
	}
	return "", nil
}

// bindArrays binds the arrays of part to the inputs of sig by name.
func bindArrays(entry string, part data.PartInfo, sig []lang.Arg) *DataBinding {
	b := &DataBinding{Entry: entry, Part: part.Name}
	arrays := map[string]data.ArrayInfo{}
	for _, a := range part.Arrays {
		if a.Error == "" {
			arrays[a.Name] = a
		}
	}
	used := map[string]bool{}
	for _, in := range sig {
		ib := InputBinding{Input: in.Name, Type: in.Type.String()}
		a, ok := arrays[in.Name]
		if !ok {
			b.Missing = append(b.Missing, in.Name)
			ib.Problem = "no array of this name"
			if p, _, sparse := lang.SparseInput(in.Name); sparse {
				ib.Problem += fmt.Sprintf(" (a part of the sparse input %s: a train block's graph(...) binds SciPy's CSR parts to it, see docs/data.md)", p)
			}
			b.Inputs = append(b.Inputs, ib)
			continue
		}
		used[in.Name] = true
		ib.Array = a.DType + intsString(a.Shape)
		ib.Problem = bindProblem(in.Type, a)
		ib.OK = ib.Problem == ""
		b.Inputs = append(b.Inputs, ib)
	}
	for _, a := range part.Arrays {
		if !used[a.Name] {
			b.Extra = append(b.Extra, a.Name)
		}
	}
	return b
}

// bindProblem says why an array does not bind, row by row, to an input of
// type t, or "".
func bindProblem(t ops.Type, a data.ArrayInfo) string {
	if a.DType != t.DType.String() {
		return fmt.Sprintf("the array is %s, the input %s", a.DType, t.DType)
	}
	if len(t.Shape) == 0 || len(a.Shape) == 0 {
		return "a scalar has no rows to batch"
	}
	want, have := t.Shape[1:], a.Shape[1:]
	if len(want) == len(have) {
		for i, d := range want {
			if c, ok := d.IsConst(); ok && c != int64(have[i]) {
				return fmt.Sprintf("dimension %d is %d in the array, %d in the input", i+1, have[i], c)
			}
		}
		return ""
	}
	n := int64(1)
	for _, d := range want {
		c, ok := d.IsConst()
		if !ok {
			return fmt.Sprintf("rows of the array have %d dimensions, the input's %d", len(have), len(want))
		}
		n *= c
	}
	per := int64(1)
	for _, d := range have {
		per *= int64(d)
	}
	if per == n {
		return fmt.Sprintf("rows of the array are %s, the input's %v: the same %d elements, so a reshape binds them", intsString(have), ops.Shape(want), n)
	}
	return fmt.Sprintf("rows of the array are %s (%d elements), the input's %v (%d)", intsString(have), per, ops.Shape(want), n)
}

// intsString prints a shape as [60000, 28, 28].
func intsString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
