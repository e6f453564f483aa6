package lsp

import (
	"net/url"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Positions: the protocol counts lines from 0 and characters in UTF-16
// code units; lang counts both from 1, columns in runes.

// lineBounds returns the byte offsets of the start and end (before "\n")
// of line (0-based) of text, clamped to the text.
func lineBounds(text string, line int) (start, end int) {
	for k := 0; k < line; k++ {
		nl := strings.IndexByte(text[start:], '\n')
		if nl < 0 {
			start = len(text)
			break
		}
		start += nl + 1
	}
	end = start
	if nl := strings.IndexByte(text[start:], '\n'); nl >= 0 {
		end += nl
	} else {
		end = len(text)
	}
	return start, end
}

// offsetOf is the byte offset of p in text, clamped to its line.
func offsetOf(text string, p Position) int {
	start, end := lineBounds(text, max(p.Line, 0))
	units := 0
	for k, r := range text[start:end] {
		if units >= p.Character {
			return start + k
		}
		units += utf16Len(r)
	}
	return end
}

func utf16Len(r rune) int {
	if r >= 0x10000 && r <= utf8.MaxRune {
		return 2
	}
	return 1
}

// runeCol converts p to lang's 1-based line and rune column.
func runeCol(text string, p Position) (line, col int) {
	start, _ := lineBounds(text, max(p.Line, 0))
	return p.Line + 1, utf8.RuneCountInString(text[start:offsetOf(text, p)]) + 1
}

// toPosition converts lang's 1-based line and rune column to a protocol
// position in text.
func toPosition(text string, line, col int) Position {
	if line < 1 {
		return Position{}
	}
	start, end := lineBounds(text, line-1)
	units, k := 0, 1
	for _, r := range text[start:end] {
		if k >= col {
			break
		}
		units += utf16Len(r)
		k++
	}
	return Position{Line: line - 1, Character: units}
}

// wordRange is the range of the name (or the one character) at lang's
// line:col in text.
func wordRange(text string, line, col int) Range {
	p := toPosition(text, line, col)
	start, end := lineBounds(text, max(line-1, 0))
	off := offsetOf(text, p)
	n := 0
	for _, r := range text[off:end] {
		if !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			break
		}
		n += utf16Len(r)
	}
	if n == 0 && off < end {
		r, _ := utf8.DecodeRuneInString(text[off:])
		n = len(utf16.Encode([]rune{r}))
	}
	_ = start
	return Range{Start: p, End: Position{Line: p.Line, Character: p.Character + n}}
}

// endPosition is the position after the last character of text.
func endPosition(text string) Position {
	line := strings.Count(text, "\n")
	start := strings.LastIndexByte(text, '\n') + 1
	units := 0
	for _, r := range text[start:] {
		units += utf16Len(r)
	}
	return Position{Line: line, Character: units}
}

// uriPath is the file path of a file: URI, or the URI itself for another
// scheme (an unsaved buffer), so that it still names the document.
func uriPath(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		return uri
	}
	return filepath.FromSlash(u.Path)
}

// pathURI is the file: URI of a path.
func pathURI(p string) string {
	if strings.Contains(p, "://") || strings.HasPrefix(p, "untitled:") {
		return p
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

// applyChange applies one content change to text.
func applyChange(text string, c ContentChange) string {
	if c.Range == nil {
		return c.Text
	}
	a, b := offsetOf(text, c.Range.Start), offsetOf(text, c.Range.End)
	if b < a {
		a, b = b, a
	}
	return text[:a] + c.Text + text[b:]
}
