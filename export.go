package nnc

import (
	"errors"
	"fmt"

	"github.com/nnclang/nnc/interop/onnx"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/runtime"
)

// ExportOptions control Func.ExportONNX.
type ExportOptions struct {
	// Shapes gives values to shape variables ("T": 64). A variable left
	// out stays symbolic in the ONNX graph (a dim_param, such as the
	// batch), when the graph can read it from an input's shape; entries
	// that unroll a loop over a variable (scan over T) need its value.
	Shapes map[string]int64
}

// ExportONNX writes the entry's inference graph (dropout off, batch norm
// on its running statistics) as an ONNX model, opset onnx.ExportOpset,
// with the current parameters as initializers. The inputs keep the
// entry's names, the results are named as nnc run names them (out, or
// out0, out1, ...). The graph is the entry as lowered, before the
// optimizer's fusions, so that every node is a standard operator. Every
// node with no ONNX form (sparse products, training-only ops) is listed in
// one error with its .nn position.
func (f *Func) ExportONNX(o ExportOptions) (model []byte, err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return nil, errNoFunc
	}
	lo := lang.LowerOptions{}
	if len(o.Shapes) > 0 {
		lo.Shapes = o.Shapes
	}
	low, err := f.prog.lower(f.entry, lo)
	if lang.NeedsShapes(err) {
		return nil, fmt.Errorf("%w; give the loop's length a value (--shapes T=N; ExportOptions.Shapes in Go)", err)
	}
	if err != nil {
		return nil, err
	}
	g := onnx.ExportGraph{G: low.B.G, Inputs: low.Inputs, Outputs: low.Outputs, Values: map[string]*Tensor{}, Name: f.entry}
	for i := range low.Outputs {
		g.OutputNames = append(g.OutputNames, outName(i, len(low.Outputs)))
	}
	err = f.readParams(func(store *runtime.Store) error {
		for _, n := range append(low.Params[:len(low.Params):len(low.Params)], low.States...) {
			t := store.Get(n.Name())
			if t == nil {
				return fmt.Errorf("internal error: parameter %s has no value", n.Name())
			}
			g.Values[n.Name()] = t.Clone()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	model, err = onnx.Export(g)
	var ue *onnx.UnsupportedExportError
	if errors.As(err, &ue) {
		return nil, fmt.Errorf("%s cannot be exported: %w", f.entry, err)
	}
	return model, err
}

// ONNXExportOpset is the ONNX opset ExportONNX writes.
const ONNXExportOpset = onnx.ExportOpset
