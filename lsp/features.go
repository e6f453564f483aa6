package lsp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nnclang/nnc/lang"
)

// publish checks the document uri and sends its diagnostics: one list per
// file with errors (the document and the files it imports), and an empty
// list to the files that had errors before and have none now.
func (s *server) publish(uri string) {
	s.mu.Lock()
	d := s.docs[uri]
	if d == nil || s.exited {
		s.mu.Unlock()
		return
	}
	a := s.analyze(d)
	byURI := map[string][]Diagnostic{d.uri: {}}
	texts := map[string]string{d.path: d.text}
	for _, e := range a.Errors {
		file := e.Pos.File
		target := d.uri
		if file != d.path && file != "" && !strings.HasPrefix(file, "std/") {
			target = pathURI(file)
		}
		text, ok := texts[file]
		if !ok {
			b, _ := os.ReadFile(file)
			text = string(b)
			texts[file] = text
		}
		r := wordRange(text, e.Pos.Line, e.Pos.Col)
		if target == d.uri && file != d.path {
			r = Range{} // an error in the standard library: at the top, naming the call in its message
		}
		byURI[target] = append(byURI[target], Diagnostic{Range: r, Severity: 1, Code: e.Code, Source: "nnc", Message: e.Msg})
	}
	if d.crash != "" {
		byURI[d.uri] = append(byURI[d.uri], Diagnostic{Severity: 1, Code: lang.CodeInternal, Source: "nnc", Message: d.crash})
	}
	for u := range d.published {
		if _, still := byURI[u]; !still {
			byURI[u] = []Diagnostic{}
		}
	}
	d.published = map[string]bool{}
	for u, ds := range byURI {
		if len(ds) > 0 {
			d.published[u] = true
		}
	}
	version := d.version
	s.mu.Unlock()
	for u, ds := range byURI {
		p := PublishDiagnosticsParams{URI: u, Diagnostics: ds}
		if u == uri {
			p.Version = &version
		}
		_ = s.c.notify("textDocument/publishDiagnostics", p)
	}
}

// documentOf decodes params into p and returns the open document p names;
// s.mu must be held.
func (s *server) documentOf(params []byte, p docRequest) (*document, error) {
	if err := decode(params, p); err != nil {
		return nil, err
	}
	uri := p.document().URI
	d := s.docs[uri]
	if d == nil {
		return nil, errorf(codeInvalidParams, "%s is not open", uri)
	}
	return d, nil
}

// at finds the open document and the lang position of a request.
func (s *server) at(params []byte) (*document, *lang.Analysis, int, int, error) {
	var p PositionParams
	d, err := s.documentOf(params, &p)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	line, col := runeCol(d.text, p.Position)
	return d, s.analyze(d), line, col, nil
}

func (s *server) hover(_ context.Context, params []byte) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, a, line, col, err := s.at(params)
	if err != nil {
		return nil, err
	}
	info, ok := a.Info(d.path, line, col)
	if !ok {
		return nil, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "```nn\n%s", info.Name)
	if info.Type != "" {
		fmt.Fprintf(&b, ": %s", info.Type)
	}
	fmt.Fprintf(&b, "\n```\n%s", info.Kind)
	if info.Def.Line != 0 {
		where := info.Def.File
		if where == d.path {
			where = "line"
		} else {
			where = filepath.Base(where) + " line"
		}
		fmt.Fprintf(&b, ", declared at %s %d", where, info.Def.Line)
	}
	b.WriteString("\n")
	for _, l := range info.Detail {
		fmt.Fprintf(&b, "\n%s\n", l)
	}
	r := Range{Start: toPosition(d.text, info.Pos.Line, info.Pos.Col), End: toPosition(d.text, info.End.Line, info.End.Col)}
	return Hover{Contents: MarkupContent{Kind: "markdown", Value: b.String()}, Range: &r}, nil
}

func (s *server) definition(_ context.Context, params []byte) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, a, line, col, err := s.at(params)
	if err != nil {
		return nil, err
	}
	def, ok := a.Definition(d.path, line, col)
	if !ok {
		return nil, nil
	}
	uri, text := d.uri, d.text
	switch {
	case def.File == d.path:
	case strings.HasPrefix(def.File, "std/"):
		src, _ := lang.StdSource(def.File)
		p, err := s.stdFile(def.File, src)
		if err != nil {
			return nil, err
		}
		uri, text = pathURI(p), string(src)
	default:
		b, _ := os.ReadFile(def.File)
		uri, text = pathURI(def.File), string(b)
	}
	return []Location{{URI: uri, Range: wordRange(text, def.Line, def.Col)}}, nil
}

