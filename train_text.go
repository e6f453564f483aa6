package nnc

import (
	"fmt"
	"math/rand/v2"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/tensor"
)

// text loads text("file.txt", seq = 128, split = [0.9, 0.1], level =
// "char", vocab = "v.json", unknown = "?"): the file's characters (or
// bytes) as ids (data.ReadText, the vocabulary built from the training
// part unless given; a token outside it maps to unknown, added to the
// vocabulary, or is an error), divided into contiguous parts by the split (the first fraction
// trains, the next validates, the last tests), cut into windows of seq ids
// ("x", i32[n, seq]) with the ids that follow each ("y", the next-token
// targets). The training windows start at a random offset in [0, seq)
// drawn for every epoch from the seed; the validation and test windows at
// offset 0. A file over StreamThreshold, or stream = true, is streamed
// instead (textStream: the same windows, read from disk every epoch).
//
// context = c (0 < c < seq) makes the validation and test windows overlap
// by c ids (one every seq - c) and scores only their last seq - c
// positions: the first c targets of each window are textIgnoreLabel (-1), which the
// loss leaves out (cross_entropy(..., ignore_index = -1)), and the mask
// "m" (1 where a target is scored) keeps them out of accuracy. Every
// scored character is then predicted from at least c before it, as
// char-rnn's evaluation (which carries the state) and the strided
// evaluation of fixed-context models do.
func (l *loader) text() (*dataSets, error) {
	file := l.path("file")
	filePath := l.argPath("file")
	seq := int(l.call.Kwargs["seq"].(int64))
	context := l.posInt("context", 0)
	if context >= seq {
		return nil, l.errorf(lang.CodeValue, []string{"context"}, "context = %d must be less than seq = %d: a window scores its last seq - context ids (--context N, TrainOptions.TextContext, sets another)", context, seq)
	}
	sp := l.split
	if sp == (Split{}) {
		sp = DefaultSplit()
	}
	o := data.TextOptions{Options: l.opts, Bytes: l.str("level", "char") == "byte", VocabTo: sp.Train, Unknown: l.str("unknown", "")}
	if vf := l.path("vocab"); vf != "" {
		v, err := data.LoadVocab(vf)
		if err != nil {
			return nil, l.fileError([]string{"vocab"}, err)
		}
		o.Vocab = v
	}
	if l.streamed(file) {
		if context > 0 {
			return nil, l.errorf(lang.CodeValue, []string{"context"}, "%s: context needs the text in memory; it is streamed (stream = false)", file)
		}
		return l.textStream(file, sp, o, seq)
	}
	txt, err := data.ReadText(file, o)
	if err != nil {
		return nil, l.fileError(filePath, err)
	}
	ids := txt.IDs
	n := len(ids)
	a := int(sp.Train * float64(n))
	b := a + int(sp.Val*float64(n))
	if sp.Test == 0 {
		b = n
	}
	a, b = min(a, n), min(b, n)
	out := &dataSets{labels: "y", vocab: txt.Vocab}
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
		var v *data.Dataset
		if context > 0 {
			v, err = contextWindows(part, seq, context)
		} else {
			var w *windows
			if w, err = newWindows(part, seq, 0); err == nil {
				w.fill(0)
				v = w.d
			}
		}
		if err != nil {
			return nil, l.errorf(lang.CodeValue, []string{"seq"}, "%s: the %s part: %v", file, []string{"validation", "test"}[i], err)
		}
		if i == 0 {
			out.val = v
		} else {
			out.test = v
		}
	}
	if context > 0 {
		// The training windows score every position.
		n := out.train.Arrays["x"].Len()
		m := tensor.New(tensor.I32, out.train.Arrays["x"].Shape...)
		for i := range n {
			m.I32[i] = 1
		}
		out.train.Arrays["m"] = m
		out.mask = "m"
	}
	for _, d := range []*data.Dataset{out.train, out.val, out.test} {
		if d != nil {
			d.Source = &data.Source{File: file}
		}
	}
	return out, nil
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

// textIgnoreLabel is the target text(..., context = c) gives the positions of
// a validation or test window that are context only.
const textIgnoreLabel = -1

// contextWindows cuts ids into windows of seq ids, one every seq - context
// ("x"), with the next ids as targets ("y") but textIgnoreLabel for each
// window's first context positions, and the mask of the scored ones ("m").
func contextWindows(ids []int32, seq, context int) (*data.Dataset, error) {
	stride := seq - context
	if len(ids) < seq+1 {
		return nil, fmt.Errorf("%d ids are too few for a window of seq = %d and its next ids (want at least %d)", len(ids), seq, seq+1)
	}
	n := (len(ids)-1-seq)/stride + 1
	x, y, m := tensor.New(tensor.I32, n, seq), tensor.New(tensor.I32, n, seq), tensor.New(tensor.I32, n, seq)
	for k := range n {
		s, row := k*stride, k*seq
		copy(x.I32[row:row+seq], ids[s:s+seq])
		copy(y.I32[row:row+seq], ids[s+1:s+1+seq])
		for j := range seq {
			if j < context {
				y.I32[row+j] = textIgnoreLabel
			} else {
				m.I32[row+j] = 1
			}
		}
	}
	return &data.Dataset{Arrays: map[string]*tensor.Tensor{"x": x, "y": y, "m": m}}, nil
}
