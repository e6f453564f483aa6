package data

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReadText reads the head of tinyshakespeare character by character
// and compares the vocabulary and every id with Python's (make_text.py);
// a vocabulary built from the first half misses a character of the second,
// which is an error at its line and column, or the unknown token.
func TestReadText(t *testing.T) {
	b, err := os.ReadFile("testdata/text_expect.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Vocab        []string `json:"vocab"`
		IDs          []int32  `json:"ids"`
		HalfVocab    []string `json:"half_vocab"`
		FirstMissing struct {
			Char      string
			Line, Col int
		} `json:"first_missing"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	path := "testdata/shakespeare_head.txt"
	txt, err := ReadText(path, TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(txt.Vocab.Tokens, "") != strings.Join(want.Vocab, "") || !equalI32(txt.IDs, want.IDs) {
		t.Fatalf("vocabulary %q (%d ids), want %q (%d)", txt.Vocab.Tokens, len(txt.IDs), want.Vocab, len(want.IDs))
	}
	if s, err := txt.Decode(txt.IDs); err != nil || s != mustRead(t, path) {
		t.Errorf("decoding the ids does not give the text back: %v", err)
	}
	_, err = ReadText(path, TextOptions{VocabTo: 0.5})
	wantErr := path + ":" + itoa(want.FirstMissing.Line) + ":" + itoa(want.FirstMissing.Col) + `: '` + want.FirstMissing.Char + `' is not in the vocabulary (48 tokens`
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Errorf("a character missing from the vocabulary: %v, want %q", err, wantErr)
	}
	half, err := ReadText(path, TextOptions{VocabTo: 0.5, Unknown: "<unk>"})
	if err != nil {
		t.Fatal(err)
	}
	if got := half.Vocab.Tokens; len(got) != len(want.HalfVocab)+1 || got[len(got)-1] != "<unk>" || strings.Join(got[:len(got)-1], "") != strings.Join(want.HalfVocab, "") {
		t.Errorf("half vocabulary %q", got)
	}
	// Save, load, and read again with the saved vocabulary.
	vp := filepath.Join(t.TempDir(), "vocab.json")
	if err := SaveVocab(vp, txt.Vocab); err != nil {
		t.Fatal(err)
	}
	v, err := LoadVocab(vp)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ReadText(path, TextOptions{Vocab: v})
	if err != nil || !equalI32(again.IDs, want.IDs) {
		t.Errorf("with the saved vocabulary: %v", err)
	}
	if _, err := ReadText(path, TextOptions{Vocab: v, Bytes: true}); err == nil || !strings.Contains(err.Error(), "char-level") {
		t.Errorf("a char vocabulary for bytes: %v", err)
	}
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestReadTextBytesAndErrors: byte level reads any bytes; invalid UTF-8 at
// character level is an error at its line and column; bad vocabulary files
// are refused.
func TestReadTextBytesAndErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t.txt")
	os.WriteFile(p, []byte("ab\nc\xffd"), 0o644)
	_, err := ReadText(p, TextOptions{})
	if err == nil || !strings.Contains(err.Error(), p+":2:2: invalid UTF-8 (byte 0xff at offset 4)") {
		t.Errorf("invalid UTF-8: %v", err)
	}
	txt, err := ReadText(p, TextOptions{Bytes: true})
	if err != nil {
		t.Fatal(err)
	}
	// Bytes sorted: \n a b c d \xff.
	if !equalI32(txt.IDs, []int32{1, 2, 0, 3, 5, 4}) || txt.Vocab.Len() != 6 {
		t.Errorf("bytes: ids %v, vocab %q", txt.IDs, txt.Vocab.Tokens)
	}
	if s, _ := txt.Decode(txt.IDs); s != "ab\nc\xffd" {
		t.Errorf("bytes decode to %q", s)
	}
	for src, want := range map[string]string{
		`{"level": "word", "tokens": ["a"]}`:      `level "word"`,
		`{"level": "char", "tokens": ["a", "a"]}`: `"a" appears twice`,
		`{"level": "byte", "tokens": ["é", "ŀ"]}`: `"ŀ" is not a byte`,
		`{"level": "char", "tokens": []}`:         `1 to 16777216 tokens`,
		`{"level": "char", "tokens": [""]}`:       `empty`,
		`{"level": "char", "tokenz": ["a"]}`:      `unknown field`,
		`[`:                                       `not a vocabulary file`,
	} {
		if _, err := ParseVocab([]byte(src), "v.json"); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "v.json: ") {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
	if _, err := ReadText(p, TextOptions{Options: Options{MaxBytes: 3}}); err == nil || !strings.Contains(err.Error(), "limit of 3 bytes") {
		t.Errorf("over the limit: %v", err)
	}
}
