package lsp

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/nnclang/nnc/lang"
)

// client is the editor's end of a session driven by a test.
type client struct {
	t     *testing.T
	conn  jsonrpc2.Conn
	diags chan PublishDiagnosticsParams
	logs  chan string
	done  chan error // Serve's result
}

// startSession runs Serve on pipes and connects a client to it.
func startSession(t *testing.T, debounce time.Duration) *client {
	t.Helper()
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	c := &client{t: t, diags: make(chan PublishDiagnosticsParams, 100), logs: make(chan string, 100), done: make(chan error, 1)}
	go func() {
		c.done <- Serve(context.Background(), toServer, fromServer, Options{Debounce: debounce})
	}()
	c.conn = jsonrpc2.NewConn(jsonrpc2.NewHeaderStream(rwc{toClient, fromClient}))
	c.conn.Go(context.Background(), func(_ context.Context, req *jsonrpc2.Request) (any, error) {
		switch req.Method() {
		case "textDocument/publishDiagnostics":
			var p PublishDiagnosticsParams
			if err := json.Unmarshal(req.Params(), &p); err != nil {
				t.Errorf("diagnostics: %v", err)
			}
			c.diags <- p
		case "window/logMessage":
			var p LogMessageParams
			_ = json.Unmarshal(req.Params(), &p)
			c.logs <- p.Message
		}
		return nil, nil
	})
	t.Cleanup(func() { c.conn.Close() })
	return c
}

// call sends a request and decodes its result into out (a raw message
// when out is *json.RawMessage).
func (c *client) call(method string, params, out any) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var raw json.RawMessage
	if _, err := c.conn.Call(ctx, method, params, &raw); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	if out != nil && string(raw) != "null" {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s result %s: %v", method, raw, err)
		}
	}
}

func (c *client) notify(method string, params any) {
	c.t.Helper()
	if err := c.conn.Notify(context.Background(), method, params); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
}

// waitDiags waits for the diagnostics of uri at version (0: any).
func (c *client) waitDiags(uri string, version int) []Diagnostic {
	c.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case p := <-c.diags:
			if p.URI == uri && (version == 0 || p.Version != nil && *p.Version == version) {
				return p.Diagnostics
			}
		case m := <-c.logs:
			c.t.Errorf("server log: %s", m)
		case <-timeout:
			c.t.Fatalf("no diagnostics for %s version %d", uri, version)
		}
	}
}

func (c *client) hover(uri string, line, char int) string {
	c.t.Helper()
	var h Hover
	c.call("textDocument/hover", PositionParams{TextDocument: TextDocumentIdentifier{uri}, Position: Position{line, char}}, &h)
	return h.Contents.Value
}

func (c *client) open(uri, text string, version int) {
	c.t.Helper()
	c.notify("textDocument/didOpen", DidOpenParams{TextDocument: TextDocumentItem{URI: uri, LanguageID: "nn", Version: version, Text: text}})
}

func (c *client) change(uri string, version int, changes ...ContentChange) {
	c.t.Helper()
	var p DidChangeParams
	p.TextDocument.URI, p.TextDocument.Version, p.ContentChanges = uri, version, changes
	c.notify("textDocument/didChange", p)
}

func (c *client) finish() {
	c.t.Helper()
	c.call("shutdown", nil, nil)
	c.notify("exit", nil)
	select {
	case err := <-c.done:
		if err != nil {
			c.t.Fatalf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		c.t.Fatal("Serve did not return after exit")
	}
}

func modelURI(t *testing.T, name string) (string, string) {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "models", name))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return pathURI(p), string(src)
}

func contains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q does not contain %q", what, got, w)
		}
	}
}

