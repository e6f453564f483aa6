package lsp

import (
	"context"
)

// Code actions: the certain fixes of lang.Analysis.Fixes (a "did you
// mean" rename, a missing standard library import) as quick fixes.

func (s *server) codeAction(_ context.Context, params []byte) (any, error) {
	var p CodeActionParams
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.documentOf(params, &p)
	if err != nil {
		return nil, err
	}
	a := s.analyze(d)
	out := []CodeAction{}
	for _, f := range a.Fixes(d.path) {
		r := wordRange(d.text, f.Err.Pos.Line, f.Err.Pos.Col)
		if r.End.Line < p.Range.Start.Line || r.Start.Line > p.Range.End.Line {
			continue // an error on other lines than the request's
		}
		diag := Diagnostic{Range: r, Severity: 1, Code: f.Err.Code, Source: "nnc", Message: f.Err.Msg}
		edit := TextEdit{
			Range:   Range{Start: toPosition(d.text, f.Pos.Line, f.Pos.Col), End: toPosition(d.text, f.End.Line, f.End.Col)},
			NewText: f.New,
		}
		out = append(out, CodeAction{
			Title: f.Title, Kind: "quickfix", Diagnostics: []Diagnostic{diag}, IsPreferred: f.Preferred,
			Edit: WorkspaceEdit{Changes: map[string][]TextEdit{d.uri: {edit}}},
		})
	}
	return out, nil
}
