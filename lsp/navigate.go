package lsp

import (
	"context"
	"os"
	"strings"
	"unicode/utf16"

	"github.com/nnclang/nnc/lang"
)

// Find references and signature help.

func (s *server) references(_ context.Context, params []byte) (any, error) {
	var p ReferenceParams
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.documentOf(params, &p)
	if err != nil {
		return nil, err
	}
	a := s.analyze(d)
	line, col := runeCol(d.text, p.Position)
	out := []Location{}
	texts := map[string]string{}
	for _, r := range a.References(d.path, line, col, p.Context.IncludeDeclaration) {
		uri, text, err := s.fileOf(d, r.Pos.File, texts)
		if err != nil {
			return nil, err
		}
		out = append(out, Location{URI: uri, Range: Range{Start: toPosition(text, r.Pos.Line, r.Pos.Col), End: toPosition(text, r.End.Line, r.End.Col)}})
	}
	return out, nil
}

// fileOf is the URI and text of a file named as in lang's positions: the
// document, a file it imports (read from disk) or a standard library file
// (written to the cache folder); texts caches the files read.
func (s *server) fileOf(d *document, file string, texts map[string]string) (string, string, error) {
	switch {
	case file == d.path:
		return d.uri, d.text, nil
	case strings.HasPrefix(file, "std/"):
		src, _ := lang.StdSource(file)
		p, err := s.stdFile(file, src)
		if err != nil {
			return "", "", err
		}
		return pathURI(p), string(src), nil
	}
	text, ok := texts[file]
	if !ok {
		b, _ := os.ReadFile(file)
		text = string(b)
		texts[file] = text
	}
	return pathURI(file), text, nil
}

func (s *server) signatureHelp(_ context.Context, params []byte) (any, error) {
	var p PositionParams
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.documentOf(params, &p)
	if err != nil {
		return nil, err
	}
	a := s.analyze(d)
	if !a.Parsed() && d.good != nil {
		a = d.good // half-typed: the declarations of the last text that parsed
	}
	line, col := runeCol(d.text, p.Position)
	sig, ok := a.SignatureAt(d.path, []byte(d.text), line, col)
	if !ok {
		return nil, nil
	}
	info := SignatureInformation{Label: sig.Label, Parameters: []ParameterInformation{}}
	if sig.Doc != "" {
		info.Documentation = &MarkupContent{Kind: "plaintext", Value: sig.Doc}
	}
	runes := []rune(sig.Label)
	for _, r := range sig.Params {
		start := len(utf16.Encode(runes[:r[0]]))
		info.Parameters = append(info.Parameters, ParameterInformation{Label: [2]int{start, start + len(utf16.Encode(runes[r[0]:r[1]]))}})
	}
	active := sig.Active
	if active < 0 {
		active = len(sig.Params) // out of range: no parameter is highlighted
	}
	return SignatureHelp{Signatures: []SignatureInformation{info}, ActiveParameter: active}, nil
}