// TestSession drives a session on models/deep_mlp.nn: open, hover,
// definition, an edit that breaks a name and one that breaks the syntax,
// completion while half-typed, symbols, shutdown and exit.
func TestSession(t *testing.T) {
	c := startSession(t, 10*time.Millisecond)
	var init InitializeResult
	c.call("initialize", map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{}}, &init)
	if !init.Capabilities.HoverProvider || !init.Capabilities.DefinitionProvider || init.Capabilities.TextDocumentSync.Change != 2 {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	c.notify("initialized", map[string]any{})
	uri, text := modelURI(t, "deep_mlp.nn")
	c.open(uri, text, 1)
	if ds := c.waitDiags(uri, 1); len(ds) != 0 {
		t.Fatalf("diagnostics of deep_mlp.nn: %+v", ds)
	}
	// Line 22 (0-based 21) is "        h = inp(x)"; line 12 "        return relu(x @ W + b)".
	contains(t, "hover h", c.hover(uri, 21, 8), "h: f32[B, 64]", "local")
	contains(t, "hover inp", c.hover(uri, 21, 12), "inp: model Layer at inp", "call: inp(x): f32[B, 64]", "4160 parameters")
	contains(t, "hover W", c.hover(uri, 11, 24), "W: f32[n_in, n_out]", "param W: f32[n_in, n_out]", "init: he_uniform", "declared at line 8")
	contains(t, "hover @", c.hover(uri, 11, 22), "x @ W: f32[..., n_out]")
	contains(t, "hover relu", c.hover(uri, 11, 15), "built-in relu(x)", "call: relu(x @ W + b): f32[..., n_out]")
	contains(t, "hover keyword argument", c.hover(uri, 34, 22), "lr")

	var locs []Location
	c.call("textDocument/definition", PositionParams{TextDocument: TextDocumentIdentifier{uri}, Position: Position{21, 12}}, &locs)
	if len(locs) != 1 || locs[0].URI != uri || locs[0].Range.Start != (Position{16, 4}) || locs[0].Range.End != (Position{16, 7}) {
		t.Errorf("definition of inp: %+v", locs)
	}
	c.call("textDocument/definition", PositionParams{TextDocument: TextDocumentIdentifier{uri}, Position: Position{18, 17}}, &locs)
	if len(locs) != 1 || !strings.HasSuffix(locs[0].URI, "/std/nn.nn") {
		t.Fatalf("definition of nn.Dense: %+v", locs)
	}
	std, err := os.ReadFile(uriPath(locs[0].URI))
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Split(string(std), "\n")[locs[0].Range.Start.Line]
	if got := line[locs[0].Range.Start.Character:locs[0].Range.End.Character]; got != "Dense" || !strings.HasPrefix(line, "model Dense(") {
		t.Errorf("definition of nn.Dense: %q in line %q", got, line)
	}

	// W → Wx on line 12: an undefined name, at its range, with a hint.
	c.change(uri, 2, ContentChange{Range: &Range{Position{11, 25}, Position{11, 25}}, Text: "x"})
	ds := c.waitDiags(uri, 2)
	if len(ds) == 0 || ds[0].Code != lang.CodeUndefined || ds[0].Range != (Range{Position{11, 24}, Position{11, 26}}) {
		t.Fatalf("diagnostics after the edit: %+v", ds)
	}
	contains(t, "message", ds[0].Message, `undefined name "Wx"`, `did you mean "W"?`)
	// Back, then a half-typed line: a syntax error, completion from the last
	// text that parsed.
	c.change(uri, 3, ContentChange{Range: &Range{Position{11, 25}, Position{11, 26}}, Text: ""})
	if ds := c.waitDiags(uri, 3); len(ds) != 0 {
		t.Fatalf("diagnostics after undoing: %+v", ds)
	}
	c.change(uri, 4, ContentChange{Range: &Range{Position{22, 0}, Position{22, 0}}, Text: "        g = nn.\n"})
	ds = c.waitDiags(uri, 4)
	if len(ds) == 0 || ds[0].Code != lang.CodeSyntax {
		t.Fatalf("diagnostics of a half-typed line: %+v", ds)
	}
	var items []CompletionItem
	c.call("textDocument/completion", PositionParams{TextDocument: TextDocumentIdentifier{uri}, Position: Position{22, 15}}, &items)
	if !hasLabel(items, "Dense") || !hasLabel(items, "LayerNorm") || hasLabel(items, "relu") {
		t.Errorf("completion after nn.: %+v", items)
	}
	c.hover(uri, 22, 12) // no crash on a file that does not parse
	c.change(uri, 5, ContentChange{Range: &Range{Position{22, 0}, Position{23, 0}}, Text: "        g = "})
	c.waitDiags(uri, 5)
	c.call("textDocument/completion", PositionParams{TextDocument: TextDocumentIdentifier{uri}, Position: Position{22, 12}}, &items)
	for _, want := range []string{"h", "x", "inp", "hidden", "width", "softmax", "DeepMLP", "nn", "f32", "return"} {
		if !hasLabel(items, want) {
			t.Errorf("completion in forward lacks %q", want)
		}
	}
	c.change(uri, 6, ContentChange{Text: text})
	c.waitDiags(uri, 6)

	var syms []DocumentSymbol
	c.call("textDocument/documentSymbol", DocumentParams{TextDocument: TextDocumentIdentifier{uri}}, &syms)
	var names []string
	for _, s := range syms {
		names = append(names, s.Name)
		if s.Name == "Layer" {
			var kids []string
			for _, k := range s.Children {
				kids = append(kids, k.Name)
			}
			if strings.Join(kids, " ") != "n_in n_out W b forward" {
				t.Errorf("members of Layer: %v", kids)
			}
		}
	}
	if strings.Join(names, " ") != "nn Layer DeepMLP train DeepMLP" {
		t.Errorf("symbols: %v", names)
	}
	c.finish()
}

