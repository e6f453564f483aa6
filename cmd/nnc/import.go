package main

import (
	"fmt"
	"io"

	"github.com/nnclang/nnc"
)

// cmdImport translates an ONNX model into a .nn program and its weights.
func cmdImport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import")
	out := fs.String("o", "", "the .nn file to write (required)")
	params := fs.String("params", "", "the weights file to write (.safetensors; default: beside -o, model.nn giving model.safetensors)")
	model := fs.String("model", "Net", "the model's name in the .nn source")
	external := fs.Bool("external-data", false, "read tensors the model stores in separate files (only files inside the model's directory)")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("want -o FILE.nn")
	}
	if *params == "" {
		*params = nnc.ParamsPathFor(*out)
	}
	imp, err := nnc.ImportONNX(file, nnc.ImportOptions{Model: *model, ExternalData: *external})
	if err != nil {
		return err
	}
	if err := imp.Write(*out, *params); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (entry %s, %d inputs) and %s (%d tensors)\n", *out, imp.Entry, len(imp.Inputs), *params, len(imp.Params))
	return nil
}
