package nnc

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/interop/onnx"
)

// ImportOptions control ImportONNX.
type ImportOptions struct {
	// Model names the model in the .nn source (default "Net").
	Model string
	// MaxBytes bounds the model file's size (default 2 GiB).
	MaxBytes int64
	// ExternalData lets tensors stored outside the model file be read, from
	// files inside the model file's directory only. Off, such a model is
	// refused.
	ExternalData bool
	// Fixed gives graph inputs values at import, by ONNX name: they become
	// constants of the program instead of arguments. Axes, shapes, pads or
	// split sizes that a graph takes as inputs must be fixed this way; an
	// import that needs one says which (UnsupportedONNXError.NeedFixed).
	Fixed map[string]*Tensor
}

// UnsupportedONNXError lists every node of a model that nnc cannot
// import, with its operator and why.
type UnsupportedONNXError = onnx.UnsupportedError

// Imported is an ONNX model translated to .nn: the program's source, its
// entry, and the weights by parameter path.
type Imported struct {
	Source []byte             // a formatted .nn program
	Entry  string             // the entry to run: "Net.forward"
	Params map[string]*Tensor // parameter and state values, by path
	// Inputs are the entry's arguments (.nn names), ONNXInputs their ONNX
	// names in the same order; ONNXOutputs the ONNX names of the results.
	Inputs      []string
	ONNXInputs  []string
	ONNXOutputs []string
}

// ImportONNX reads an ONNX model (opsets 6 to 22) and translates it into a
// .nn program: one model whose parameters are the graph's initializers,
// std/nn layers where a pattern matches, built-ins elsewhere, and ONNX node
// names as comments. A model with operators nnc does not import is an
// error listing every such node.
func ImportONNX(path string, o ImportOptions) (imp *Imported, err error) {
	defer recoverInternal(&err)
	if path == "" {
		return nil, errors.New("ImportONNX: empty file name")
	}
	lim := onnx.Limits{MaxFileBytes: o.MaxBytes}
	if o.ExternalData {
		lim.ExternalDir = filepath.Dir(path)
	}
	m, err := onnx.ReadFile(path, lim)
	if err != nil {
		return nil, err
	}
	res, err := onnx.Translate(m, onnx.Options{Model: o.Model, Source: filepath.Base(path), Fixed: o.Fixed})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Imported{Source: res.Source, Entry: res.Entry, Params: res.Params,
		Inputs: res.Inputs, ONNXInputs: res.InputNames, ONNXOutputs: res.Outputs}, nil
}

// ONNXOps lists the ONNX operators ImportONNX translates, sorted.
func ONNXOps() []string { return onnx.SupportedOps() }

// ParamNames lists the parameter paths, sorted.
func (imp *Imported) ParamNames() []string {
	names := make([]string, 0, len(imp.Params))
	for n := range imp.Params {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Write writes the program to nnPath and the weights to paramsPath (a
// .safetensors file), each safely (see WriteFile).
func (imp *Imported) Write(nnPath, paramsPath string) (err error) {
	defer recoverInternal(&err)
	if nnPath == "" || paramsPath == "" {
		return errors.New("Imported.Write: empty file name")
	}
	if filepath.Ext(paramsPath) != ".safetensors" {
		return fmt.Errorf("%s: the weights go to a .safetensors file", paramsPath)
	}
	if err := data.SaveSafetensors(paramsPath, imp.Params); err != nil {
		return err
	}
	return WriteFile(nnPath, imp.Source)
}

// ParamsPathFor is the weights file beside a .nn file: model.nn gives
// model.safetensors.
func ParamsPathFor(nnPath string) string {
	return strings.TrimSuffix(nnPath, filepath.Ext(nnPath)) + ".safetensors"
}