// stdFile writes a standard library file (embedded in the binary) where
// an editor can open it: the user's cache folder, under a name with the
// source's hash, so that nnc versions do not mix.
func (s *server) stdFile(name string, src []byte) (string, error) {
	if s.stdDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		s.stdDir = filepath.Join(base, "nnc", "std")
	}
	sum := sha256.Sum256(src)
	p := filepath.Join(s.stdDir, hex.EncodeToString(sum[:6]), filepath.FromSlash(name))
	if b, err := os.ReadFile(p); err == nil && bytes.Equal(b, src) {
		return p, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return p, os.WriteFile(p, src, 0o444)
}

func (s *server) formatting(_ context.Context, params []byte) (any, error) {
	var p DocumentParams
	s.mu.Lock()
	d, err := s.documentOf(params, &p)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	path, text := d.path, d.text
	s.mu.Unlock()
	out, err := lang.Format(path, []byte(text))
	if err != nil || string(out) == text {
		// A file that does not parse is left as it is; its diagnostics
		// say why.
		return []TextEdit{}, nil
	}
	return []TextEdit{{Range: Range{End: endPosition(text)}, NewText: string(out)}}, nil
}

func (s *server) documentSymbol(_ context.Context, params []byte) (any, error) {
	var p DocumentParams
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.documentOf(params, &p)
	if err != nil {
		return nil, err
	}
	a := s.analyze(d)
	return s.symbols(d.text, a.Symbols(d.path)), nil
}

// symbolKinds map lang's kinds of declarations to the protocol's.
var symbolKinds = map[string]int{
	"import": symModule, "const": symConstant, "function": symFunction, "model": symClass,
	"method": symMethod, "param": symField, "state": symField, "member": symField,
	"argument": symVariable, "train": symModule,
}

func (s *server) symbols(text string, syms []lang.Symbol) []DocumentSymbol {
	out := []DocumentSymbol{}
	for _, y := range syms {
		sel := wordRange(text, y.Pos.Line, y.Pos.Col)
		r := Range{Start: toPosition(text, y.Start.Line, y.Start.Col), End: toPosition(text, y.End.Line, y.End.Col)}
		if r.End.Line < sel.End.Line || r.End.Line == sel.End.Line && r.End.Character < sel.End.Character {
			r.End = sel.End
		}
		ds := DocumentSymbol{Name: y.Name, Detail: y.Detail, Kind: symbolKinds[y.Kind], Range: r, SelectionRange: sel}
		if ds.Kind == 0 {
			ds.Kind = symVariable
		}
		if len(y.Children) > 0 {
			ds.Children = s.symbols(text, y.Children)
		}
		out = append(out, ds)
	}
	return out
}

// completionKinds map lang's kinds to the protocol's completion kinds.
var completionKinds = map[string]int{
	"import": compModule, "const": compConstant, "function": compFunction, "model": compClass,
	"method": compMethod, "param": compField, "state": compField, "member": compField,
	"argument": compVariable, "parameter": compVariable, "local": compVariable,
	"loop variable": compVariable, "built-in": compFunction, "keyword": compKeyword,
	"element type": compKeyword,
}

func (s *server) completion(_ context.Context, params []byte) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p PositionParams
	d, err := s.documentOf(params, &p)
	if err != nil {
		return nil, err
	}
	a := s.analyze(d)
	if !a.Parsed() && d.good != nil {
		a = d.good // half-typed: the scopes of the last text that parsed
	}
	line, col := runeCol(d.text, p.Position)
	start, _ := lineBounds(d.text, p.Position.Line)
	before := d.text[start:offsetOf(d.text, p.Position)]
	out := []CompletionItem{}
	for _, c := range a.Completions(d.path, line, col, before) {
		out = append(out, CompletionItem{Label: c.Label, Kind: completionKinds[c.Kind], Detail: c.Detail})
	}
	return out, nil
}
