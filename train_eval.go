package nnc

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/train"
)

// EvalOptions say what Eval measures. The zero value of a field means "not
// given" and the default given with it applies; a negative Batch or
// MaxDataBytes, or a Split that is given and fails Split.Check, is an error.
type EvalOptions struct {
	Model  string // default: the first model with a train block
	Params string // trained parameters (.safetensors), required
	// Data is the data set to measure, whole (a file, or a set by name,
	// whose official test set is measured); "": the test set of the train
	// block's data.
	Data  string
	Batch int // 0: 256
	// Split divides the data (Data when given, else the block's) as Train
	// does, and its test set is measured; zero: Data whole, else the
	// block's split, default 0.7/0.15/0.15.
	Split Split
	// AllowNonFinite and MaxDataBytes apply to the data file as in
	// TrainOptions: NaN and infinite features are refused unless allowed,
	// and MaxDataBytes (0: data.DefaultMaxBytes()) bounds its size.
	AllowNonFinite bool
	MaxDataBytes   int64
	// Inputs, Labels and Shapes bind the data as in TrainOptions.
	Inputs map[string]string
	Labels string
	Shapes map[string]int
	// Metrics are the metrics measured besides the loss ("accuracy",
	// "f1", "top5_accuracy", "perplexity", ...; docs/language.md); nil:
	// the train block's metrics, else accuracy.
	Metrics []string
	// TextContext is TrainOptions.TextContext: the context of text(...)
	// data's test windows (0: the block's; negative: none).
	TextContext int
	// Seed is the training run's seed, which a split drawn with it
	// (planetoid(..., seed = "run")) needs; nil: the seed the parameters
	// file records (nnc train -o writes it), and without one such a split
	// is an error.
	Seed *uint64
	// Progress, when not nil, gets a line saying what the evaluation
	// measured and what it cost: "measured 270 examples in 0.031s (8710
	// examples/s, batches of 256)".
	Progress io.Writer
}

// splitSeed sets the seed of a split drawn with the run's seed: Seed, else
// the one the parameters file records, else none (noSplitSeed says why).
func (o *EvalOptions) splitSeed(req *dataRequest) error {
	if o.Seed != nil {
		req.splitSeed = *o.Seed
		return nil
	}
	meta, err := data.SafetensorsMetadata(o.Params)
	if err != nil {
		// Reading the parameters reports the error where it did before;
		// a split drawn with the run's seed says it here.
		req.noSplitSeed = fmt.Sprintf("which %s does not give: %v", o.Params, err)
		return nil
	}
	v, ok := meta[metaSeed]
	if !ok {
		req.noSplitSeed = fmt.Sprintf("which %s does not record: give the seed it was trained with (EvalOptions.Seed, nnc eval --seed)", o.Params)
		return nil
	}
	seed, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: the recorded seed %s=%q is not a seed", o.Params, metaSeed, v)
	}
	req.splitSeed = seed
	return nil
}

// metaSeed is the key of the training run's seed in the header metadata
// of the parameters nnc train -o writes.
const metaSeed = "nnc_seed"

// dataRequest is the data set, split and loaders' options Eval loads.
func (o *EvalOptions) dataRequest() dataRequest {
	return dataRequest{src: o.Data, split: o.Split, opts: data.Options{AllowNonFinite: o.AllowNonFinite, MaxBytes: o.MaxDataBytes}, whole: o.Data != "", context: o.TextContext}
}

// Eval measures trained parameters on a test set and returns "test_loss"
// and "test_accuracy" (the latter when the data has labels), or the
// metrics opts.Metrics (else the block's metrics) name, each prefixed
// "test_" ("test_f1_macro"): the whole of
// opts.Data when it is given, else the test set of the train block's data
// (given as a file, or divided as Train divides it, by opts.Split, else
// the block's split, else DefaultSplit). It is EvalContext with a context
// that is never cancelled.
func (p *Program) Eval(opts EvalOptions) (map[string]float64, error) {
	return p.EvalContext(context.Background(), opts)
}

