package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLspSubprocess starts `nnc lsp` and drives it with scripted JSON-RPC
// messages: initialize (with the capabilities advertised), didOpen of a
// file with a shape error, hover, references, an unknown method, shutdown
// and exit (status 0).
func TestLspSubprocess(t *testing.T) {
	bin := buildNNC(t)
	cmd := exec.Command(bin, "lsp")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out := bufio.NewReader(outPipe)
	send := func(msg string) {
		t.Helper()
		if _, err := fmt.Fprintf(in, "Content-Length: %d\r\n\r\n%s", len(msg), msg); err != nil {
			t.Fatal(err)
		}
	}
	// read returns the next message whose id is id, or whose method is
	// method for a notification.
	read := func(id int, method string) map[string]any {
		t.Helper()
		for {
			n := 0
			for {
				line, err := out.ReadString('\n')
				if err != nil {
					t.Fatalf("reading: %v", err)
				}
				line = strings.TrimSpace(line)
				if line == "" {
					break
				}
				if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
					n, _ = strconv.Atoi(v)
				}
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(out, body); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if got, ok := m["id"].(float64); ok && id != 0 && int(got) == id || method != "" && m["method"] == method {
				return m
			}
		}
	}
	file, _ := filepath.Abs(filepath.Join(t.TempDir(), "m.nn"))
	uri := (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()
	src := `fn f(x: f32[N, 3], w: f32[4, 2]) -> f32[N, 2] {\n    h = x @ w\n    return h\n}\n`
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}`)
	caps := read(1, "")["result"].(map[string]any)["capabilities"].(map[string]any)
	for _, c := range []string{"hoverProvider", "definitionProvider", "referencesProvider", "signatureHelpProvider", "semanticTokensProvider", "codeActionProvider"} {
		if caps[c] == nil || caps[c] == false {
			t.Errorf("capabilities lack %s: %v", c, caps)
		}
	}
	send(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)
	send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"` + uri + `","languageId":"nn","version":1,"text":"` + src + `"}}}`)
	diags := read(0, "textDocument/publishDiagnostics")["params"].(map[string]any)["diagnostics"].([]any)
	if len(diags) != 1 {
		t.Fatalf("diagnostics: %v", diags)
	}
	d := diags[0].(map[string]any)
	start := d["range"].(map[string]any)["start"].(map[string]any)
	if d["code"] != "E301" || start["line"] != 1.0 || start["character"] != 10.0 || !strings.Contains(d["message"].(string), "f32[4, 2]") {
		t.Errorf("diagnostic: %v", d)
	}
	send(`{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":"` + uri + `"},"position":{"line":0,"character":5}}}`)
	hover := read(2, "")["result"].(map[string]any)["contents"].(map[string]any)["value"].(string)
	if !strings.Contains(hover, "x: f32[N, 3]") {
		t.Errorf("hover: %q", hover)
	}
	// The references of h (line 1 "    h = x @ w", line 2 "    return h").
	send(`{"jsonrpc":"2.0","id":5,"method":"textDocument/references","params":{"textDocument":{"uri":"` + uri + `"},"position":{"line":2,"character":11},"context":{"includeDeclaration":true}}}`)
	var refs []string
	for _, l := range read(5, "")["result"].([]any) {
		r := l.(map[string]any)["range"].(map[string]any)
		s, e := r["start"].(map[string]any), r["end"].(map[string]any)
		refs = append(refs, fmt.Sprintf("%v:%v-%v", s["line"], s["character"], e["character"]))
	}
	if strings.Join(refs, " ") != "1:4-5 2:11-12" {
		t.Errorf("references of h: %v", refs)
	}
	send(`{"jsonrpc":"2.0","id":3,"method":"no/such/method","params":{}}`)
	if e, ok := read(3, "")["error"].(map[string]any); !ok || e["code"] != -32601.0 {
		t.Errorf("unknown method: %v", e)
	}
	send(`{"jsonrpc":"2.0","id":4,"method":"shutdown"}`)
	if r := read(4, ""); r["result"] != nil || r["error"] != nil {
		t.Errorf("shutdown: %v", r)
	}
	send(`{"jsonrpc":"2.0","method":"exit"}`)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("nnc lsp after exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("nnc lsp did not exit")
	}
}