func hasLabel(items []CompletionItem, l string) bool {
	for _, it := range items {
		if it.Label == l {
			return true
		}
	}
	return false
}

// TestFormattingAndImports formats a document (the edit gives nnc fmt's
// text) and reports an imported file's error in that file.
func TestFormattingAndImports(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.nn")
	if err := os.WriteFile(lib, []byte("fn twice(x: f32[N]) -> f32[N] {\n    return x * 2.0 + y\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startSession(t, 10*time.Millisecond)
	c.call("initialize", map[string]any{"capabilities": map[string]any{}}, nil)
	uri := pathURI(filepath.Join(dir, "main.nn"))
	text := "import \"lib.nn\" as lib\nfn f(x:f32[N])->f32[N]{\nreturn lib.twice(x)\n}\n"
	c.open(uri, text, 1)
	got := map[string][]Diagnostic{}
	for len(got) < 2 {
		select {
		case p := <-c.diags:
			got[p.URI] = p.Diagnostics
		case <-time.After(20 * time.Second):
			t.Fatalf("diagnostics: %+v", got)
		}
	}
	ds := got[pathURI(lib)]
	if len(ds) != 1 || ds[0].Code != lang.CodeUndefined || ds[0].Range != (Range{Position{1, 21}, Position{1, 22}}) {
		t.Errorf("diagnostics of lib.nn: %+v", ds)
	}
	if len(got[uri]) != 0 {
		t.Errorf("diagnostics of main.nn: %+v", got[uri])
	}
	var locs []Location
	c.call("textDocument/definition", PositionParams{TextDocument: TextDocumentIdentifier{uri}, Position: Position{2, 12}}, &locs)
	if len(locs) != 1 || locs[0].URI != pathURI(lib) || locs[0].Range.Start != (Position{0, 3}) {
		t.Errorf("definition of lib.twice: %+v", locs)
	}
	var edits []TextEdit
	c.call("textDocument/formatting", DocumentParams{TextDocument: TextDocumentIdentifier{uri}}, &edits)
	want, err := lang.Format("main.nn", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(edits) != 1 || edits[0].NewText != string(want) || edits[0].Range != (Range{End: Position{4, 0}}) {
		t.Fatalf("formatting: %+v", edits)
	}
	if !strings.Contains(string(want), "fn f(x: f32[N]) -> f32[N] {\n    return lib.twice(x)\n}") {
		t.Errorf("formatted: %q", want)
	}
	// A file that does not parse is not formatted.
	c.change(uri, 2, ContentChange{Text: "fn f(x: f32[N] -> {"})
	c.call("textDocument/formatting", DocumentParams{TextDocument: TextDocumentIdentifier{uri}}, &edits)
	if len(edits) != 0 {
		t.Errorf("formatting a broken file: %+v", edits)
	}
	c.finish()
}

// rwc joins a reader and a writer into the client's stream.
type rwc struct {
	io.Reader
	io.Writer
}

func (c rwc) Close() error {
	if cl, ok := c.Reader.(io.Closer); ok {
		cl.Close()
	}
	if cl, ok := c.Writer.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// TestHoverBeforeDiagnostics: a request after a change answers from the
// changed text at once, without waiting for the debounced diagnostics
// (here an hour away).
func TestHoverBeforeDiagnostics(t *testing.T) {
	c := startSession(t, time.Hour)
	c.call("initialize", map[string]any{"capabilities": map[string]any{}}, nil)
	uri := "untitled:scratch.nn"
	c.open(uri, "fn f(x: f32[N, 3]) -> f32[N, 3] {\n    return x\n}\n", 1)
	if ds := c.waitDiags(uri, 1); len(ds) != 0 {
		t.Fatalf("diagnostics: %+v", ds)
	}
	c.change(uri, 2, ContentChange{Range: &Range{Position{1, 4}, Position{1, 12}}, Text: "y = sum(x, axis = 1)\n    return x"})
	contains(t, "hover y", c.hover(uri, 1, 4), "y: f32[N]", "local")
	c.finish()
}
