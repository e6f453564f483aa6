package main

import (
	"context"
	"io"
	"os"

	"github.com/nnclang/nnc"
)

// cmdLsp runs the language server on stdin and stdout (docs/editors.md).
func cmdLsp(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("lsp")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("lsp takes no arguments; it speaks the Language Server Protocol on stdin and stdout")
	}
	return nnc.ServeLSP(context.Background(), os.Stdin, stdout)
}
