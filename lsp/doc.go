// Package lsp is nnc's language server: `nnc lsp` speaks the Language
// Server Protocol over stdin and stdout so that editors show .nn errors as
// they are typed, the type and shape of what is under the cursor, and go
// to definitions. It answers from lang's query API (lang.Analyze: the
// checker's errors, and the value each expression evaluated to while
// checking).
//
// # Features
//
//   - Diagnostics on open and on every change, debounced (Options.Debounce):
//     every error of the file and of the files it imports, with its code
//     and the range of the name or character it is at; an imported file's
//     errors are published to that file.
//   - Hover: a name's or expression's type and shape as checking found it
//     ("h: f32[B, 64]"), a param's path, count and initializer, a
//     built-in's call form and documentation, a call's result type.
//   - Go to definition: functions, models, sub-models, params, arguments,
//     locals, imports and std/nn (its files, embedded in the binary, are
//     written to the user's cache folder for the editor to open).
//   - Formatting (nnc fmt's formatter), document symbols, completion of
//     the names in scope, built-ins with their keyword arguments, keywords,
//     and after "x." a module's declarations or a model's members.
//   - Find references (the same kinds of names as go to definition, in
//     the file and its imports, the declaration when asked for).
//   - Signature help inside calls, also while the line does not parse:
//     built-ins with their keyword arguments, functions, model
//     constructors, model values (forward), nn layers and methods; the
//     active parameter by the count of commas or by a keyword's name.
//   - Semantic tokens (full), with shape variables as typeParameter apart
//     from values (tokens.go's legend).
//   - Code actions where the fix is certain: the checker's "did you mean"
//     renames and a missing standard library import.
//
// Documents are synchronized incrementally (ranges in UTF-16 code units,
// the protocol's default). Imported files are read from disk.
//
// # The protocol library
//
// Looked at: go.lsp.dev/protocol v0.12.0 (2022) with go.lsp.dev/jsonrpc2
// v0.10 (they need go.uber.org/zap and segmentio/encoding),
// go.lsp.dev/jsonrpc2 v1.0.1 (2026; only the JSON v2 package besides),
// and github.com/tliron/glsp v0.2.2 (sourcegraph/jsonrpc2,
// gorilla/websocket, tliron's logging and utility modules). The server
// was first built on go.lsp.dev/jsonrpc2 v1.0.1, the smallest and best
// kept; but every one of them imports package net (listeners, sockets),
// and net links the cgo resolver into the nnc binary, whose threads then
// take more address space: `nnc check` of the hostile case of 5,000
// chained slices under a 1 GB address-space limit (cmd/nnc's TestHostile,
// lang_chained_slices) then failed 9 times in 10 with "out of memory",
// against 10 in 10 without. So the server's end of JSON-RPC 2.0 with the
// header framing is written here (jsonrpc.go, encoding/json, about 150
// lines; no batches, which the protocol does not use), and the
// protocol's messages are declared in protocol.go (the fields used, with
// the protocol's JSON names). go.lsp.dev/jsonrpc2 is still the client of
// the tests (server_test.go), an independent implementation of the wire
// format; it is not linked into nnc.
//
// # Robustness
//
// No input stops the server: a request whose handling panics is answered
// with an internal error and logged to the client (window/logMessage), and
// a panic of the checker on a document becomes an E901 diagnostic. The
// tests drive sessions over pipes, including half-typed files, and
// FuzzChanges fuzzes streams of edits.
package lsp
