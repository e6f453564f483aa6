package main

import (
	"fmt"
	"io"

	"github.com/nnclang/nnc"
)

// writeJSON prints v as one line of JSON with nnc's encoding of NaN and the
// infinities (marshalJSON); every JSON document nnc prints goes through
// it.
func writeJSON(w io.Writer, v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// emit prints named results as one JSON object, or writes them to file.
func emit(stdout io.Writer, file string, names []string, ts []*nnc.Tensor) error {
	if file != "" {
		return nnc.WriteTensors(file, names, ts)
	}
	b, err := marshalTensors(names, ts)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}
