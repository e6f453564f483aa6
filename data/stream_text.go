package data

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"unicode/utf8"

	"github.com/nnclang/nnc/tensor"
)

// DefaultEvalMax is the number of examples a stream keeps in memory for
// each of its validation and test sets and its training-set sample when
// StreamEval gives none.
const DefaultEvalMax = 10000

// TextStreamOptions configures OpenTextStream.
type TextStreamOptions struct {
	// Bytes, Vocab and Unknown are as in TextOptions (VocabFrom and VocabTo
	// are taken from Split: the vocabulary is built from the training
	// part).
	TextOptions
	// Seq is the window length.
	Seq int
	// Train, Val and Test are the split's fractions of the tokens: the
	// first Train·n tokens train, the next Val·n validate, the rest test
	// (with Test 0 the validation part runs to the end), as the whole-file
	// reader divides them.
	Train, Val, Test float64
	// Seed draws each epoch's window offset, as the whole-file reader does.
	Seed uint64
	// EvalMax bounds the windows kept in memory for the validation and
	// test sets and the training sample (the first windows of each part);
	// 0 means DefaultEvalMax.
	EvalMax int
}

// TextStream is a text read from disk window by window: an ExampleSource
// of the training part's windows ("x" and "y", i32 [seq] each), epoch e's
// windows starting at the offset the whole-file reader draws for it, so
// that an epoch holds the same windows as there. Only the vocabulary and
// the bounded evaluation sets stay in memory.
type TextStream struct {
	// File is the file read.
	File string
	// Vocab is the vocabulary: given, or built from the training part.
	Vocab *Vocab
	// Tokens is the number of tokens of the whole text; TrainWindows the
	// windows of an epoch.
	Tokens, TrainWindows int
	// Sample holds the first windows (offset 0) of the training part, Val
	// and Test those of the validation and test parts (nil for an empty
	// part), at most EvalMax each.
	Sample, Val, Test *Dataset
	o                 TextStreamOptions
	a, b              int // the parts' boundaries, in tokens
	lut               []int32
	unk               int32
}

// tokenReader reads a text token by token, tracking line and column.
type tokenReader struct {
	name      string
	br        *bufio.Reader
	bytes     bool
	line, col int
	off       int64
	// at is the line and column of the token next returned.
	atLine, atCol int
}

