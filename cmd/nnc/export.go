package main

import (
	"fmt"
	"io"

	"github.com/nnclang/nnc"
)

// cmdExport writes an entry's inference graph as an ONNX model.
func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export")
	entry := fs.String("entry", "", "the method to export, Model.forward (required)")
	params := fs.String("params", "", "the parameters to export (.safetensors); default: initialized from --seed")
	seed := fs.Uint64("seed", 0, "seed for initializing parameters when --params is not given")
	out := fs.String("o", "", "the .onnx file to write (required)")
	shapes := shapesFlag{}
	fs.Var(shapes, "shapes", "fix shape variables, NAME=N,...: those left out stay symbolic (dim_params) where an input's shape gives them; a loop over T needs T")
	var pf paramFlags
	pf.define(fs)
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("want -o FILE.onnx")
	}
	if err := nonEmpty(fs, "entry", "params"); err != nil {
		return err
	}
	f, err := loadFuncWith(file, *entry, *params, *seed, &pf)
	if err != nil {
		return err
	}
	fixed := map[string]int64{}
	for k, v := range shapes {
		fixed[k] = int64(v)
	}
	model, err := f.ExportONNX(nnc.ExportOptions{Shapes: fixed})
	if err != nil {
		return err
	}
	if err := nnc.WriteFile(*out, model); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s, ONNX opset %d, %d bytes)\n", *out, *entry, nnc.ONNXExportOpset, len(model))
	return nil
}
