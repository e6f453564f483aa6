package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/nnclang/nnc"
)

// cmdImport translates an ONNX model into a .nn program and its weights.
func cmdImport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import")
	out := fs.String("o", "", "the .nn file to write (required)")
	params := fs.String("params", "", "the weights file to write (.safetensors; default: beside -o, model.nn giving model.safetensors)")
	model := fs.String("model", "Net", "the model's name in the .nn source")
	external := fs.Bool("external-data", false, "read tensors the model stores in separate files (only files inside the model's directory)")
	var fixes listFlag
	fs.Var(&fixes, "fix", "give a graph input a value at import, NAME=VALUE: a .npy file or inline JSON read as i64 (for axes, shapes, pads; repeatable)")
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("want -o FILE.nn")
	}
	if *params == "" {
		*params = nnc.ParamsPathFor(*out)
	}
	fixed := map[string]*nnc.Tensor{}
	for _, f := range fixes {
		name, spec, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return usagef("--fix %q: want NAME=VALUE", f)
		}
		var t *nnc.Tensor
		if strings.HasSuffix(spec, ".npy") {
			t, err = nnc.LoadTensor(spec)
		} else {
			t, err = parseValue(spec, "i64")
		}
		if err != nil {
			return fmt.Errorf("--fix %s: %v", name, err)
		}
		fixed[name] = t
	}
	imp, err := nnc.ImportONNX(file, nnc.ImportOptions{Model: *model, ExternalData: *external, Fixed: fixed})
	if err != nil {
		return err
	}
	if err := imp.Write(*out, *params); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (entry %s, %d inputs) and %s (%d tensors)\n", *out, imp.Entry, len(imp.Inputs), *params, len(imp.Params))
	return nil
}
