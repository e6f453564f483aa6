package lsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"go.lsp.dev/jsonrpc2"

	"github.com/nnclang/nnc/lang"
)

// Options configure a server.
type Options struct {
	// Debounce is how long after a change the diagnostics are computed
	// and published (a burst of keystrokes is checked once); 0 means
	// DefaultDebounce.
	Debounce time.Duration
}

// DefaultDebounce is the delay between a change and its diagnostics.
const DefaultDebounce = 150 * time.Millisecond

// ErrExitWithoutShutdown is Serve's error when the client sent exit
// without shutdown first (the protocol's exit code 1).
var ErrExitWithoutShutdown = errors.New("lsp: exit without shutdown")

// server is one client's session.
type server struct {
	conn     jsonrpc2.Conn
	debounce time.Duration

	mu       sync.Mutex
	docs     map[string]*document // by URI
	shutdown bool
	exit     chan struct{}
	exited   bool
	stdDir   string // where the std files were written for go to definition
}

// document is an open document and its latest analysis.
type document struct {
	uri, path string
	text      string
	version   int
	analysis  *lang.Analysis // of text at version analyzed
	analyzed  int
	crash     string         // a panic of the checker on this text, for its diagnostic
	good      *lang.Analysis // the latest analysis of text that parsed (completion while typing)
	timer     *time.Timer
	published map[string]bool // the URIs this document's diagnostics went to
}

// rwc joins a reader and a writer into the stream the framing reads.
// Close closes both when they are io.Closers.
type rwc struct {
	io.Reader
	io.Writer
}

func (c rwc) Close() error {
	var first error
	if cl, ok := c.Reader.(io.Closer); ok {
		first = cl.Close()
	}
	if cl, ok := c.Writer.(io.Closer); ok {
		if err := cl.Close(); first == nil {
			first = err
		}
	}
	return first
}

// Serve runs a language server session over in and out with the
// protocol's header framing, until the client sends exit, in ends or ctx
// is canceled. It closes out when it is an io.Closer, and leaves in open
// (a read of it may still be under way when Serve returns). It returns
// ErrExitWithoutShutdown for an exit not preceded by shutdown.
func Serve(ctx context.Context, in io.Reader, out io.Writer, opt Options) error {
	s := &server{debounce: opt.Debounce, docs: map[string]*document{}, exit: make(chan struct{})}
	if s.debounce <= 0 {
		s.debounce = DefaultDebounce
	}
	// The connection reads from a pipe fed from in, so that closing it
	// ends the session even where a read of in cannot be interrupted (a
	// blocking stdin); the copy ends with the process or with in.
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, in)
		pw.CloseWithError(err)
	}()
	s.conn = jsonrpc2.NewConn(jsonrpc2.NewHeaderStream(rwc{pr, out}))
	s.conn.Go(ctx, s.handle)
	select {
	case <-s.exit:
	case <-s.conn.Done():
	case <-ctx.Done():
	}
	s.mu.Lock()
	for _, d := range s.docs {
		if d.timer != nil {
			d.timer.Stop()
		}
	}
	shut := s.shutdown
	exited := s.exited
	s.mu.Unlock()
	err := s.conn.Close()
	if exited && !shut {
		return ErrExitWithoutShutdown
	}
	if exited || errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

// handle answers one message. A panic in a request is answered as an
// internal error and logged, and the session goes on: no input may stop
// the server.
func (s *server) handle(ctx context.Context, req *jsonrpc2.Request) (result any, err error) {
	method := req.Method()
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprintf("internal error (a bug in nnc) in %s: %v\n%s", method, r, debug.Stack())
			s.log(ctx, msg)
			result, err = nil, nil
			if req.IsCall() {
				err = jsonrpc2.NewError(jsonrpc2.InternalError, msg)
			}
		}
	}()
	s.mu.Lock()
	shut := s.shutdown
	s.mu.Unlock()
	if shut && method != "exit" && req.IsCall() {
		return nil, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "the server is shut down")
	}
	h, ok := handlers[method]
	if !ok {
		if req.IsCall() {
			return nil, fmt.Errorf("%q: %w", method, jsonrpc2.ErrMethodNotFound)
		}
		return nil, nil
	}
	res, herr := h(s, ctx, req.Params())
	if !req.IsCall() {
		if herr != nil {
			s.log(ctx, method+": "+herr.Error())
		}
		return nil, nil
	}
	return res, herr
}

// handlers are the methods served.
var handlers map[string]func(*server, context.Context, []byte) (any, error)

