package lsp

import (
	"context"

	"github.com/nnclang/nnc/lang"
)

// Semantic tokens: lang's token kinds under the protocol's standard names
// (a shape variable is a typeParameter, a model a class, a param or
// sub-model a property).

// tokenTypes is the legend's token types, in lang.TokenKinds' order.
var tokenTypes = func() []string {
	std := map[string]string{"shapeVariable": "typeParameter", "model": "class", "member": "property"}
	out := make([]string, len(lang.TokenKinds))
	for k, n := range lang.TokenKinds {
		out[k] = n
		if s, ok := std[n]; ok {
			out[k] = s
		}
	}
	return out
}()

// legend is the semantic tokens legend sent in initialize.
func legend() SemanticTokensLegend {
	return SemanticTokensLegend{TokenTypes: tokenTypes, TokenModifiers: lang.TokenModifiers}
}

func (s *server) semanticTokens(_ context.Context, params []byte) (any, error) {
	var p DocumentParams
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.documentOf(params, &p)
	if err != nil {
		return nil, err
	}
	a := s.analyze(d)
	if !a.Parsed() {
		// Half typed: the tokens known by their text alone, or none
		// (null) while a string is left open.
		toks := lang.LexTokens(d.path, []byte(d.text))
		if toks == nil {
			return nil, nil
		}
		return SemanticTokens{Data: encodeTokens(d.text, toks)}, nil
	}
	return SemanticTokens{Data: encodeTokens(d.text, a.Tokens(d.path))}, nil
}

// encodeTokens writes tokens (in source order, each on one line) in the
// protocol's relative encoding: five integers per token, its line less
// the previous token's, its start (less the previous token's when on the
// same line), its length, its type's and its modifiers' bits in the
// legend.
func encodeTokens(text string, toks []lang.Token) []int {
	kinds, mods := map[string]int{}, map[string]int{}
	for k, n := range lang.TokenKinds {
		kinds[n] = k
	}
	for k, n := range lang.TokenModifiers {
		mods[n] = 1 << k
	}
	data := []int{}
	prev := Position{}
	for _, t := range toks {
		kind, ok := kinds[t.Kind]
		if !ok {
			continue
		}
		start := toPosition(text, t.Pos.Line, t.Pos.Col)
		end := toPosition(text, t.Pos.Line, t.Pos.Col+t.Len)
		bits := 0
		for _, m := range t.Mods {
			bits |= mods[m]
		}
		dl, dc := start.Line-prev.Line, start.Character
		if dl == 0 {
			dc -= prev.Character
		}
		if dl < 0 || dl == 0 && dc < 0 || end.Character <= start.Character {
			continue // out of order or empty: never sent
		}
		data = append(data, dl, dc, end.Character-start.Character, kind, bits)
		prev = start
	}
	return data
}
