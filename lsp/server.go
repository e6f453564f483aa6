package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

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
	c        *conn
	debounce time.Duration

	mu       sync.Mutex
	docs     map[string]*document // by URI
	shutdown bool
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

// Serve runs a language server session over in and out with the
// protocol's header framing, until the client sends exit, in ends, a
// header cannot be read or ctx is canceled. It closes out when it is an
// io.Closer, and leaves in open (a read of it may still be under way when
// Serve returns). It returns ErrExitWithoutShutdown for an exit not
// preceded by shutdown.
func Serve(ctx context.Context, in io.Reader, out io.Writer, opt Options) error {
	s := &server{debounce: opt.Debounce, docs: map[string]*document{}}
	if s.debounce <= 0 {
		s.debounce = DefaultDebounce
	}
	s.c = &conn{r: bufio.NewReaderSize(in, 64<<10), w: out}
	defer func() {
		s.mu.Lock()
		for _, d := range s.docs {
			if d.timer != nil {
				d.timer.Stop()
			}
		}
		s.exited = true // no more diagnostics
		s.mu.Unlock()
		if cl, ok := out.(io.Closer); ok {
			cl.Close()
		}
	}()
	type read struct {
		body []byte
		err  error
	}
	bodies := make(chan read)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			b, err := s.c.read()
			select {
			case bodies <- read{b, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		var r read
		select {
		case r = <-bodies:
		case <-ctx.Done():
			return nil
		}
		if errors.Is(r.err, io.EOF) {
			return nil
		}
		if r.err != nil {
			return r.err
		}
		if done, err := s.serveOne(ctx, r.body); done {
			return err
		}
	}
}

// serveOne handles one message; done reports the end of the session
// (exit), with Serve's result.
func (s *server) serveOne(ctx context.Context, body []byte) (done bool, err error) {
	m, rerr := decodeMessage(body)
	if rerr != nil {
		return false, s.c.reply(json.RawMessage("null"), nil, rerr)
	}
	if m.Method == "" {
		return false, nil // a response: the server sends no requests
	}
	res, herr := s.handle(ctx, m)
	if m.isCall() {
		if werr := s.c.reply(m.ID, res, herr); werr != nil {
			return true, werr
		}
	}
	if m.Method == "exit" {
		s.mu.Lock()
		shut := s.shutdown
		s.mu.Unlock()
		if !shut {
			return true, ErrExitWithoutShutdown
		}
		return true, nil
	}
	return false, nil
}

// handle answers one message. A panic in a request is answered as an
// internal error and logged, and the session goes on: no input may stop
// the server.
func (s *server) handle(ctx context.Context, m *message) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprintf("internal error (a bug in nnc) in %s: %v\n%s", m.Method, r, debug.Stack())
			s.log(msg)
			result, err = nil, nil
			if m.isCall() {
				err = errorf(codeInternal, "%s", msg)
			}
		}
	}()
	s.mu.Lock()
	shut := s.shutdown
	s.mu.Unlock()
	if shut && m.Method != "exit" && m.isCall() {
		return nil, errorf(codeInvalidRequest, "the server is shut down")
	}
	h, ok := handlers[m.Method]
	if !ok {
		if m.isCall() {
			return nil, errorf(codeMethodNotFound, "method not found: %q", m.Method)
		}
		return nil, nil
	}
	res, herr := h(s, ctx, m.Params)
	if !m.isCall() {
		if herr != nil {
			s.log(m.Method + ": " + herr.Error())
		}
		return nil, nil
	}
	return res, herr
}

// handlers are the methods served.
var handlers map[string]func(*server, context.Context, []byte) (any, error)

func init() {
	handlers = map[string]func(*server, context.Context, []byte) (any, error){
		"initialize":                       (*server).initialize,
		"initialized":                      func(*server, context.Context, []byte) (any, error) { return nil, nil },
		"shutdown":                         (*server).shutdownReq,
		"exit":                             (*server).exitNote,
		"textDocument/didOpen":             (*server).didOpen,
		"textDocument/didChange":           (*server).didChange,
		"textDocument/didClose":            (*server).didClose,
		"textDocument/didSave":             func(*server, context.Context, []byte) (any, error) { return nil, nil },
		"textDocument/hover":               (*server).hover,
		"textDocument/definition":          (*server).definition,
		"textDocument/formatting":          (*server).formatting,
		"textDocument/documentSymbol":      (*server).documentSymbol,
		"textDocument/completion":          (*server).completion,
		"textDocument/references":          (*server).references,
		"textDocument/signatureHelp":       (*server).signatureHelp,
		"textDocument/semanticTokens/full": (*server).semanticTokens,
		"textDocument/codeAction":          (*server).codeAction,
	}
}

// decode reads a request's parameters.
func decode(params []byte, v any) error {
	if len(params) == 0 || string(params) == "null" {
		return errorf(codeInvalidParams, "missing params")
	}
	if err := json.Unmarshal(params, v); err != nil {
		return errorf(codeInvalidParams, "invalid params: %v", err)
	}
	return nil
}

// log sends a message to the client's log.
func (s *server) log(msg string) {
	_ = s.c.notify("window/logMessage", LogMessageParams{Type: 1, Message: msg})
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
	c.ReferencesProvider = true
	c.CodeActionProvider.CodeActionKinds = []string{"quickfix"}
	c.SemanticTokensProvider.Legend, c.SemanticTokensProvider.Full = legend(), true
	c.SignatureHelpProvider.TriggerCharacters = []string{"(", ","}
	c.SignatureHelpProvider.RetriggerCharacters = []string{"="}
	return r, nil
}

func (s *server) shutdownReq(context.Context, []byte) (any, error) {
	s.mu.Lock()
	s.shutdown = true
	s.mu.Unlock()
	return nil, nil
}

// exitNote does nothing: serveOne ends the session after it.
func (s *server) exitNote(context.Context, []byte) (any, error) { return nil, nil }

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
	s.publish(d.uri)
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
	uri := d.uri
	d.timer = time.AfterFunc(s.debounce, func() { s.publish(uri) })
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
		_ = s.c.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams{URI: u, Diagnostics: []Diagnostic{}})
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
