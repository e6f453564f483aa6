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
//
// Documents are synchronized incrementally (ranges in UTF-16 code units,
// the protocol's default). Imported files are read from disk.
//
// # The protocol library
//
// The JSON-RPC connection and the protocol's header framing come from
// go.lsp.dev/jsonrpc2 (v1.0.1, 2026): a bidirectional connection as the
// protocol needs (the server sends notifications while answering
// requests), whose only dependency is the JSON v2 package. The
// alternatives looked at were go.lsp.dev/protocol v0.12.0 (2022), whose
// generated types need jsonrpc2 v0.10 with go.uber.org/zap and
// segmentio/encoding, and github.com/tliron/glsp v0.2.2, which brings
// sourcegraph/jsonrpc2, gorilla/websocket and tliron's logging and utility
// modules (a dozen more modules). The messages this server reads and
// writes are few, so protocol.go declares them (the fields used, with the
// protocol's JSON names) instead of importing either type set.
//
// # Robustness
//
// No input stops the server: a request whose handling panics is answered
// with an internal error and logged to the client (window/logMessage), and
// a panic of the checker on a document becomes an E901 diagnostic. The
// tests drive sessions over pipes, including half-typed files, and
// FuzzChanges fuzzes streams of edits.
package lsp
