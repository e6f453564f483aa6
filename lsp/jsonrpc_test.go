package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// frame writes a message with the protocol's header.
func frame(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

// responses splits the server's output into its messages.
func responses(t *testing.T, out string) []map[string]any {
	t.Helper()
	var ms []map[string]any
	for out != "" {
		var n int
		if _, err := fmt.Sscanf(out, "Content-Length: %d\r\n\r\n", &n); err != nil {
			t.Fatalf("output %q: %v", out, err)
		}
		i := strings.Index(out, "\r\n\r\n") + 4
		var m map[string]any
		if err := json.Unmarshal([]byte(out[i:i+n]), &m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
		out = out[i+n:]
	}
	return ms
}

// TestWire sends malformed and unexpected messages: a body that is not
// JSON or not JSON-RPC 2.0 is answered with an error (id null) and the
// session goes on; an unknown method, missing or wrong params are errors
// of their request; a response from the client, an unknown notification
// and a notification with bad params are dropped; a header that cannot be
// read ends the session with an error.
func TestWire(t *testing.T) {
	in := frame(`{not json`) +
		frame(`{"jsonrpc":"1.0","id":1,"method":"initialize"}`) +
		frame(`{"jsonrpc":"2.0","id":2,"method":"no/such"}`) +
		frame(`{"jsonrpc":"2.0","id":3,"method":"textDocument/hover"}`) +
		frame(`{"jsonrpc":"2.0","id":4,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///none.nn"},"position":{"line":0,"character":0}}}`) +
		frame(`{"jsonrpc":"2.0","id":5,"result":null}`) +
		frame(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}`) +
		frame(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":[1,2]}`) +
		frame(`{"jsonrpc":"2.0","id":"s","method":"textDocument/formatting","params":{"textDocument":{"uri":7}}}`) +
		"Content-Length: 99999999999\r\n\r\n"
	var out bytes.Buffer
	err := Serve(context.Background(), strings.NewReader(in), &out, Options{})
	if !errors.Is(err, errFraming) {
		t.Errorf("Serve: %v, want a framing error", err)
	}
	want := []struct {
		id   any
		code float64
	}{{nil, codeParse}, {nil, codeInvalidRequest}, {2.0, codeMethodNotFound}, {3.0, codeInvalidParams}, {4.0, codeInvalidParams}, {nil, 0}, {"s", codeInvalidParams}}
	ms := responses(t, out.String())
	if len(ms) != len(want) {
		t.Fatalf("%d messages, want %d: %v", len(ms), len(want), ms)
	}
	for k, w := range want {
		m := ms[k]
		if w.code == 0 {
			if m["method"] != "window/logMessage" {
				t.Errorf("message %d: %v, want the log of the bad didChange", k, m)
			}
			continue
		}
		e, _ := m["error"].(map[string]any)
		if m["id"] != w.id || e == nil || e["code"] != w.code {
			t.Errorf("message %d: %v, want id %v code %v", k, m, w.id, w.code)
		}
	}
}

// TestExitWithoutShutdown: exit before shutdown is Serve's error (the
// protocol's exit code 1); the end of the input without exit is not.
func TestExitWithoutShutdown(t *testing.T) {
	var out bytes.Buffer
	if err := Serve(context.Background(), strings.NewReader(frame(`{"jsonrpc":"2.0","method":"exit"}`)), &out, Options{}); !errors.Is(err, ErrExitWithoutShutdown) {
		t.Errorf("exit without shutdown: %v", err)
	}
	if err := Serve(context.Background(), strings.NewReader(frame(`{"jsonrpc":"2.0","id":1,"method":"shutdown"}`)), &out, Options{}); err != nil {
		t.Errorf("end of input: %v", err)
	}
}

// FuzzWire feeds arbitrary bytes to a session: whatever arrives, Serve
// returns (at the end of the input at the latest) without a panic, and
// everything it wrote is framed messages.
func FuzzWire(f *testing.F) {
	open := `{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"untitled:a.nn","version":1,"text":"fn f(x: f32[N]) -> f32[N] {\n    return x * 2.0\n}\n"}}}`
	f.Add(frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`) + frame(open) +
		frame(`{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":"untitled:a.nn"},"position":{"line":1,"character":11}}}`))
	f.Add(frame(open) + frame(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"untitled:a.nn","version":2},"contentChanges":[{"range":{"start":{"line":1,"character":99},"end":{"line":0,"character":-5}},"text":"("}]}}`) +
		frame(`{"jsonrpc":"2.0","id":3,"method":"textDocument/completion","params":{"textDocument":{"uri":"untitled:a.nn"},"position":{"line":-1,"character":1000}}}`))
	f.Add(frame(`{"jsonrpc":"2.0","id":4,"method":"textDocument/formatting","params":{"textDocument":{"uri":"untitled:a.nn"}}}`) + "Content-Length: 3\r\n\r\n{}")
	f.Add("Content-Length: 2\r\nContent-Length: 5\r\n\r\n[1,2]")
	f.Fuzz(func(t *testing.T, in string) {
		w := &syncWriter{w: &bytes.Buffer{}}
		_ = Serve(context.Background(), strings.NewReader(in), w, Options{})
		w.mu.Lock()
		defer w.mu.Unlock()
		responses(t, w.w.String())
	})
}

// syncWriter is a writer safe for the server's timers and its loop.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
