package nnc

import (
	"errors"
	"fmt"
	"os"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/tensor"
)

// StreamThreshold is the file size (on disk) above which text(...) and
// jsonl(...) stream their training data from disk instead of reading the
// file whole, unless the call says stream = false (1 GiB).
const StreamThreshold = 1 << 30

// DefaultShuffleBuffer is the shuffle buffer of a stream, in examples,
// when shuffle_buffer = is not given.
const DefaultShuffleBuffer = 10000

// streamArgs are the arguments text(...) and jsonl(...) take for
// streaming.
var streamArgs = map[string]argSpec{"stream": {kind: argBool}, "shuffle_buffer": {kind: argPosInt}, "eval_max": {kind: argPosInt}}

func init() {
	for _, name := range []string{"text", "jsonl"} {
		for k, v := range streamArgs {
			dataCtors[name].kw[k] = v
		}
	}
}

// streamed says whether the call streams file: stream = true, or a file
// larger than StreamThreshold without stream = false.
func (l *loader) streamed(file string) bool {
	if v, _ := l.arg("stream"); v != nil {
		return v.(bool)
	}
	fi, err := os.Stat(file)
	return err == nil && fi.Size() > StreamThreshold
}

// posInt is a positive integer argument, or def.
func (l *loader) posInt(name string, def int) int {
	if v, _ := l.arg(name); v != nil {
		return int(v.(int64))
	}
	return def
}

// streamError places an error of opening a stream: a file's at the file
// argument, another (too few tokens for seq) at seq.
func (l *loader) streamError(file []string, err error) error {
	var fe *data.FormatError
	if errors.As(err, &fe) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return l.fileError(file, err)
	}
	return l.errorf(lang.CodeValue, []string{"seq"}, "%v", err)
}

// textStream streams a text: its training windows read through the
// shuffle buffer every epoch, at the offsets the whole-file reader draws;
// the validation and test sets and the training sample (for the
// training-set metrics) are the first eval_max windows of their parts.
func (l *loader) textStream(file string, sp Split, o data.TextOptions, seq int) (*dataSets, error) {
	ts, err := data.OpenTextStream(file, data.TextStreamOptions{TextOptions: o, Seq: seq,
		Train: sp.Train, Val: sp.Val, Test: sp.Test, Seed: l.seed, EvalMax: l.posInt("eval_max", data.DefaultEvalMax)})
	if err != nil {
		return nil, l.streamError(l.argPath("file"), err)
	}
	return &dataSets{labels: "y", vocab: ts.Vocab, train: ts.Sample, val: ts.Val, test: ts.Test,
		stream: ts, buffer: l.posInt("shuffle_buffer", DefaultShuffleBuffer)}, nil
}

// jsonlStream streams a JSON Lines file: record i belongs to the part
// data.RecordPart gives (a seeded hash of i); the training records are
// read through the shuffle buffer every epoch; the validation and test
// sets (unless given by val = and test = files, read whole) and the
// training sample are the first eval_max records of their parts.
func (l *loader) jsonlStream(file string) (*dataSets, error) {
	given := map[string]*data.Dataset{}
	for _, k := range []string{"val", "test"} {
		if v, _ := l.arg(k); v != nil {
			d, err := l.readRows(l.path(k))
			if err != nil {
				return nil, l.fileError([]string{k}, err)
			}
			given[k] = d
		}
	}
	if !l.optionSplit && l.split == (Split{}) {
		l.split = DefaultSplit()
		if len(given) > 0 {
			l.split = Split{Train: 1}
		}
	}
	sp := l.split
	for k, f := range map[string]float64{"val": sp.Val, "test": sp.Test} {
		if given[k] != nil && f != 0 {
			return nil, l.splitError("the %s set is given by %s = ...; the split divides the training data and its %s fraction must be 0", k, k, k)
		}
	}
	js, err := data.OpenJSONLStream(file, data.JSONLStreamOptions{JSONLOptions: l.jsonlOptions(),
		Train: sp.Train, Val: sp.Val, Test: sp.Test, EvalMax: l.posInt("eval_max", data.DefaultEvalMax)})
	if err != nil {
		return nil, l.fileError(l.argPath("file"), err)
	}
	out := &dataSets{labels: labelName(js.Sample, "y"), train: js.Sample, val: js.Val, test: js.Test,
		stream: js, buffer: l.posInt("shuffle_buffer", DefaultShuffleBuffer)}
	for k, set := range map[string]**data.Dataset{"val": &out.val, "test": &out.test} {
		if d := given[k]; d != nil {
			if err := data.AlignCategories(js.Sample, d); err != nil {
				return nil, err
			}
			*set = d
		}
	}
	return out, nil
}

// streamFeed makes the Stream of train.Config: the source's batches bound
// to the entry's inputs as bound (the bound training sample) binds them.
func streamFeed(src data.ExampleSource, buffer int, b *binding, bound *data.Dataset) func(data.PrefetchOptions) (*data.Stream, error) {
	return func(o data.PrefetchOptions) (*data.Stream, error) {
		return data.NewStream(src, data.StreamOptions{PrefetchOptions: o, Buffer: buffer, Bind: batchBinder(b, bound)})
	}
}

// batchBinder binds a streamed batch (arrays by the data's names) as the
// binding bound the sample: each bound array is the batch's array of the
// data, converted to the bound element type (into a buffer kept per
// source array) and viewed with the bound row shape.
func batchBinder(b *binding, bound *data.Dataset) func(*data.Batch) error {
	conv := map[*tensor.Tensor]*tensor.Tensor{}
	return func(bt *data.Batch) error {
		out := make(map[string]*tensor.Tensor, len(bound.Arrays))
		for name, want := range bound.Arrays {
			arr := name
			if b.isInput(name) {
				arr = b.array(name)
			}
			src := bt.Arrays[arr]
			if src == nil {
				return fmt.Errorf("the streamed batch has no array %q", arr)
			}
			t := src
			if src.DType != want.DType {
				c := conv[src]
				if c == nil {
					c = tensor.New(want.DType, src.Shape...)
					conv[src] = c
				}
				if msg := convertInto(c, src); msg != "" {
					return fmt.Errorf("%s: %s", name, msg)
				}
				t = c
			}
			view := *t
			view.Shape = append([]int{bt.Size}, want.Shape[1:]...)
			out[name] = &view
		}
		bt.Arrays = out
		return nil
	}
}
