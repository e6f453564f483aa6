package nnc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/serve"
	"github.com/nnclang/nnc/tensor"
)

// Server answers KServe/Triton v2 inference requests over HTTP for one
// entry: see package serve and NewServer.
type Server = serve.Server

// ServeOptions configure NewServer.
type ServeOptions struct {
	// Name is the model's name in the URLs (/v2/models/{Name}/infer);
	// default: the entry's name.
	Name string
	// Params is the parameter file the Func's parameters were loaded
	// from, or "": when statistics were saved beside it (nnc train with a
	// preprocess block), inputs are scaled as nnc run scales them.
	Params string
	// Server holds the batching, limits and timeouts.
	Server serve.Options
}

// NewServer makes a v2 inference server for f: its inputs and results
// are the v2 tensors, a shape variable's dimension -1 in the metadata.
// When every input and result has the same shape variable first (B in
// f32[B, 784] -> f32[B, 10]) and nowhere else, concurrent requests are
// joined along it into runs of at most Server.MaxBatch rows (the rows
// must be independent, as for RunBatches). Close the server when done.
func NewServer(f *Func, o ServeOptions) (s *Server, err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return nil, errNoFunc
	}
	ins, results, err := f.prog.signatureResults(f.entry)
	if err != nil {
		return nil, err
	}
	m := &serve.Model{Name: o.Name}
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
	m.Check = func(in map[string]*tensor.Tensor) error {
		shapes := make([][]int, len(ins))
		for i, a := range ins {
			shapes[i] = in[a.Name].Shape
		}
		_, err := lang.BindShapes(ins, shapes)
		return err
	}
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
	m.Run = func(ctx context.Context, in map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
		if pre != nil {
			// The server owns the inputs: they are scaled in place, as
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
	return serve.New(m, o.Server)
}

// serveSpec describes a tensor type to the server: -1 for a dimension that
// is not a constant.
func serveSpec(name string, t ops.Type) serve.Spec {
	s := serve.Spec{Name: name, DType: t.DType, Shape: make([]int64, len(t.Shape))}
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
