package nnc

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"unicode/utf8"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/tensor"
)

// text loads text("file.txt", seq = 128, split = [0.9, 0.1], level =
// "char"): the file's characters (or bytes) as ids, divided into
// contiguous parts by the split (the first fraction trains, the next
// validates, the last tests), cut into windows of seq ids ("x", i32[n,
// seq]) with the ids that follow each ("y", the next-token targets). The
// vocabulary is the training part's distinct characters, sorted by code
// point (every byte 0..255 at level "byte"). The training windows start at
// a random offset in [0, seq) drawn for every epoch from the seed; the
// validation and test windows at offset 0.
func (l *loader) text() (*dataSets, error) {
	file := l.path("file")
	filePath := l.argPath("file")
	seq := int(l.call.Kwargs["seq"].(int64))
	limit := l.opts.MaxBytes
	if limit == 0 {
		limit = data.DefaultMaxBytes()
	}
	raw, err := readBounded(file, limit/24) // a character takes 24 bytes while it is turned into windows
	if err != nil {
		return nil, l.fileError(filePath, err)
	}
	ids, err := textIDs(raw, l.str("level", "char"), l.split, file)
	if err != nil {
		return nil, l.fileError(filePath, err)
	}
	sp := l.split
	if sp == (Split{}) {
		sp = DefaultSplit()
	}
	n := len(ids)
	a := int(math.Round(sp.Train * float64(n)))
	b := a + int(math.Round(sp.Val*float64(n)))
	if sp.Test == 0 {
		b = n
	}
	a, b = min(a, n), min(b, n)
	out := &dataSets{labels: "y"}
	w, err := newWindows(ids[:a], seq, l.seed)
	if err != nil {
		return nil, l.errorf(lang.CodeValue, []string{"seq"}, "%s: the training part: %v", file, err)
	}
	out.train = w.d
	out.resample = w.draw
	for i, part := range [][]int32{ids[a:b], ids[b:]} {
		if sp.Val == 0 && i == 0 || sp.Test == 0 && i == 1 {
			continue
		}
		v, err := newWindows(part, seq, 0)
		if err != nil {
			return nil, l.errorf(lang.CodeValue, []string{"seq"}, "%s: the %s part: %v", file, []string{"validation", "test"}[i], err)
		}
		v.fill(0)
		if i == 0 {
			out.val = v.d
		} else {
			out.test = v.d
		}
	}
	return out, nil
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: more than the limit of %d bytes", path, limit)
	}
	return b, nil
}

// textIDs turns text into ids: bytes as themselves at level "byte"; at
// level "char", characters as their rank among the distinct characters of
// the training part (by the split's first fraction). A character outside
// that vocabulary, or bytes that are not UTF-8, are an error naming the
// byte offset.
func textIDs(raw []byte, level string, sp Split, file string) ([]int32, error) {
	if level == "byte" {
		ids := make([]int32, len(raw))
		for i, c := range raw {
			ids[i] = int32(c)
		}
		return ids, nil
	}
	runes := make([]rune, 0, len(raw))
	offs := make([]int, 0, len(raw))
	for off := 0; off < len(raw); {
		r, size := utf8.DecodeRune(raw[off:])
		if r == utf8.RuneError && size <= 1 {
			return nil, fmt.Errorf("%s: byte offset %d: not UTF-8 (read the file with level = \"byte\")", file, off)
		}
		runes = append(runes, r)
		offs = append(offs, off)
		off += size
	}
	if sp == (Split{}) {
		sp = DefaultSplit()
	}
	a := min(int(math.Round(sp.Train*float64(len(runes)))), len(runes))
	seen := map[rune]bool{}
	for _, r := range runes[:a] {
		seen[r] = true
	}
	vocab := make([]rune, 0, len(seen))
	for r := range seen {
		vocab = append(vocab, r)
	}
	slices.Sort(vocab)
	id := make(map[rune]int32, len(vocab))
	for i, r := range vocab {
		id[r] = int32(i)
	}
	ids := make([]int32, len(runes))
	for i, r := range runes {
		v, ok := id[r]
		if !ok {
			return nil, fmt.Errorf("%s: byte offset %d: %q is not among the %d characters of the training part", file, offs[i], r, len(vocab))
		}
		ids[i] = v
	}
	return ids, nil
}

// windows cuts a stream of ids into n windows of seq ids ("x") and the ids
// one step later ("y"), n fixed so that every offset in [0, seq) fits.
type windows struct {
	ids  []int32
	seq  int
	seed uint64
	d    *data.Dataset
}

func newWindows(ids []int32, seq int, seed uint64) (*windows, error) {
	n := (len(ids) - seq) / seq
	if len(ids) < seq+1 || n < 1 {
		n = 0
	}
	if n < 1 {
		return nil, fmt.Errorf("%d ids are too few for a window of seq = %d and its next ids (want at least %d)", len(ids), seq, 2*seq)
	}
	x, y := tensor.New(tensor.I32, n, seq), tensor.New(tensor.I32, n, seq)
	d := &data.Dataset{Arrays: map[string]*tensor.Tensor{"x": x, "y": y}}
	return &windows{ids: ids, seq: seq, seed: seed, d: d}, nil
}

// fill cuts the windows starting at offset off: window k holds ids
// [off + k·seq, off + (k+1)·seq).
func (w *windows) fill(off int) {
	x, y := w.d.Arrays["x"], w.d.Arrays["y"]
	n := x.Shape[0]
	for k := range n {
		s := off + k*w.seq
		copy(x.I32[k*w.seq:(k+1)*w.seq], w.ids[s:s+w.seq])
		copy(y.I32[k*w.seq:(k+1)*w.seq], w.ids[s+1:s+1+w.seq])
	}
}

// draw fills the windows of epoch e (from 1) at an offset drawn from the
// seed and e.
func (w *windows) draw(e int) error {
	r := rand.New(rand.NewPCG(w.seed, uint64(e)))
	w.fill(r.IntN(w.seq))
	return nil
}
