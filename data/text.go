package data

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/nnclang/nnc/tensor"
)

// TextOptions configures ReadText. The zero value reads characters
// (Unicode code points) and builds the vocabulary from the whole text.
type TextOptions struct {
	Options
	// Bytes reads the text byte by byte (any file, 256 tokens at most)
	// instead of character by character (valid UTF-8 only).
	Bytes bool
	// Vocab is the vocabulary to use (from LoadVocab, as saved beside a
	// trained model); nil builds one.
	Vocab *Vocab
	// VocabFrom and VocabTo are the part of the text, as fractions of its
	// tokens, the vocabulary is built from: [0, 0.9) builds it from the
	// first 90%, the training split, so that nothing of the validation
	// text leaks into it. Both 0 mean the whole text. Ignored with Vocab.
	VocabFrom, VocabTo float64
	// Unknown, when not "", is a token added to the vocabulary for the
	// tokens it lacks; without it such a token is an error naming its
	// line and column.
	Unknown string
}

// Text is a text read as token ids.
type Text struct {
	// File is the file read.
	File string
	// IDs holds the id of every token, in order.
	IDs []int32
	// Vocab maps ids to tokens.
	Vocab *Vocab
}

// Tensor returns the ids as an i32[N] tensor sharing the text's slice.
func (t *Text) Tensor() *tensor.Tensor {
	return &tensor.Tensor{DType: tensor.I32, Shape: []int{len(t.IDs)}, I32: t.IDs}
}

// Decode turns ids back into text; an id outside the vocabulary is an
// error.
func (t *Text) Decode(ids []int32) (string, error) { return t.Vocab.Decode(ids) }

// ReadText reads a text file (gzipped or not) as token ids, character- or
// byte-level (see TextOptions). The vocabulary, when built, holds the
// distinct tokens of the chosen part of the text sorted by code point (or
// byte value), numbered from 0, then Unknown when given. Invalid UTF-8 at
// character level is an error naming the line and column; so is a token
// missing from the vocabulary, unless Unknown is set. The file may inflate
// to at most MaxBytes, and the ids (4 bytes a token) must fit it too.
func ReadText(path string, o TextOptions) (*Text, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	if !(o.VocabFrom >= 0 && o.VocabTo <= 1 && o.VocabFrom <= o.VocabTo) {
		return nil, fmt.Errorf("data: TextOptions: the vocabulary's part [%v, %v) is not within [0, 1]", o.VocabFrom, o.VocabTo)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := maybeGunzip(f, path)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(&limitedReader{r: r, limit: limit})
	if err != nil {
		if le, ok := err.(*limitError); ok {
			return nil, fileErr(path, "%v", le)
		}
		return nil, fileErr(path, "reading: %v", err)
	}
	return decodeText(b, path, o, limit)
}

// decodeText turns the bytes of a text into ids.
func decodeText(b []byte, name string, o TextOptions, limit int64) (*Text, error) {
	level := "char"
	if o.Bytes {
		level = "byte"
	}
	// Tokens as code points (bytes are code points 0..255).
	toks, err := tokens(b, name, o.Bytes, limit)
	if err != nil {
		return nil, err
	}
	v := o.Vocab
	if v == nil {
		from, to := 0, len(toks)
		if o.VocabTo > 0 {
			from, to = int(o.VocabFrom*float64(len(toks))), int(o.VocabTo*float64(len(toks)))
		}
		if v, err = buildVocab(level, toks[from:to], o.Unknown); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
	} else if v.Level != level {
		return nil, fmt.Errorf("data: the vocabulary is %s-level, the text is read at %s level", v.Level, level)
	}
	unk, hasUnk := v.index[o.Unknown]
	if o.Unknown == "" {
		hasUnk = false
	}
	ids := make([]int32, len(toks))
	for i, c := range toks {
		id, ok := v.runes[c]
		switch {
		case ok:
			ids[i] = id
		case hasUnk:
			ids[i] = unk
		default:
			line, col := lineCol(b, name, o.Bytes, i)
			return nil, colErr(name, line, col, "%q is not in the vocabulary (%d tokens; set an unknown token to map such tokens to it)", c, len(v.Tokens))
		}
	}
	return &Text{File: name, IDs: ids, Vocab: v}, nil
}

// tokens splits b into code points (or bytes).
func tokens(b []byte, name string, asBytes bool, limit int64) ([]rune, error) {
	n := len(b)
	if !asBytes {
		n = utf8.RuneCount(b)
	}
	if int64(n)*4 > limit || n > math.MaxInt32 {
		return nil, fileErr(name, "%d tokens are more than the limit of %d bytes (4 bytes each)", n, limit)
	}
	toks := make([]rune, 0, n)
	if asBytes {
		for _, c := range b {
			toks = append(toks, rune(c))
		}
		return toks, nil
	}
	line, col := 1, 1
	for off := 0; off < len(b); {
		c, size := utf8.DecodeRune(b[off:])
		if c == utf8.RuneError && size <= 1 {
			return nil, &FormatError{File: name, Line: line, Col: col, Msg: fmt.Sprintf("invalid UTF-8 (byte %#x at offset %d); read the text as bytes", b[off], off)}
		}
		toks = append(toks, c)
		off += size
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return toks, nil
}

// lineCol finds the line and column (in tokens, from 1) of token i.
func lineCol(b []byte, name string, asBytes bool, i int) (int, int) {
	line, col := 1, 1
	k := 0
	for off := 0; off < len(b) && k < i; k++ {
		c, size := rune(b[off]), 1
		if !asBytes {
			c, size = utf8.DecodeRune(b[off:])
		}
		off += size
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// buildVocab numbers the distinct tokens of toks, sorted, then unknown.
func buildVocab(level string, toks []rune, unknown string) (*Vocab, error) {
	seen := map[rune]bool{}
	for _, c := range toks {
		seen[c] = true
	}
	rs := make([]rune, 0, len(seen))
	for c := range seen {
		rs = append(rs, c)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	tokens := make([]string, 0, len(rs)+1)
	for _, c := range rs {
		tokens = append(tokens, string(c))
	}
	if unknown != "" && !slices.Contains(tokens, unknown) {
		tokens = append(tokens, unknown)
	}
	return NewVocab(level, tokens)
}