// openTokens opens path (gzipped or not) for reading tokens.
func openTokens(path string, asBytes bool) (*tokenReader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := maybeGunzip(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return &tokenReader{name: path, br: bufio.NewReaderSize(r, 1<<16), bytes: asBytes, line: 1, col: 1}, func() { f.Close() }, nil
}

// next returns the next token; ok is false at the end of the text.
func (t *tokenReader) next() (c rune, ok bool, err error) {
	t.atLine, t.atCol = t.line, t.col
	var size int
	if t.bytes {
		var b byte
		b, err = t.br.ReadByte()
		c, size = rune(b), 1
	} else {
		c, size, err = t.br.ReadRune()
	}
	if err == io.EOF {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fileErr(t.name, "reading: %v", err)
	}
	if !t.bytes && c == utf8.RuneError && size == 1 {
		t.br.UnreadRune()
		b, _ := t.br.ReadByte()
		return 0, false, &FormatError{File: t.name, Line: t.line, Col: t.col, Msg: fmt.Sprintf("invalid UTF-8 (byte %#x at offset %d); read the text as bytes", b, t.off)}
	}
	t.off += int64(size)
	if c == '\n' {
		t.line, t.col = t.line+1, 1
	} else {
		t.col++
	}
	return c, true, nil
}

// OpenTextStream reads a text file twice, with memory bounded by the
// vocabulary and EvalMax: once to count its tokens (checking its UTF-8),
// once to build the vocabulary from the training part (unless given), to
// check every token against it, and to keep the first windows of the
// validation and test parts; then it reads the training sample.
func OpenTextStream(path string, o TextStreamOptions) (*TextStream, error) {
	if o.Seq < 1 {
		return nil, fmt.Errorf("data: TextStreamOptions.Seq is %d, want at least 1", o.Seq)
	}
	if o.EvalMax == 0 {
		o.EvalMax = DefaultEvalMax
	}
	if o.EvalMax < 1 {
		return nil, fmt.Errorf("data: TextStreamOptions.EvalMax is %d, want at least 1", o.EvalMax)
	}
	level := map[bool]string{false: "char", true: "byte"}[o.Bytes]
	if o.Vocab != nil && o.Vocab.Level != level {
		return nil, fmt.Errorf("data: the vocabulary is %s-level, the text is read at %s level", o.Vocab.Level, level)
	}
	s := &TextStream{File: path, Vocab: o.Vocab, o: o}
	n := 0
	if err := s.scan(func(rune, *tokenReader) error { n++; return nil }); err != nil {
		return nil, err
	}
	s.Tokens = n
	s.a = min(int(o.Train*float64(n)), n)
	s.b = min(s.a+int(o.Val*float64(n)), n)
	if o.Test == 0 {
		s.b = n
	}
	nw, err := windowCount(s.a, o.Seq)
	if err != nil {
		return nil, fmt.Errorf("%s: the training part: %v", path, err)
	}
	s.TrainWindows = nw
	if err := s.second(); err != nil {
		return nil, err
	}
	if s.Sample, err = s.windowSet(0, s.a); err != nil {
		return nil, err
	}
	return s, nil
}

// windowCount is the number of windows of seq ids a part of n ids holds
// at every offset in [0, seq), as the whole-file reader cuts them.
func windowCount(n, seq int) (int, error) {
	k := (n - seq) / seq
	if n < seq+1 || k < 1 {
		return 0, fmt.Errorf("%d ids are too few for a window of seq = %d and its next ids (want at least %d)", n, seq, 2*seq)
	}
	return k, nil
}

// scan reads every token of the file.
func (s *TextStream) scan(f func(rune, *tokenReader) error) error {
	t, closeFile, err := openTokens(s.File, s.o.Bytes)
	if err != nil {
		return err
	}
	defer closeFile()
	for {
		c, ok, err := t.next()
		if err != nil || !ok {
			return err
		}
		if err := f(c, t); err != nil {
			return err
		}
	}
}

// second builds the vocabulary from the training part (unless given),
// checks every token against it, and keeps the first windows (offset 0)
// of the validation and test parts.
func (s *TextStream) second() error {
	var sinks [2]*windowSink
	for k, part := range [][3]int{{s.a, s.b}, {s.b, s.Tokens}} {
		if []float64{s.o.Val, s.o.Test}[k] == 0 {
			continue
		}
		var err error
		if sinks[k], err = s.newSink(part[0], part[1]); err != nil {
			return fmt.Errorf("%s: the %s part: %v", s.File, []string{"validation", "test"}[k], err)
		}
	}
	seen := &runeSet{small: make([]bool, 1<<16), big: map[rune]bool{}}
	if s.Vocab != nil {
		s.index()
	}
	i := 0
	err := s.scan(func(c rune, t *tokenReader) error {
		if i == s.a && s.Vocab == nil {
			if err := s.makeVocab(seen); err != nil {
				return err
			}
		}
		i++
		if s.Vocab == nil {
			seen.add(c)
			return nil
		}
		id, ok := s.id(c)
		if !ok {
			return colErr(s.File, t.atLine, t.atCol, "%q is not in the vocabulary (%d tokens; set an unknown token to map such tokens to it)", c, len(s.Vocab.Tokens))
		}
		if at := i - 1; at >= s.a {
			k := 0 // validation
			if at >= s.b {
				k = 1 // test
			}
			if sinks[k] != nil {
				sinks[k].push(id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.Vocab == nil {
		if err := s.makeVocab(seen); err != nil {
			return err
		}
	}
	if sinks[0] != nil {
		s.Val = sinks[0].dataset(s.File)
	}
	if sinks[1] != nil {
		s.Test = sinks[1].dataset(s.File)
	}
	return nil
}

// windowSink keeps the first windows of a part.
type windowSink struct {
	w    *windower
	x, y *tensor.Tensor
}

// newSink prepares to keep the windows at offset 0 of the tokens [from,
// to), at most EvalMax.
func (s *TextStream) newSink(from, to int) (*windowSink, error) {
	nw, err := windowCount(to-from, s.o.Seq)
	if err != nil {
		return nil, err
	}
	nw = min(nw, s.o.EvalMax)
	seq := s.o.Seq
	return &windowSink{w: &windower{seq: seq, want: nw, cur: make([]int32, 0, seq+1)},
		x: tensor.New(tensor.I32, nw, seq), y: tensor.New(tensor.I32, nw, seq)}, nil
}

// push adds the part's next id.
func (k *windowSink) push(id int32) {
	w := k.w
	if w.push(id) {
		copy(k.x.I32[w.got*w.seq:], w.cur[:w.seq])
		copy(k.y.I32[w.got*w.seq:], w.cur[1:])
		w.shift()
	}
}

// dataset is the windows kept.
func (k *windowSink) dataset(file string) *Dataset {
	return &Dataset{Arrays: map[string]*tensor.Tensor{"x": k.x, "y": k.y}, Source: &Source{File: file}}
}

// runeSet is a set of code points: a table below 2^16, a map above.
type runeSet struct {
	small []bool
	big   map[rune]bool
}

func (r *runeSet) add(c rune) {
	if c >= 0 && c < 1<<16 {
		r.small[c] = true
	} else {
		r.big[c] = true
	}
}

// makeVocab numbers the tokens seen.
func (s *TextStream) makeVocab(seen *runeSet) error {
	rs := make([]rune, 0, len(seen.big))
	for c, ok := range seen.small {
		if ok {
			rs = append(rs, rune(c))
		}
	}
	for c := range seen.big {
		rs = append(rs, c)
	}
	v, err := buildVocab(s.level(), rs, s.o.Unknown)
	if err != nil {
		return fmt.Errorf("%s: %v", s.File, err)
	}
	s.Vocab = v
	s.index()
	return nil
}

// level is the level the text is read at.
func (s *TextStream) level() string {
	if s.o.Bytes {
		return "byte"
	}
	return "char"
}

// index makes the lookup table of the ids of code points below 2^16.
func (s *TextStream) index() {
	s.lut = make([]int32, 1<<16)
	for i := range s.lut {
		s.lut[i] = -1
	}
	for c, id := range s.Vocab.runes {
		if c < 1<<16 {
			s.lut[c] = id
		}
	}
	s.unk = -1
	if id, ok := s.Vocab.index[s.o.Unknown]; ok && s.o.Unknown != "" {
		s.unk = id
	}
}

// id maps a token to its id (the unknown token's when it has none).
func (s *TextStream) id(c rune) (int32, bool) {
	id := int32(-1)
	if c >= 0 && c < 1<<16 {
		id = s.lut[c]
	} else if v, ok := s.Vocab.runes[c]; ok {
		id = v
	}
	if id < 0 {
		id = s.unk
	}
	return id, id >= 0
}

// windower cuts ids into windows of seq ids and the ids one step later,
// after skipping skip ids, at most want windows.
type windower struct {
	seq, skip, want, got int
	cur                  []int32
}

// push adds an id and reports whether a window is complete in w.cur
// (x = cur[:seq], y = cur[1:]); call shift after using it.
func (w *windower) push(id int32) bool {
	if w.skip > 0 {
		w.skip--
		return false
	}
	if w.got >= w.want {
		return false
	}
	w.cur = append(w.cur, id)
	return len(w.cur) == w.seq+1
}

// shift keeps the window's last id as the next one's first.
func (w *windower) shift() {
	w.got++
	w.cur[0] = w.cur[w.seq]
	w.cur = w.cur[:1]
}

// windowSet reads the windows at offset 0 of the tokens [from, to), at
// most EvalMax, into a dataset.
func (s *TextStream) windowSet(from, to int) (*Dataset, error) {
	k, err := s.newSink(from, to)
	if err != nil {
		return nil, err
	}
	k.w.skip = from
	t, closeFile, err := openTokens(s.File, s.o.Bytes)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	for k.w.got < k.w.want {
		c, ok, err := t.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fileErr(s.File, "the text ended early (did the file change?)")
		}
		id, ok := s.id(c)
		if !ok && k.w.skip == 0 {
			return nil, colErr(s.File, t.atLine, t.atCol, "%q is not in the vocabulary", c)
		}
		k.push(id)
	}
	return k.dataset(s.File), nil
}

// Template is a dataset of one window.
func (s *TextStream) Template() *Dataset {
	return &Dataset{Arrays: map[string]*tensor.Tensor{"x": tensor.New(tensor.I32, 1, s.o.Seq), "y": tensor.New(tensor.I32, 1, s.o.Seq)}}
}

// Len is the number of training windows of an epoch.
func (s *TextStream) Len() int { return s.TrainWindows }

// Offset is the offset of epoch e's windows (e from 0), drawn as the
// whole-file reader draws that of its epoch e+1.
func (s *TextStream) Offset(e int) int {
	return rand.New(rand.NewPCG(s.o.Seed, uint64(e+1))).IntN(s.o.Seq)
}

// Open starts reading epoch e's training windows from the file.
func (s *TextStream) Open(e int) (func(map[string]*tensor.Tensor, int) (bool, error), func(), error) {
	t, closeFile, err := openTokens(s.File, s.o.Bytes)
	if err != nil {
		return nil, nil, err
	}
	seq := s.o.Seq
	w := &windower{seq: seq, skip: s.Offset(e), want: s.TrainWindows, cur: make([]int32, 0, seq+1)}
	next := func(dst map[string]*tensor.Tensor, row int) (bool, error) {
		for w.got < w.want {
			c, ok, err := t.next()
			if err != nil {
				return false, err
			}
			if !ok {
				return false, nil
			}
			id, ok := s.id(c)
			if !ok {
				return false, colErr(s.File, t.atLine, t.atCol, "%q is not in the vocabulary (did the file change?)", c)
			}
			if w.push(id) {
				copy(dst["x"].I32[row*seq:(row+1)*seq], w.cur[:seq])
				copy(dst["y"].I32[row*seq:(row+1)*seq], w.cur[1:])
				w.shift()
				return true, nil
			}
		}
		return false, nil
	}
	return next, closeFile, nil
}
