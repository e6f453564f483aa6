package nnc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
)

// TensorSpec is one input or result of a ServeModel.
type TensorSpec struct {
	Name  string
	DType DType
	// Shape has -1 for a dimension given by a shape variable.
	Shape []int64
}

// ServeModel is an entry described for an inference server (package
// serve, the nnc-serve command): its inputs and results, whether requests
// can be joined into batches, a check of one request's inputs, and the
// function that runs it. NewServeModel makes one from a Func.
type ServeModel struct {
	// Name is the model's name in the URLs (/v2/models/{Name}/infer).
	Name string
	// Inputs and Outputs describe the entry's parameters and results.
	Inputs, Outputs []TensorSpec
	// Batched says that requests can be joined along the first axis:
	// every input and result has the batch axis first, and each row of a
	// result depends on the same row of the inputs only.
	Batched bool
	// Check validates one request's inputs (all present, of the specs'
	// types and ranks) further: shape variables consistent. It runs before
	// the request is joined with others, so that a bad request fails
	// alone. Nil checks nothing more.
	Check func(in map[string]*Tensor) error
	// Run evaluates the entry; its results are in the order of Outputs.
	// It may change its inputs: a server passes tensors of its own.
	Run func(ctx context.Context, in map[string]*Tensor) ([]*Tensor, error)
	// SetMaxPlans, when not nil, bounds the input shapes whose plans Run
	// keeps (Func.SetMaxPlans; a server calls it with its limit); nil:
	// Run keeps nothing per shape.
	SetMaxPlans func(n int) error
	// PlanEvictions, when not nil, counts the plans Run dropped to stay
	// within that bound (Func.PlanEvictions).
	PlanEvictions func() uint64
}

// ServeOptions configure NewServeModel.
type ServeOptions struct {
	// Name is the model's name; default: the entry's name.
	Name string
	// Params is the parameter file the Func's parameters were loaded
	// from, or "": when statistics were saved beside it (nnc train with a
	// preprocess block), inputs are scaled as nnc run scales them.
	Params string
	// MaxDims bounds shape variables of the entry's inputs by name
	// (MaxDims["T"] = 512: a request with T = 513 fails Check, before
	// anything is compiled for it). Every name must be a shape variable of
	// the inputs, and every bound at least 1. Nil bounds none.
	MaxDims map[string]int64
}

// NewServeModel describes f's entry for an inference server: its inputs
// and results, a shape variable's dimension -1. When every input and
// result has the same shape variable first (B in f32[B, 784] -> f32[B, 10])
// and nowhere else, the model is Batched: a server may join concurrent
// requests along that axis (the rows must be independent, as for
// RunBatches). The package nnc itself has no HTTP server, so that
// programs using it (the nnc command among them) do not link net/http and
// the C library's resolver; package serve has it.
func NewServeModel(f *Func, o ServeOptions) (m *ServeModel, err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return nil, errNoFunc
	}
	ins, results, err := f.prog.signatureResults(f.entry)
	if err != nil {
		return nil, err
	}
	m = &ServeModel{Name: o.Name}
	if m.Name == "" {
		m.Name = f.entry
	}
	for _, a := range ins {
		m.Inputs = append(m.Inputs, serveSpec(a.Name, a.Type))
	}
	for i, r := range results {
		m.Outputs = append(m.Outputs, serveSpec(outName(i, len(results)), r))
	}
	m.Batched = batchedEntry(ins, results)
	if err := checkMaxDims(ins, o.MaxDims); err != nil {
		return nil, err
	}
	m.Check = func(in map[string]*Tensor) error {
		shapes := make([][]int, len(ins))
		for i, a := range ins {
			t := in[a.Name]
			if t == nil {
				return fmt.Errorf("missing input %s: %v", a.Name, a.Type)
			}
			shapes[i] = t.Shape
		}
		env, err := lang.BindShapes(ins, shapes)
		if err != nil {
			return err
		}
		return withinDims(env, o.MaxDims)
	}
	m.SetMaxPlans, m.PlanEvictions = f.SetMaxPlans, f.PlanEvictions
	var pre *data.Preprocess
	if o.Params != "" {
		pre, err = data.LoadPreprocess(data.PreprocessPath(o.Params))
		if errors.Is(err, fs.ErrNotExist) {
			pre, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	m.Run = func(ctx context.Context, in map[string]*Tensor) ([]*Tensor, error) {
		if pre != nil {
			// Run may change its inputs: they are scaled in place, as
			// PreprocessInputs scales its copies.
			for arr, name := range pre.Inputs {
				if t, ok := in[name]; ok {
					if err := pre.ScaleTensor(arr, t); err != nil {
						return nil, fmt.Errorf("input %s: %w", name, err)
					}
				}
			}
		}
		return f.RunContext(ctx, in)
	}
	return m, nil
}

// shapeVars lists the shape variables the inputs' dimensions bind, in
// order of appearance.
func shapeVars(ins []lang.Arg) []string { return typeVars(argTypes(ins)...) }

// checkMaxDims checks ServeOptions.MaxDims against the inputs' shape
// variables.
func checkMaxDims(ins []lang.Arg, dims map[string]int64) error {
	vars := shapeVars(ins)
	for name, n := range dims {
		if !slices.Contains(vars, name) {
			have := "none"
			if len(vars) > 0 {
				have = strings.Join(vars, ", ")
			}
			return fmt.Errorf("a bound on %s, which is not a shape variable of the inputs (they have %s)", name, have)
		}
		if n < 1 {
			return fmt.Errorf("the bound on %s is %d: want 1 or more", name, n)
		}
	}
	return nil
}

// withinDims checks bound shape variables against their bounds.
func withinDims(env map[string]int64, dims map[string]int64) error {
	names := make([]string, 0, len(dims))
	for name := range dims {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if v, ok := env[name]; ok && v > dims[name] {
			return fmt.Errorf("shape variable %s is %d: this server takes at most %d", name, v, dims[name])
		}
	}
	return nil
}

// serveSpec describes a tensor type to a server: -1 for a dimension that
// is not a constant.
func serveSpec(name string, t ops.Type) TensorSpec {
	s := TensorSpec{Name: name, DType: t.DType, Shape: make([]int64, len(t.Shape))}
	for i, d := range t.Shape {
		s.Shape[i] = -1
		if c, ok := d.IsConst(); ok {
			s.Shape[i] = c
		}
	}
	return s
}

// batchedEntry reports whether every input and result has the same shape
// variable as its first dimension and nowhere else.
func batchedEntry(ins []lang.Arg, results []ops.Type) bool {
	axis, cut := batchAxis(ins)
	if axis == "" || len(cut) != len(ins) || len(results) == 0 {
		return false
	}
	types := make([]ops.Type, 0, len(ins)+len(results))
	for _, a := range ins {
		types = append(types, a.Type)
	}
	for _, t := range append(types, results...) {
		if len(t.Shape) == 0 || t.Shape[0] != ops.DimVar(axis) {
			return false
		}
		for _, d := range t.Shape[1:] {
			for _, v := range d.Vars() {
				if v == axis {
					return false
				}
			}
		}
	}
	return true
}
