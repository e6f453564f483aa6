package lsp

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nnclang/nnc/lang"
)

// FuzzChanges applies a stream of edits to models/deep_mlp.nn as a client
// sends them (ranges in UTF-16 units, possibly past a line's end or
// reversed) and asks, after each edit, what the server asks of the
// checker: the analysis, the diagnostics' ranges, hover at the edit, the
// symbols, completion, references, signature help (also from the last
// text that parsed, as the server does while a line is half typed),
// semantic tokens, code actions' fixes and formatting. No panic is recovered here: any
// panic fails the fuzz.
func FuzzChanges(f *testing.F) {
	src, err := os.ReadFile(filepath.Join("..", "models", "deep_mlp.nn"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{11, 25, 0, 'x'})
	f.Add([]byte{22, 0, 0, '.', 22, 1, 0, 'n'})
	f.Add([]byte{7, 10, 40, '(', 3, 0, 200, 0})
	f.Add([]byte{20, 4, 1, 0xff, 20, 4, 0, 0xe2})
	alphabet := []string{"", "x", ".", "(", ")", "[", "]", "{", "}", "\n", " ", "@", "nn.", "f32[", "B", ":", "=", "h", "\"", "//", "é", "𝔵", "fn ", "model ", "param ", "return ", "for i in 0..", "0", "-1", ",", "inp(", "→"}
	f.Fuzz(func(t *testing.T, ops []byte) {
		text := string(src)
		var good *lang.Analysis
		for k := 0; k+3 < len(ops) && k < 64; k += 4 {
			start := Position{Line: int(ops[k]) % 45, Character: int(ops[k+1]) % 60}
			end := Position{Line: start.Line + int(ops[k+2])/64, Character: int(ops[k+2]) % 64}
			ins := alphabet[int(ops[k+3])%len(alphabet)]
			text = applyChange(text, ContentChange{Range: &Range{Start: start, End: end}, Text: ins})
			a := lang.Analyze("/x/m.nn", []byte(text))
			for _, e := range a.Errors {
				_ = wordRange(text, e.Pos.Line, e.Pos.Col)
			}
			line, col := runeCol(text, start)
			a.Info("/x/m.nn", line, col)
			a.Definition("/x/m.nn", line, col)
			_ = a.Symbols("/x/m.nn")
			lo, _ := lineBounds(text, start.Line)
			_ = a.Completions("/x/m.nn", line, col, text[lo:offsetOf(text, start)])
			_ = a.References("/x/m.nn", line, col, true)
			if a.Parsed() {
				good = a
			}
			if good != nil {
				good.SignatureAt("/x/m.nn", []byte(text), line, col)
			}
			_ = encodeTokens(text, a.Tokens("/x/m.nn"))
			_ = encodeTokens(text, lang.LexTokens("/x/m.nn", []byte(text)))
			for _, fx := range a.Fixes("/x/m.nn") {
				_ = toPosition(text, fx.Pos.Line, fx.Pos.Col)
			}
			_, _ = lang.Format("/x/m.nn", []byte(text))
		}
	})
}

// BenchmarkAnalyze is a full re-check of each example of models/ (the
// largest in work is deep_mlp.nn, whose 18 layers are unrolled), as the
// server does after a change: check, and index for queries.
func BenchmarkAnalyze(b *testing.B) {
	files, err := filepath.Glob(filepath.Join("..", "models", "*.nn"))
	if err != nil || len(files) == 0 {
		b.Fatal("no models", err)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(name), func(b *testing.B) {
			for b.Loop() {
				if a := lang.Analyze(name, src); len(a.Errors) != 0 {
					b.Fatal(a.Errors)
				}
			}
		})
	}
}
