package lsp

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// refsAt asks for the references at line:char and writes them as
// "line:start-end" (0-based, UTF-16), with the file's base name when it is
// not uri, after checking that each range holds name.
func (c *client) refsAt(uri, text string, line, char int, decl bool, name string) string {
	c.t.Helper()
	var p ReferenceParams
	p.TextDocument.URI, p.Position = uri, Position{line, char}
	p.Context.IncludeDeclaration = decl
	var locs []Location
	c.call("textDocument/references", p, &locs)
	var out []string
	for _, l := range locs {
		s := fmt.Sprintf("%d:%d-%d", l.Range.Start.Line, l.Range.Start.Character, l.Range.End.Character)
		src := text
		if l.URI != uri {
			b, err := os.ReadFile(uriPath(l.URI))
			if err != nil {
				c.t.Fatal(err)
			}
			src = string(b)
			s = l.URI[strings.LastIndex(l.URI, "/")+1:] + ":" + s
		}
		ln := strings.Split(src, "\n")[l.Range.Start.Line]
		if got := ln[l.Range.Start.Character:l.Range.End.Character]; got != name {
			c.t.Errorf("reference %s of %s is %q", s, name, got)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// TestReferencesProtocol asks for references in models/deep_mlp.nn; the
// expected lines and columns are read off the file (0-based).
func TestReferencesProtocol(t *testing.T) {
	c := startSession(t, 10*time.Millisecond)
	var init InitializeResult
	c.call("initialize", map[string]any{"capabilities": map[string]any{}}, &init)
	if !init.Capabilities.ReferencesProvider || len(init.Capabilities.SignatureHelpProvider.TriggerCharacters) == 0 {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	uri, text := modelURI(t, "deep_mlp.nn")
	c.open(uri, text, 1)
	c.waitDiags(uri, 1)
	cases := []struct {
		line, char int
		decl       bool
		name, want string
	}{
		{21, 8, true, "h", "21:8-9 23:12-13 23:26-27 25:20-21"},                 // a local and its reassignment
		{25, 20, false, "h", "23:12-13 23:26-27 25:20-21"},                      // without the declaration
		{15, 14, true, "width", "15:14-19 16:23-28 17:20-25 17:27-32 18:22-27"}, // a model argument
		{20, 8, true, "forward", "20:7-14 29:29-36"},                            // a method
		{16, 4, true, "inp", "16:4-7 21:12-15"},                                 // a sub-model
		{11, 24, true, "W", "7:10-11 11:24-25"},                                 // a param
		{18, 16, true, "Dense", "18:16-21 nn.nn:7:6-11 nn.nn:18:9-14 nn.nn:19:9-14 nn.nn:153:9-14 nn.nn:154:9-14 nn.nn:155:9-14 nn.nn:156:9-14 nn.nn:180:11-16 nn.nn:181:11-16"},
		{20, 22, true, "B", ""}, // a shape variable is not declared
	}
	for _, k := range cases {
		if got := c.refsAt(uri, text, k.line, k.char, k.decl, k.name); got != k.want {
			t.Errorf("references of %s at %d:%d: %s, want %s", k.name, k.line, k.char, got, k.want)
		}
	}
	c.finish()
}

// TestSignatureHelp types calls into models/deep_mlp.nn and asks for
// signature help at the cursor.
func TestSignatureHelp(t *testing.T) {
	c := startSession(t, 10*time.Millisecond)
	c.call("initialize", map[string]any{"capabilities": map[string]any{}}, nil)
	uri, text := modelURI(t, "deep_mlp.nn")
	c.open(uri, text, 1)
	c.waitDiags(uri, 1)
	cases := []struct {
		typed, label, active, doc string
	}{
		{"g = cross_entropy(h, ", "cross_entropy(logits, labels, weights?, label_smoothing = 0, ignore_index?)", "labels", "entropy"},
		{"g = cross_entropy(h, y, label_smoothing = ", "cross_entropy(logits, labels, weights?, label_smoothing = 0, ignore_index?)", "label_smoothing = 0", "entropy"},
		{"g = inp(", "inp(x: f32[..., n_in]) -> f32[..., n_out]", "x: f32[..., n_in]", ""},
		{"g = nn.Dense(width, ", "Dense(n_in: int, n_out: int)", "n_out: int", ""},
		{"g = Layer(3, 4, ", "Layer(n_in: int, n_out: int)", "", ""},
		{"g = relu(forward(", "forward(x: f32[B, 64]) -> f32[B, 10]", "x: f32[B, 64]", ""},
	}
	version := 1
	for _, k := range cases {
		version++
		// A new line 23 (0-based 22), half typed: the file does not parse.
		c.change(uri, version, ContentChange{Range: &Range{Position{22, 0}, Position{22, 0}}, Text: "        " + k.typed + "\n"})
		var h SignatureHelp
		c.call("textDocument/signatureHelp", PositionParams{TextDocument: TextDocumentIdentifier{uri}, Position: Position{22, 8 + len(k.typed)}}, &h)
		if len(h.Signatures) != 1 {
			t.Errorf("%s: %+v", k.typed, h)
		} else {
			s := h.Signatures[0]
			active := ""
			if h.ActiveParameter < len(s.Parameters) {
				r := s.Parameters[h.ActiveParameter].Label
				active = s.Label[r[0]:r[1]]
			}
			doc := ""
			if s.Documentation != nil {
				doc = s.Documentation.Value
			}
			if s.Label != k.label || active != k.active || !strings.Contains(doc, k.doc) {
				t.Errorf("%s: %q active %q doc %q, want %q active %q", k.typed, s.Label, active, doc, k.label, k.active)
			}
		}
		version++
		c.change(uri, version, ContentChange{Text: text})
	}
	var h *SignatureHelp
	c.call("textDocument/signatureHelp", PositionParams{TextDocument: TextDocumentIdentifier{uri}, Position: Position{21, 10}}, &h)
	if h != nil {
		t.Errorf("signature help outside a call: %+v", h)
	}
	c.finish()
}
