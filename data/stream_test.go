package data

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// drain reads epoch e of s and returns every example as a string of its
// arrays' values (names sorted), in order.
func drain(t *testing.T, s *Stream, e int) []string {
	t.Helper()
	var out []string
	s.Start(t.Context(), e)
	for s.Next() {
		b := s.Batch()
		names := make([]string, 0, len(b.Arrays))
		for n := range b.Arrays {
			names = append(names, n)
		}
		slices.Sort(names)
		for i := range b.Size {
			var sb strings.Builder
			for _, n := range names {
				a := b.Arrays[n]
				w := rowLen(a)
				fmt.Fprintf(&sb, "%s=", n)
				for j := range w {
					fmt.Fprintf(&sb, "%v,", a.At(i*w+j))
				}
				sb.WriteByte(';')
			}
			out = append(out, sb.String())
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rowsOf returns the rows of d as drain writes them.
func rowsOf(d *Dataset) []string {
	names := d.Names()
	slices.Sort(names)
	var out []string
	for i := range d.Len() {
		var sb strings.Builder
		for _, n := range names {
			a := d.Arrays[n]
			w := rowLen(a)
			fmt.Fprintf(&sb, "%s=", n)
			for j := range w {
				fmt.Fprintf(&sb, "%v,", a.At(i*w+j))
			}
			sb.WriteByte(';')
		}
		out = append(out, sb.String())
	}
	return out
}

// sorted is a sorted copy (the multiset of examples).
func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wholeWindows cuts ids as the whole-file reader (train_text.go) does:
// (len - seq) / seq windows from offset off.
func wholeWindows(ids []int32, seq, off int) []string {
	n := (len(ids) - seq) / seq
	x, y := tensor.New(tensor.I32, n, seq), tensor.New(tensor.I32, n, seq)
	for k := range n {
		s := off + k*seq
		copy(x.I32[k*seq:], ids[s:s+seq])
		copy(y.I32[k*seq:], ids[s+1:s+1+seq])
	}
	return rowsOf(&Dataset{Arrays: map[string]*tensor.Tensor{"x": x, "y": y}})
}

// TestTextStreamSameWindows: every epoch of a streamed text yields the
// multiset of windows the whole-file reader cuts from ReadText's ids at
// the offset drawn for that epoch (rand.PCG(seed, epoch), as
// train_text.go draws it), with the same vocabulary built from the
// training part, and the validation set is the whole-file reader's
// validation windows at offset 0.
func TestTextStreamSameWindows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for range 3000 {
		sb.WriteRune([]rune("abcdefgh é€\n")[r.IntN(12)])
	}
	path := writeTemp(t, "t.txt", sb.String())
	const seq, seed = 7, 11
	whole, err := ReadText(path, TextOptions{VocabTo: 0.8})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := OpenTextStream(path, TextStreamOptions{Seq: seq, Train: 0.8, Val: 0.2, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ts.Vocab.Tokens, whole.Vocab.Tokens) {
		t.Fatalf("vocabulary %q, whole-file %q", ts.Vocab.Tokens, whole.Vocab.Tokens)
	}
	// The same text gzipped streams the same windows.
	zs, err := OpenTextStream(writeTemp(t, "t.txt.gz", string(gz([]byte(sb.String())))), TextStreamOptions{Seq: seq, Train: 0.8, Val: 0.2, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	zst, err := NewStream(zs, StreamOptions{PrefetchOptions: PrefetchOptions{Size: 16, Shuffle: true, Seed: 3}, Buffer: 50})
	if err != nil {
		t.Fatal(err)
	}
	gzEpoch := drain(t, zst, 2)
	zst.Close()
	n := len(whole.IDs)
	a := int(0.8 * float64(n))
	if ts.Tokens != n || ts.TrainWindows != (a-seq)/seq {
		t.Fatalf("%d tokens, %d windows; want %d and %d", ts.Tokens, ts.TrainWindows, n, (a-seq)/seq)
	}
	if got, want := rowsOf(ts.Val), wholeWindows(whole.IDs[a:], seq, 0); !slices.Equal(got, want) {
		t.Fatalf("validation windows differ: %d vs %d", len(got), len(want))
	}
	s, err := NewStream(ts, StreamOptions{PrefetchOptions: PrefetchOptions{Size: 16, Shuffle: true, Seed: 3}, Buffer: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	offsets := map[int]bool{}
	for e := range 4 {
		off := rand.New(rand.NewPCG(seed, uint64(e+1))).IntN(seq)
		offsets[off] = true
		got := drain(t, s, e)
		if want := wholeWindows(whole.IDs[:a], seq, off); !slices.Equal(sorted(got), sorted(want)) {
			t.Fatalf("epoch %d (offset %d): the streamed windows are not the whole-file windows", e, off)
		}
		if e == 2 && !slices.Equal(got, gzEpoch) {
			t.Fatalf("epoch 2 of the gzipped text differs")
		}
		if s.MaxHeld > 50 {
			t.Fatalf("the buffer held %d examples, more than its 50", s.MaxHeld)
		}
	}
	if len(offsets) < 2 {
		t.Errorf("four epochs drew one offset")
	}
	// Three parts: the validation and test sets are the whole-file
	// reader's windows of [a, b) and [b, n), the vocabulary that of the
	// first 60%.
	whole, err = ReadText(path, TextOptions{VocabTo: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	ts, err = OpenTextStream(path, TextStreamOptions{Seq: seq, Train: 0.6, Val: 0.2, Test: 0.2, EvalMax: 20})
	if err != nil {
		t.Fatal(err)
	}
	a = int(0.6 * float64(n))
	b := a + int(0.2*float64(n))
	for k, c := range []struct {
		d    *Dataset
		part []int32
	}{{ts.Val, whole.IDs[a:b]}, {ts.Test, whole.IDs[b:]}, {ts.Sample, whole.IDs[:a]}} {
		if got, want := rowsOf(c.d), wholeWindows(c.part, seq, 0)[:20]; !slices.Equal(got, want) {
			t.Errorf("set %d: the first 20 windows differ from the whole file's", k)
		}
	}
}

// TestStreamOrder: the same seed gives the same order, another seed
// another order, a buffer of 1 without shuffling the file's order, and a
// buffer at least the epoch's size the same multiset; the buffer never
// holds more than its size (counted by the stream), and its arrays have
// Buffer rows.
func TestStreamOrder(t *testing.T) {
	var sb strings.Builder
	for i := range 400 {
		fmt.Fprintf(&sb, "{\"x\": %d, \"y\": [%d, %d]}\n", i, i%3, -i)
	}
	path := writeTemp(t, "r.jsonl", sb.String())
	js, err := OpenJSONLStream(path, JSONLStreamOptions{Train: 1})
	if err != nil {
		t.Fatal(err)
	}
	if js.Len() != 400 || js.Val != nil || js.Test != nil {
		t.Fatalf("%d records, sets %v %v", js.Len(), js.Val, js.Test)
	}
	epoch := func(seed uint64, buffer int, shuffle bool) []string {
		s, err := NewStream(js, StreamOptions{PrefetchOptions: PrefetchOptions{Size: 32, Shuffle: shuffle, Seed: seed}, Buffer: buffer})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		out := drain(t, s, 0)
		if s.MaxHeld > buffer || s.buf["x"].Shape[0] != min(buffer, 400) {
			t.Fatalf("buffer %d held %d examples in %d rows", buffer, s.MaxHeld, s.buf["x"].Shape[0])
		}
		return out
	}
	inOrder := epoch(1, 1, false)
	whole, err := ReadJSONL(path, JSONLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(inOrder, rowsOf(whole)) {
		t.Fatalf("without shuffling the stream is not the file's order")
	}
	a, b, c := epoch(5, 64, true), epoch(5, 64, true), epoch(6, 64, true)
	if !slices.Equal(a, b) {
		t.Errorf("seed 5 gave two orders")
	}
	if slices.Equal(a, c) || slices.Equal(a, inOrder) {
		t.Errorf("seeds 5 and 6 (or the file) gave the same order")
	}
	if !slices.Equal(sorted(a), sorted(inOrder)) || !slices.Equal(sorted(epoch(9, 1000, true)), sorted(inOrder)) {
		t.Errorf("a shuffled epoch is not the file's records")
	}
}

// TestJSONLStreamMatchesWhole: a streamed ragged JSON Lines file (padded
// field and mask) yields the whole-file reader's rows, and its split
// parts are disjoint and cover every record, each record's part given by
// RecordPart.
func TestJSONLStreamMatchesWhole(t *testing.T) {
	path := filepath.Join("..", "testdata", "train", "ragged.jsonl")
	o := JSONLOptions{Pad: map[string]float64{"ids": 0}}
	whole, err := ReadJSONL(path, o)
	if err != nil {
		t.Fatal(err)
	}
	all, err := OpenJSONLStream(path, JSONLStreamOptions{JSONLOptions: o, Train: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStream(all, StreamOptions{PrefetchOptions: PrefetchOptions{Size: 5, Shuffle: true, Seed: 2}, Buffer: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sorted(drain(t, s, 0)), sorted(rowsOf(whole)); !slices.Equal(got, want) {
		t.Fatalf("streamed rows differ from the whole file's:\n%v\n%v", got, want)
	}
	s.Close()
	split, err := OpenJSONLStream(path, JSONLStreamOptions{JSONLOptions: o, Train: 0.5, Val: 0.25, Test: 0.25, EvalMax: 1000})
	if err != nil {
		t.Fatal(err)
	}
	rows := rowsOf(whole)
	var parts [3][]string
	for i, r := range rows {
		k := RecordPart(int64(i), 0.5, 0.25)
		parts[k] = append(parts[k], r)
	}
	for k, d := range []*Dataset{split.Sample, split.Val, split.Test} {
		if got := rowsOf(d); !slices.Equal(got, parts[k]) || split.Counts[k] != len(parts[k]) {
			t.Errorf("part %d: %d rows (count %d), want %d", k, len(got), split.Counts[k], len(parts[k]))
		}
	}
	if split.Counts[0]+split.Counts[1]+split.Counts[2] != len(rows) || split.Counts[1] == 0 || split.Counts[2] == 0 {
		t.Errorf("parts %v of %d records", split.Counts, len(rows))
	}
	// With little memory the first pass cannot keep the evaluation sets'
	// lines (a quarter of 8000 bytes): a second pass reads the same sets.
	o.MaxBytes = 8000
	again, err := OpenJSONLStream(path, JSONLStreamOptions{JSONLOptions: o, Train: 0.5, Val: 0.25, Test: 0.25, EvalMax: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for k, d := range []*Dataset{again.Sample, again.Val, again.Test} {
		if !slices.Equal(rowsOf(d), parts[k]) || !slices.Equal(d.Source.Rows, []*Dataset{split.Sample, split.Val, split.Test}[k].Source.Rows) {
			t.Errorf("part %d read twice differs", k)
		}
	}
}

// TestStreamHostile: a line over the limit, UTF-8 cut short, a bad JSON
// record in the middle and a string where numbers were are errors naming
// the line (and column); so is a text token outside a given vocabulary.
func TestStreamHostile(t *testing.T) {
	defer func(old int64) { maxLine = old }(maxLine)
	maxLine = 1 << 10
	good := strings.Repeat("{\"x\": [1, 2], \"y\": 1}\n", 20)
	for _, c := range []struct{ name, body, want string }{
		{"long.jsonl", good + "{\"x\": [" + strings.Repeat("1, ", 2000) + "1], \"y\": 1}\n" + good, "long.jsonl:21: the line is longer"},
		{"bad.jsonl", good + "{\"x\": [1, 2], \"y\": \n" + good, "bad.jsonl:21: not a JSON object"},
		{"kind.jsonl", good + "{\"x\": \"a\", \"y\": 1}\n", "kind.jsonl:21: field \"x\": a string where earlier records have a number"},
	} {
		_, err := OpenJSONLStream(writeTemp(t, c.name, c.body), JSONLStreamOptions{Train: 1})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	// A file changed after it was opened: an error at the epoch, not a
	// wrong example.
	for _, changed := range []string{
		"{\"ids\": [1, 2, 3, 4, 5], \"y\": \"a\"}\n",
		"{\"ids\": [1], \"y\": \"c\"}\n",
		"{\"ids\": [1], \"y\": 2}\n",
	} {
		path := writeTemp(t, "c.jsonl", strings.Repeat("{\"ids\": [1, 2], \"y\": \"a\"}\n{\"ids\": [3], \"y\": \"b\"}\n", 5))
		js, err := OpenJSONLStream(path, JSONLStreamOptions{JSONLOptions: JSONLOptions{Pad: map[string]float64{"ids": 0}}, Train: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(strings.Repeat(changed, 10)), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := NewStream(js, StreamOptions{PrefetchOptions: PrefetchOptions{Size: 4, Shuffle: true}, Buffer: 4})
		if err != nil {
			t.Fatal(err)
		}
		s.Start(t.Context(), 0)
		for s.Next() {
		}
		if err := s.Err(); err == nil || !strings.Contains(err.Error(), "c.jsonl:1:") {
			t.Errorf("%q after opening: got %v", changed, err)
		}
		s.Close()
	}
	_, err := OpenTextStream(writeTemp(t, "cut.txt", strings.Repeat("héllo\n", 40)+"ab\xe2\x82"), TextStreamOptions{Seq: 4, Train: 1})
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Line != 41 || fe.Col != 3 || !strings.Contains(err.Error(), "invalid UTF-8") {
		t.Errorf("UTF-8 cut short: got %v, want line 41 column 3", err)
	}
	v, err := NewVocab("char", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenTextStream(writeTemp(t, "v.txt", strings.Repeat("ab", 50)+"\nc"), TextStreamOptions{TextOptions: TextOptions{Vocab: v}, Seq: 4, Train: 1})
	if err == nil || !strings.Contains(err.Error(), "v.txt:1:101: '\\n' is not in the vocabulary") {
		t.Errorf("token outside the vocabulary: got %v", err)
	}
}