// EvalContext is Eval, stopped by ctx: when ctx is cancelled, evaluation
// stops before its next batch and returns an error wrapping ctx.Err().
func (p *Program) EvalContext(ctx context.Context, opts EvalOptions) (map[string]float64, error) {
	r, err := p.EvalReport(ctx, opts)
	if err != nil {
		return nil, err
	}
	return r.Metrics, nil
}

// EvalResult is what EvalReport measured.
type EvalResult struct {
	// Metrics are Eval's: "test_loss", "test_accuracy" and the metrics
	// chosen, each prefixed "test_".
	Metrics map[string]float64
	// Confusion is the test set's confusion matrix (row: label, column:
	// prediction) when the metrics include "confusion", else nil.
	Confusion [][]int64
}

// EvalReport is EvalContext with what does not fit a map of numbers: the
// confusion matrix.
func (p *Program) EvalReport(ctx context.Context, opts EvalOptions) (res *EvalResult, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	if opts.Batch < 0 {
		return nil, fmt.Errorf("EvalOptions.Batch is %d: want a positive batch size (0: 256)", opts.Batch)
	}
	if opts.MaxDataBytes < 0 {
		return nil, fmt.Errorf("EvalOptions.MaxDataBytes is %d: want a positive number of bytes (0: the loaders' default)", opts.MaxDataBytes)
	}
	if opts.Params == "" {
		return nil, fmt.Errorf("EvalOptions.Params is required: the trained parameters (.safetensors)")
	}
	if err := checkSplitOption("EvalOptions.Split", opts.Split); err != nil {
		return nil, err
	}
	var over map[string]override
	if opts.Metrics != nil {
		over = map[string]override{"metrics": {stringValues(opts.Metrics), "EvalOptions.Metrics"}}
	}
	s, err := p.settingsWith("EvalOptions", opts.Model, over)
	if err != nil {
		return nil, err
	}
	ls, _ := s.loopSettings() // checked by settingsWith
	entry := s.model + "." + s.str("entry", "loss")
	// The parameters are checked against the model once the data is read
	// and before it is bound, unless the graphs need the data's sizes (a
	// loop over T).
	var fwd, lossG *ops.Graph
	var store *runtime.Store
	var tensors map[string]*Tensor
	req := opts.dataRequest()
	if err := opts.splitSeed(&req); err != nil {
		return nil, err
	}
	pd, err := p.prepareData(s, req, entry, opts.Inputs, opts.Labels, opts.Shapes, "EvalOptions.Shapes", func(sets *dataSets) error {
		if sets.test == nil {
			return s.noTestSet(opts.Split)
		}
		if err := s.applySaved(sets, opts.Params); err != nil {
			return err
		}
		var err error
		if tensors, err = data.LoadSafetensors(opts.Params); err != nil {
			return err
		}
		fwd, lossG, store, err = p.evalStore(s.model, entry, given(opts.Shapes), tensors, opts.Params)
		if lang.NeedsShapes(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if lossG == nil {
		shapes := given(opts.Shapes)
		for k, v := range pd.b.shapes {
			if _, ok := shapes[k]; !ok {
				shapes[k] = v
			}
		}
		if fwd, lossG, store, err = p.evalStore(s.model, entry, shapes, tensors, opts.Params); err != nil {
			return nil, err
		}
	}
	if pd.b.label == "" {
		fwd = nil
	}
	ev, err := train.NewEvaluator(fwd, lossG, store, pd.b.label, opts.Batch)
	if err != nil {
		return nil, err
	}
	ev.SetFullBatch(pd.fullBatch)
	ev.SetMask(pd.b.mask)
	if err := ev.SetMetrics(ls.metrics); err != nil {
		return nil, s.errorf(lang.CodeValue, "metrics", "%v", err)
	}
	met, err := ev.EvaluateContext(ctx, pd.test)
	if err != nil {
		return nil, err
	}
	if opts.Progress != nil {
		batch := "one batch (the whole set)"
		if !pd.fullBatch {
			b := opts.Batch
			if b == 0 {
				b = 256
			}
			batch = fmt.Sprintf("batches of %d", b)
		}
		fmt.Fprintf(opts.Progress, "measured %d examples in %.3fs (%.0f examples/s, %s)\n",
			met.Examples, met.Duration.Seconds(), float64(met.Examples)/max(met.Duration.Seconds(), 1e-9), batch)
	}
	out := met.Prefixed("test_")
	out["test_loss"] = met.Loss
	if met.HasAccuracy {
		out["test_accuracy"] = met.Accuracy
	}
	return &EvalResult{Metrics: out, Confusion: ev.Confusion()}, nil
}

// stringValues converts names to a train block's list value.
func stringValues(names []string) []lang.Value {
	out := make([]lang.Value, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out
}

// given converts shape values of the options for lowering.
func given(shapes map[string]int) map[string]int64 {
	out := map[string]int64{}
	for k, v := range shapes {
		out[k] = int64(v)
	}
	return out
}

// evalStore lowers the evaluation graphs with shapes and makes the store
// of their parameters, set from tensors (read from the file params).
func (p *Program) evalStore(model, entry string, shapes map[string]int64, tensors map[string]*Tensor, params string) (fwd, loss *ops.Graph, store *runtime.Store, err error) {
	if len(shapes) == 0 {
		shapes = nil
	}
	if fwd, loss, err = p.evalGraphs(model, entry, shapes); err != nil {
		return nil, nil, nil, err
	}
	store = runtime.NewStore()
	if err := runtime.InitParams(store, loss, 0); err != nil {
		return nil, nil, nil, err
	}
	var leaves []*ops.Node
	leaves = append(append(leaves, loss.Params()...), loss.States()...)
	if err := setParams(store, leaves, tensors, params); err != nil {
		return nil, nil, nil, err
	}
	return fwd, loss, store, nil
}

// preparedData is the data of a train block loaded, divided and bound to
// the entry's inputs.
type preparedData struct {
	b                *binding
	train, val, test *data.Dataset
	fullBatch        bool
	resample         func(epoch int) error // nil, or Resample of train.Config
	vocab            *data.Vocab           // a text's vocabulary, or nil
	// stream is Stream of train.Config (a streamed training set), or nil.
	stream func(data.PrefetchOptions) (*data.Stream, error)
}

// prepareData checks the inputs binding, loads the data, binds every set
// and checks the shapes the options give (option names the field). loaded,
// when not nil, sees the sets once they are read, before they are bound.
func (p *Program) prepareData(s *settings, r dataRequest, entry string, inputs map[string]string, labels string, shapes map[string]int, option string, loaded func(*dataSets) error) (*preparedData, error) {
	b, err := p.bindingOf(s, entry, inputs)
	if err != nil {
		return nil, err
	}
	sets, err := p.loadSets(s, r)
	if err != nil {
		return nil, err
	}
	if loaded != nil {
		if err := loaded(sets); err != nil {
			return nil, err
		}
	}
	if err := b.attach(sets, labels); err != nil {
		return nil, err
	}
	pd := &preparedData{b: b, fullBatch: sets.fullBatch, vocab: sets.vocab}
	var refresh func()
	if pd.train, refresh, err = b.bind(sets.train); err != nil {
		return nil, err
	}
	if pd.val, _, err = b.bind(sets.val); err != nil {
		return nil, err
	}
	if pd.test, _, err = b.bind(sets.test); err != nil {
		return nil, err
	}
	if sets.resample != nil {
		pd.resample = func(epoch int) error {
			if err := sets.resample(epoch); err != nil {
				return err
			}
			refresh()
			return nil
		}
	}
	if sets.stream != nil {
		pd.stream = streamFeed(sets.stream, sets.buffer, b, pd.train)
	}
	if err := b.checkShapes(option, shapes); err != nil {
		return nil, err
	}
	return pd, nil
}
