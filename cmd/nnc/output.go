package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/nnclang/nnc"
)

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
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
	_, err := fmt.Fprintf(stdout, "%s\n", nnc.MarshalTensors(names, ts))
	return err
}