func init() {
	handlers = map[string]func(*server, context.Context, []byte) (any, error){
		"initialize":                  (*server).initialize,
		"initialized":                 func(*server, context.Context, []byte) (any, error) { return nil, nil },
		"shutdown":                    (*server).shutdownReq,
		"exit":                        (*server).exitNote,
		"textDocument/didOpen":        (*server).didOpen,
		"textDocument/didChange":      (*server).didChange,
		"textDocument/didClose":       (*server).didClose,
		"textDocument/didSave":        func(*server, context.Context, []byte) (any, error) { return nil, nil },
		"textDocument/hover":          (*server).hover,
		"textDocument/definition":     (*server).definition,
		"textDocument/formatting":     (*server).formatting,
		"textDocument/documentSymbol": (*server).documentSymbol,
		"textDocument/completion":     (*server).completion,
	}
}

// decode reads a request's parameters.
func decode(params []byte, v any) error {
	if len(params) == 0 {
		return fmt.Errorf("missing params: %w", jsonrpc2.ErrInvalidParams)
	}
	if err := json.Unmarshal(params, v, json.RejectUnknownMembers(false)); err != nil {
		return fmt.Errorf("%v: %w", err, jsonrpc2.ErrInvalidParams)
	}
	return nil
}

// log sends a message to the client's log.
func (s *server) log(ctx context.Context, msg string) {
	_ = s.conn.Notify(jsonrpc2.DetachContext(ctx), "window/logMessage", LogMessageParams{Type: 1, Message: msg})
}

func (s *server) initialize(context.Context, []byte) (any, error) {
	var r InitializeResult
	r.ServerInfo.Name = "nnc"
	c := &r.Capabilities
	c.TextDocumentSync.OpenClose = true
	c.TextDocumentSync.Change = 2
	c.HoverProvider, c.DefinitionProvider = true, true
	c.DocumentFormattingProvider, c.DocumentSymbolProvider = true, true
	c.CompletionProvider.TriggerCharacters = []string{"."}
	return r, nil
}

func (s *server) shutdownReq(context.Context, []byte) (any, error) {
	s.mu.Lock()
	s.shutdown = true
	s.mu.Unlock()
	return nil, nil
}

func (s *server) exitNote(context.Context, []byte) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.exited {
		s.exited = true
		close(s.exit)
	}
	return nil, nil
}

func (s *server) didOpen(ctx context.Context, params []byte) (any, error) {
	var p DidOpenParams
	if err := decode(params, &p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	d := s.docs[p.TextDocument.URI]
	if d == nil {
		d = &document{uri: p.TextDocument.URI, path: uriPath(p.TextDocument.URI), published: map[string]bool{}}
		s.docs[d.uri] = d
	}
	d.text, d.version, d.analysis = p.TextDocument.Text, p.TextDocument.Version, nil
	s.mu.Unlock()
	s.publish(jsonrpc2.DetachContext(ctx), d.uri)
	return nil, nil
}

func (s *server) didChange(ctx context.Context, params []byte) (any, error) {
	var p DidChangeParams
	if err := decode(params, &p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[p.TextDocument.URI]
	if d == nil {
		return nil, fmt.Errorf("didChange of %s, which is not open", p.TextDocument.URI)
	}
	for _, c := range p.ContentChanges {
		d.text = applyChange(d.text, c)
	}
	d.version, d.analysis = p.TextDocument.Version, nil
	if d.timer != nil {
		d.timer.Stop()
	}
	uri, bg := d.uri, jsonrpc2.DetachContext(ctx)
	d.timer = time.AfterFunc(s.debounce, func() { s.publish(bg, uri) })
	return nil, nil
}

func (s *server) didClose(ctx context.Context, params []byte) (any, error) {
	var p DocumentParams
	if err := decode(params, &p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	d := s.docs[p.TextDocument.URI]
	delete(s.docs, p.TextDocument.URI)
	var clear []string
	if d != nil {
		if d.timer != nil {
			d.timer.Stop()
		}
		for u := range d.published {
			clear = append(clear, u)
		}
	}
	s.mu.Unlock()
	for _, u := range clear {
		_ = s.conn.Notify(ctx, "textDocument/publishDiagnostics", PublishDiagnosticsParams{URI: u, Diagnostics: []Diagnostic{}})
	}
	return nil, nil
}

// analyze checks d's text if it changed since its last analysis; s.mu is
// held. A panic of the checker becomes d.crash (an E901 diagnostic)
// rather than the end of the session.
func (s *server) analyze(d *document) *lang.Analysis {
	if d.analysis != nil && d.analyzed == d.version {
		return d.analysis
	}
	d.crash = ""
	a := safeAnalyze(d.path, []byte(d.text), &d.crash)
	d.analysis, d.analyzed = a, d.version
	if a.Parsed() {
		d.good = a
	}
	return a
}

// safeAnalyze is lang.Analyze with a panic reported in crash.
func safeAnalyze(path string, src []byte, crash *string) (a *lang.Analysis) {
	defer func() {
		if r := recover(); r != nil {
			*crash = fmt.Sprintf("internal error (a bug in nnc): %v", r)
			a = lang.Analyze(path, nil)
		}
	}()
	return lang.Analyze(path, src)
}
