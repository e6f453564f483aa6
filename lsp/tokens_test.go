package lsp

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// decodeTokens undoes the protocol's relative encoding: each token as
// "line:char+len type mods" (0-based, UTF-16), by position.
func decodeTokens(t *testing.T, data []int, l SemanticTokensLegend) map[[2]int]string {
	t.Helper()
	if len(data)%5 != 0 {
		t.Fatalf("%d integers", len(data))
	}
	out := map[[2]int]string{}
	line, char := 0, 0
	for k := 0; k < len(data); k += 5 {
		if data[k] > 0 {
			char = 0
		}
		line += data[k]
		char += data[k+1]
		s := fmt.Sprintf("+%d %s", data[k+2], l.TokenTypes[data[k+3]])
		for b, m := range l.TokenModifiers {
			if data[k+4]&(1<<b) != 0 {
				s += " " + m
			}
		}
		if _, dup := out[[2]int{line, char}]; dup || data[k+2] <= 0 {
			t.Errorf("token %d at %d:%d: duplicate or empty", k/5, line, char)
		}
		out[[2]int{line, char}] = s
	}
	return out
}

// TestSemanticTokens decodes the tokens of models/deep_mlp.nn and of a
// file with a comment in a string and a non-ASCII comment, and checks a
// sample read off the files: shape variables (typeParameter) apart from
// values, models, functions, params, keywords, strings, numbers, comments.
func TestSemanticTokens(t *testing.T) {
	c := startSession(t, 10*time.Millisecond)
	var init InitializeResult
	c.call("initialize", map[string]any{"capabilities": map[string]any{}}, &init)
	l := init.Capabilities.SemanticTokensProvider.Legend
	if !init.Capabilities.SemanticTokensProvider.Full || len(l.TokenTypes) == 0 {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	uri, text := modelURI(t, "deep_mlp.nn")
	c.open(uri, text, 1)
	var st SemanticTokens
	c.call("textDocument/semanticTokens/full", DocumentParams{TextDocument: TextDocumentIdentifier{uri}}, &st)
	got := decodeTokens(t, st.Data, l)
	first := strings.Split(text, "\n")[0]
	want := map[[2]int]string{
		{0, 0}:   fmt.Sprintf("+%d comment", len(first)),
		{3, 0}:   "+6 keyword",
		{3, 7}:   "+8 string",
		{6, 0}:   "+5 keyword",
		{6, 6}:   "+5 class declaration",
		{6, 12}:  "+4 parameter declaration",
		{6, 18}:  "+3 type",
		{7, 4}:   "+5 keyword",
		{7, 10}:  "+1 property declaration",
		{7, 17}:  "+4 parameter",
		{11, 15}: "+4 function defaultLibrary",
		{11, 24}: "+1 property",
		{16, 13}: "+5 class",
		{16, 19}: "+2 number",
		{18, 13}: "+2 namespace",
		{18, 16}: "+5 class defaultLibrary",
		{20, 7}:  "+7 method declaration",
		{20, 15}: "+1 parameter declaration",
		{20, 22}: "+1 typeParameter",
		{20, 37}: "+1 typeParameter",
		{21, 8}:  "+1 variable declaration",
		{21, 12}: "+3 property",
		{22, 12}: "+1 variable declaration",
		{29, 29}: "+7 method",
		{29, 15}: "+13 function defaultLibrary",
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("token at %d:%d: %q, want %q", p[0], p[1], got[p], w)
		}
	}
	if _, ok := got[[2]int{20, 26}]; ok {
		t.Errorf("a token at 20:26 (\"64\" is at 20:25)")
	}

	uri2 := "untitled:t.nn"
	src := "const s = \"a // b\" // é€x\n// 𝔘\nfn f(x: f32[N]) -> f32[N] {\n    return x * 2.0\n}\n"
	c.open(uri2, src, 1)
	c.call("textDocument/semanticTokens/full", DocumentParams{TextDocument: TextDocumentIdentifier{uri2}}, &st)
	got = decodeTokens(t, st.Data, l)
	for p, w := range map[[2]int]string{
		{0, 0}: "+5 keyword", {0, 6}: "+1 variable declaration readonly", {0, 10}: "+8 string",
		{0, 19}: "+6 comment", {1, 0}: "+5 comment", // 𝔘 is two UTF-16 units
		{2, 3}: "+1 function declaration", {2, 12}: "+1 typeParameter", {2, 23}: "+1 typeParameter",
		{3, 11}: "+1 parameter", {3, 15}: "+3 number",
	} {
		if got[p] != w {
			t.Errorf("t.nn token at %d:%d: %q, want %q", p[0], p[1], got[p], w)
		}
	}
	if len(got) != 15 { // const s "a // b" comment comment fn f x f32 N f32 N return x 2.0
		t.Errorf("t.nn: %d tokens, want 15: %v", len(got), got)
	}
	// A file that does not parse: the tokens known by their text.
	c.change(uri2, 2, ContentChange{Text: "fn f(x: f32[N] -> { // x\n"})
	c.call("textDocument/semanticTokens/full", DocumentParams{TextDocument: TextDocumentIdentifier{uri2}}, &st)
	got = decodeTokens(t, st.Data, l)
	if len(got) != 3 || got[[2]int{0, 0}] != "+2 keyword" || got[[2]int{0, 8}] != "+3 type" || got[[2]int{0, 20}] != "+4 comment" {
		t.Errorf("tokens of a half-typed file: %v", got)
	}
	// One that does not lex (a string left open): none (null), no crash.
	c.change(uri2, 3, ContentChange{Text: "const s = \"abc\n"})
	var none *SemanticTokens
	c.call("textDocument/semanticTokens/full", DocumentParams{TextDocument: TextDocumentIdentifier{uri2}}, &none)
	if none != nil {
		t.Errorf("tokens of a broken file: %+v", none)
	}
	c.finish()
}
