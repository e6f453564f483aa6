package data

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Vocab is a text's vocabulary: the token of every id. Tokens are single
// characters ("char" level) or single bytes ("byte" level, each written as
// the character of that code point, U+0000..U+00FF); one more token of any
// length may stand for unknown tokens (TextOptions.Unknown).
type Vocab struct {
	// Level is "char" or "byte".
	Level string
	// Tokens holds the token of each id.
	Tokens []string
	index  map[string]int32
	runes  map[rune]int32 // the single-rune tokens, by code point
}

// maxVocabFile bounds a vocabulary file (16 MiB).
const maxVocabFile = 16 << 20

// NewVocab checks and indexes a vocabulary: the level is "char" or
// "byte", tokens are distinct and not empty, and at byte level every
// one-character token is below U+0100.
func NewVocab(level string, tokens []string) (*Vocab, error) {
	if level != "char" && level != "byte" {
		return nil, fmt.Errorf("vocabulary level %q is not \"char\" or \"byte\"", level)
	}
	if len(tokens) == 0 || len(tokens) > 1<<24 {
		return nil, fmt.Errorf("a vocabulary has 1 to %d tokens, got %d", 1<<24, len(tokens))
	}
	v := &Vocab{Level: level, Tokens: tokens, index: make(map[string]int32, len(tokens)), runes: map[rune]int32{}}
	for i, t := range tokens {
		if t == "" || !utf8.ValidString(t) {
			return nil, fmt.Errorf("vocabulary token %d is empty or not valid UTF-8", i)
		}
		if _, dup := v.index[t]; dup {
			return nil, fmt.Errorf("vocabulary token %q appears twice", t)
		}
		v.index[t] = int32(i)
		if c, size := utf8.DecodeRuneInString(t); size == len(t) {
			if level == "byte" && c > 0xff {
				return nil, fmt.Errorf("byte-level token %q is not a byte", t)
			}
			v.runes[c] = int32(i)
		}
	}
	return v, nil
}

// Len is the number of tokens.
func (v *Vocab) Len() int { return len(v.Tokens) }

// ID returns the id of a token and whether the vocabulary has it.
func (v *Vocab) ID(token string) (int32, bool) {
	id, ok := v.index[token]
	return id, ok
}

// Decode turns ids into text: characters as they are, bytes as bytes.
func (v *Vocab) Decode(ids []int32) (string, error) {
	var sb strings.Builder
	for i, id := range ids {
		if id < 0 || int(id) >= len(v.Tokens) {
			return "", fmt.Errorf("id %d (position %d) is outside the vocabulary of %d tokens", id, i, len(v.Tokens))
		}
		t := v.Tokens[id]
		if c, size := utf8.DecodeRuneInString(t); v.Level == "byte" && size == len(t) {
			sb.WriteByte(byte(c))
		} else {
			sb.WriteString(t)
		}
	}
	return sb.String(), nil
}

// vocabFile is the JSON form of a vocabulary.
type vocabFile struct {
	Level  string   `json:"level"`
	Tokens []string `json:"tokens"`
}

// SaveVocab writes v as a small JSON file ({"level": "char", "tokens":
// ["\n", " ", ...]}) through a temporary file and a rename.
func SaveVocab(path string, v *Vocab) error {
	b, err := EncodeVocab(v)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// EncodeVocab is the JSON SaveVocab writes (without its final newline),
// which ParseVocab reads back.
func EncodeVocab(v *Vocab) ([]byte, error) {
	return json.Marshal(vocabFile{Level: v.Level, Tokens: v.Tokens})
}

// LoadVocab reads a vocabulary written by SaveVocab (at most 16 MiB).
func LoadVocab(path string) (*Vocab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxVocabFile+1))
	if err != nil {
		return nil, fileErr(path, "reading: %v", err)
	}
	if len(b) > maxVocabFile {
		return nil, fileErr(path, "a vocabulary file is at most %d bytes", maxVocabFile)
	}
	return ParseVocab(b, path)
}

// ParseVocab decodes a vocabulary file held in memory.
func ParseVocab(b []byte, name string) (*Vocab, error) {
	var vf vocabFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vf); err != nil {
		return nil, fileErr(name, "not a vocabulary file: %v", err)
	}
	v, err := NewVocab(vf.Level, vf.Tokens)
	if err != nil {
		return nil, fileErr(name, "%v", err)
	}
	return v, nil
}
