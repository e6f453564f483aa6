package lsp

import (
	"testing"
	"time"

	"github.com/nnclang/nnc/lang"
)

// TestCodeActions asks for the fixes of a file with a misspelled
// built-in and nn used without its import, applies them as an editor
// would and checks the text (written by hand) and that it then checks.
func TestCodeActions(t *testing.T) {
	c := startSession(t, 10*time.Millisecond)
	var init InitializeResult
	c.call("initialize", map[string]any{"capabilities": map[string]any{}}, &init)
	if k := init.Capabilities.CodeActionProvider.CodeActionKinds; len(k) != 1 || k[0] != "quickfix" {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	uri := "untitled:fix.nn"
	text := "// A model.\nmodel M() {\n    l = nn.Dense(3, 4)\n\n    fn forward(x: f32[B, 3]) -> f32[B, 4] {\n        return rleu(l(x))\n    }\n}\n"
	c.open(uri, text, 1)
	if ds := c.waitDiags(uri, 1); len(ds) != 2 {
		t.Fatalf("diagnostics: %+v", ds)
	}
	actions := func(line int) []CodeAction {
		var p CodeActionParams
		p.TextDocument.URI, p.Range = uri, Range{Position{line, 0}, Position{line, 0}}
		var out []CodeAction
		c.call("textDocument/codeAction", p, &out)
		return out
	}
	if as := actions(3); len(as) != 0 {
		t.Errorf("actions on an empty line: %+v", as)
	}
	as := actions(5)
	if len(as) != 1 || as[0].Title != "Change rleu to relu" || as[0].Kind != "quickfix" || len(as[0].Diagnostics) != 1 || as[0].Diagnostics[0].Code != lang.CodeUndefined {
		t.Fatalf("actions on line 5: %+v", as)
	}
	edits := as[0].Edit.Changes[uri]
	if len(edits) != 1 || edits[0].Range != (Range{Position{5, 15}, Position{5, 19}}) || edits[0].NewText != "relu" {
		t.Fatalf("rename edit: %+v", as[0].Edit)
	}
	text = applyChange(text, ContentChange{Range: &edits[0].Range, Text: edits[0].NewText})
	as = actions(2)
	if len(as) != 1 || as[0].Title != `Add import "std/nn"` || !as[0].IsPreferred {
		t.Fatalf("actions on line 2: %+v", as)
	}
	edits = as[0].Edit.Changes[uri]
	if len(edits) != 1 || edits[0].Range != (Range{Position{1, 0}, Position{1, 0}}) {
		t.Fatalf("import edit: %+v", as[0].Edit)
	}
	text = applyChange(text, ContentChange{Range: &edits[0].Range, Text: edits[0].NewText})
	want := "// A model.\nimport \"std/nn\"\n\nmodel M() {\n    l = nn.Dense(3, 4)\n\n    fn forward(x: f32[B, 3]) -> f32[B, 4] {\n        return relu(l(x))\n    }\n}\n"
	if text != want {
		t.Fatalf("fixed text %q, want %q", text, want)
	}
	c.change(uri, 2, ContentChange{Text: text})
	if ds := c.waitDiags(uri, 2); len(ds) != 0 {
		t.Errorf("diagnostics after the fixes: %+v", ds)
	}
	if as := actions(7); len(as) != 0 {
		t.Errorf("actions after the fixes: %+v", as)
	}
	c.finish()
}
