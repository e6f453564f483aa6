package nnc

import (
	"fmt"
	"sort"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
)

// ParamFile is what `nnc check --params FILE` reports about a parameter
// file: every tensor in it with its zeros (a pruned model's), and which of
// them the program's models declare as parameters.
type ParamFile struct {
	File    string       `json:"file"`
	Tensors []ParamStats `json:"tensors"`
	// Count and Zeros sum the elements and zeros of the tensors that are
	// parameters; Sparsity is Zeros/Count (0 when Count is 0).
	Count    int64   `json:"parameters"`
	Zeros    int64   `json:"zeros"`
	Sparsity float64 `json:"sparsity"`
	// Missing lists the parameters of the models (path and type) the
	// file does not hold; a file holds one model's parameters, so the
	// other models' are missing.
	Missing []string `json:"missing,omitempty"`
}

// ParamStats is one tensor of a parameter file.
type ParamStats struct {
	Path string `json:"path"`
	Type string `json:"type"`
	// Param says a model of the program declares a parameter of this path
	// and type (the others are states, such as running statistics, or
	// tensors the program does not use).
	Param    bool    `json:"param"`
	Count    int64   `json:"count"`
	Zeros    int64   `json:"zeros"`
	Sparsity float64 `json:"sparsity"`
}

// CheckParams reads a parameter file (.safetensors, as Train writes it)
// and reports the zeros of each tensor, checked against the parameters of
// the program's models (Summary's Models): a tensor whose path a model
// declares with another type is an error. NaN counts as non-zero.
func (p *Program) CheckParams(path string) (pf *ParamFile, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	sum, err := p.Summary(nil)
	if err != nil {
		return nil, err
	}
	declared := map[string]string{}
	for _, m := range sum.Models {
		for _, ps := range m.Params {
			declared[ps.Path] = ps.Type
		}
	}
	tensors, err := data.LoadSafetensors(path)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	pf = &ParamFile{File: path}
	for _, n := range names {
		t := tensors[n]
		typ := ops.Type{DType: t.DType, Shape: ops.ShapeOf(t.Shape...)}.String()
		st := ParamStats{Path: n, Type: typ, Count: int64(t.Len())}
		if want, ok := declared[n]; ok {
			if want != typ {
				return nil, fmt.Errorf("%s: tensor %s is %s, but the model declares %s", path, n, typ, want)
			}
			st.Param = true
		}
		for i := range t.Len() {
			if t.At(i) == 0 {
				st.Zeros++
			}
		}
		if st.Count > 0 {
			st.Sparsity = float64(st.Zeros) / float64(st.Count)
		}
		if st.Param {
			pf.Count += st.Count
			pf.Zeros += st.Zeros
		}
		pf.Tensors = append(pf.Tensors, st)
	}
	if pf.Count > 0 {
		pf.Sparsity = float64(pf.Zeros) / float64(pf.Count)
	}
	for _, m := range sum.Models {
		for _, ps := range m.Params {
			if _, ok := tensors[ps.Path]; !ok {
				pf.Missing = append(pf.Missing, ps.Path+" "+ps.Type)
			}
		}
	}
	return pf, nil
}
