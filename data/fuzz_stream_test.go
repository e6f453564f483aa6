package data

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Fuzz targets of the streaming readers: on any input they agree with the
// whole-file readers — both fail (the stream with a *FormatError) or both
// read, and then an epoch of the stream holds the whole-file reader's
// examples. Run one longer with go test -fuzz FuzzJSONLStream ./data.

func FuzzJSONLStream(f *testing.F) {
	b, err := os.ReadFile("testdata/rows.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, uint8(3))
	f.Add([]byte(`{"x": [[1, 2], [3, 4]], "y": "a"}`+"\n"+`{"x": [[5, 6], [7, 8]], "y": "b"}`), uint8(1))
	f.Add([]byte(`{"a": true}`+"\n\n"+`{"a": false}`), uint8(0))
	f.Add(gz([]byte(`{"v": 1.5}`)), uint8(2))
	f.Add([]byte(`{"ids": [1, 2, 3], "y": 1}`+"\n"+`{"ids": [], "y": 0}`+"\n"+`{"ids": [4, 5, 6, 7, 8], "y": 0}`), uint8(4))
	f.Fuzz(func(t *testing.T, b []byte, buffer uint8) {
		path := filepath.Join(t.TempDir(), "f.jsonl")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, o := range []JSONLOptions{{}, {Pad: map[string]float64{"ids": -1}, MaxLen: 4, Truncate: len(b)%2 == 0}} {
			o.MaxBytes = 1 << 24
			whole, werr := DecodeJSONL(bytes.NewReader(b), path, o)
			js, serr := OpenJSONLStream(path, JSONLStreamOptions{JSONLOptions: o, Train: 1})
			checkFormatErr(t, serr)
			if (werr == nil) != (serr == nil) {
				t.Fatalf("whole file: %v; stream: %v", werr, serr)
			}
			if werr != nil {
				continue
			}
			s, err := NewStream(js, StreamOptions{PrefetchOptions: PrefetchOptions{Size: 3, Shuffle: true, Seed: uint64(buffer)}, Buffer: int(buffer) + 1})
			if err != nil {
				t.Fatal(err)
			}
			got := drain(t, s, 0)
			s.Close()
			if want := rowsOf(whole); !slices.Equal(sorted(got), sorted(want)) {
				t.Fatalf("stream %v, whole file %v", got, want)
			}
		}
	})
}

func FuzzTextStream(f *testing.F) {
	b, err := os.ReadFile("testdata/shakespeare_head.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:300], false, uint8(5), "")
	f.Add([]byte("ab\nc\xffdabcabcabc"), true, uint8(2), "?")
	f.Add([]byte("héllo wörld, héllo"), false, uint8(3), "<unk>")
	f.Fuzz(func(t *testing.T, b []byte, asBytes bool, seq uint8, unknown string) {
		path := filepath.Join(t.TempDir(), "f.txt")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		o := TextOptions{Bytes: asBytes, Unknown: unknown}
		q := int(seq%8) + 1
		whole, werr := ReadText(path, o)
		ts, serr := OpenTextStream(path, TextStreamOptions{TextOptions: o, Seq: q, Train: 1, Seed: uint64(seq)})
		if werr != nil {
			if serr == nil {
				t.Fatalf("whole file: %v; the stream read it", werr)
			}
			return
		}
		if _, cerr := windowCount(len(whole.IDs), q); (cerr == nil) != (serr == nil) {
			t.Fatalf("%d ids, seq %d: stream %v", len(whole.IDs), q, serr)
		}
		if serr != nil {
			return
		}
		if !slices.Equal(ts.Vocab.Tokens, whole.Vocab.Tokens) {
			t.Fatalf("vocabulary %q, whole file %q", ts.Vocab.Tokens, whole.Vocab.Tokens)
		}
		s, err := NewStream(ts, StreamOptions{PrefetchOptions: PrefetchOptions{Size: 4, Shuffle: true}, Buffer: 3})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		got := drain(t, s, 1)
		if want := wholeWindows(whole.IDs, q, ts.Offset(1)); !slices.Equal(sorted(got), sorted(want)) {
			t.Fatalf("stream %v, whole file %v", got, want)
		}
	})
}
