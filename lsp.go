package nnc

import (
	"context"
	"io"

	"github.com/nnclang/nnc/lsp"
)

// ServeLSP runs the .nn language server (package lsp) over in and out,
// speaking the Language Server Protocol with its header framing, until
// the client sends exit, in ends or ctx is canceled. It is `nnc lsp`
// (docs/editors.md). An exit that was not preceded by shutdown is an
// error, as the protocol's exit code 1.
func ServeLSP(ctx context.Context, in io.Reader, out io.Writer) (err error) {
	defer recoverInternal(&err)
	return lsp.Serve(ctx, in, out, lsp.Options{})
}
