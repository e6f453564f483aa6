package nnc

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
)

// Split is how Train and Eval divide the rows of the data set into the
// training, validation and test sets: the fractions of the rows each gets,
// taken in order from one shuffle of the rows drawn with the fixed seed 0
// (not the training seed), so that Train and Eval with the same Split see
// the same sets. The fractions are non-negative and finite, sum to 1
// (within 1e-9), and Train is positive; a zero Val or Test means no such
// set, and no metrics of it.
//
// The zero Split means "not given": the train block's split (split = [0.8,
// 0.1, 0.1]), else DefaultSplit.
type Split struct {
	Train, Val, Test float64
}

// DefaultSplit is the split of a train block that gives none: 70% for
// training, 15% for validation and 15% for test.
func DefaultSplit() Split { return Split{Train: 0.7, Val: 0.15, Test: 0.15} }

// Check reports why the split cannot be used (nil when it can). The zero
// Split is not a split: it means "not given" where options take one.
func (s Split) Check() error {
	for _, f := range []float64{s.Train, s.Val, s.Test} {
		if !(f >= 0) || math.IsInf(f, 0) {
			return fmt.Errorf("the fractions must be non-negative, finite numbers, got %v", f)
		}
	}
	if sum := s.Train + s.Val + s.Test; math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("the fractions sum to %.10g, not 1", sum)
	}
	if s.Train == 0 {
		return fmt.Errorf("the training fraction is 0: want a positive one")
	}
	return nil
}

// String prints the split as the train block writes it: [0.7, 0.15, 0.15].
func (s Split) String() string { return fmt.Sprintf("[%v, %v, %v]", s.Train, s.Val, s.Test) }

// checkSplitOption reports a Split option (TrainOptions.Split, or
// EvalOptions.Split) that is given and cannot be used.
func checkSplitOption(option string, s Split) error {
	if s == (Split{}) {
		return nil
	}
	if err := s.Check(); err != nil {
		return &OptionError{Option: option, Value: s.String(), Msg: err.Error()}
	}
	return nil
}

// dataRequest is what loadSets loads: the data set override (or "" for
// the block's), the split override (or the zero Split), the loaders'
// options, whether a given data set is measured whole (Eval), and the seed
// of text windows' offsets.
type dataRequest struct {
	src   string
	split Split
	opts  data.Options
	whole bool
	seed  uint64
	seq   int // text windows' length over the block's (0: the block's)
	// context is the text evaluation windows' context over the block's
	// (0: the block's; negative: none).
	context int
	// splitSeed is the run's seed, which planetoid(..., seed = "run")
	// draws its split with: the training run's seed, or for Eval the one
	// EvalOptions.Seed gives or the parameters file records.
	splitSeed uint64
	// noSplitSeed, when not "", says why splitSeed is unknown (Eval of a
	// parameters file that records no seed): a split drawn with the run's
	// seed is then an error rather than another run's split.
	noSplitSeed string
}

// rowCtors are the constructors of rows from one file (or folder), which
// a data set given in the options is read with.
var rowCtors = map[string]bool{"csv": true, "npz": true, "safetensors": true, "jsonl": true, "images": true}

// loadSets loads the data set named by the request or the block's data
// setting (a name, a file, or a constructor call, see dataCtors) and
// divides it into its sets.
func (p *Program) loadSets(s *settings, r dataRequest) (*dataSets, error) {
	src := r.src
	if src == "" {
		v, ok := s.spec.Fields["data"]
		if !ok {
			return nil, &OptionError{Where: fmt.Sprintf("%s: train %s", p.path, s.model), Option: s.options + ".Data", Missing: true,
				Msg: "no data: set data = \"digits\" (or a file) in the train block"}
		}
		if call, ok := v.(lang.Call); ok {
			l, err := p.newLoader(s, call, r)
			if err != nil {
				return nil, err
			}
			return l.load()
		}
		src = v.(string)
		if !data.IsBuiltinName(src) {
			src = p.resolve(src)
		}
	}
	if r.seq > 0 {
		if c, ok := s.spec.Fields["data"].(lang.Call); !ok || c.Name != "text" {
			return nil, &OptionError{Option: s.options + ".Seq", Value: fmt.Sprint(r.seq), Msg: "the window length applies to text(...) data"}
		}
	}
	if r.context != 0 {
		if c, ok := s.spec.Fields["data"].(lang.Call); !ok || c.Name != "text" {
			return nil, &OptionError{Option: s.options + ".TextContext", Value: fmt.Sprint(r.context), Msg: "the evaluation windows' context applies to text(...) data"}
		}
	}
	if call, ok := s.spec.Fields["data"].(lang.Call); ok && r.src != "" && (rowCtors[call.Name] || call.Name == "text" || call.Name == "graph") {
		// A file given in place of the block's is read as the block's
		// constructor reads its file.
		if abs, err := filepath.Abs(src); err == nil {
			src = abs
		}
		call = withFile(call, dataCtors[call.Name], src)
		l, err := p.newLoader(s, call, r)
		if err != nil {
			return nil, err
		}
		if !rowCtors[call.Name] {
			return l.load() // text and graph: divided as the block says
		}
		l.form, l.splitCall = "fractions", lang.Call{}
		d, err := l.readRows(src)
		if err != nil {
			return nil, err
		}
		if len(d.Categories) > 0 {
			// Ids of strings mean the training file's strings: number
			// them as the block's own file does.
			if err := p.alignToBlockFile(s, r, d); err != nil {
				return nil, err
			}
		}
		if r.whole && r.split == (Split{}) {
			return &dataSets{test: d, labels: labelName(d, "y")}, nil
		}
		return l.divide(d, nil, nil, "y")
	}
	sp, err := data.LoadSplits(src, r.opts)
	if err != nil {
		if r.src == "" {
			return nil, s.errorf(lang.CodeValue, "data", "%v", err)
		}
		return nil, err
	}
	if r.whole && r.split == (Split{}) {
		test := sp.Test
		if test == nil {
			test = sp.Train
		}
		return &dataSets{test: test, labels: labelName(test, "y")}, nil
	}
	l := &loader{p: p, s: s, opts: r.opts, form: "fractions", split: r.split, optionSplit: r.split != (Split{}), seed: r.seed}
	if r.split == (Split{}) {
		l.split = s.split()
		if _, given := s.spec.Fields["split"]; !given && (sp.Test != nil || sp.Val != nil) {
			l.split = Split{Train: 1}
		}
	}
	return l.divide(sp.Train, sp.Val, sp.Test, "y")
}

// alignToBlockFile renumbers the categorical ids of d, read in place of
// the train block's data file, by the strings of that file (see
// data.AlignCategories); d is left as it is when the block's file is d's.
func (p *Program) alignToBlockFile(s *settings, r dataRequest, d *data.Dataset) error {
	call, _ := s.spec.Fields["data"].(lang.Call)
	l, err := p.newLoader(s, call, dataRequest{opts: r.opts, seed: r.seed})
	if err != nil {
		return err
	}
	path := l.path(l.c.args[0])
	if d.Source != nil {
		if a, err := filepath.Abs(path); err == nil && a == d.Source.File {
			return nil
		}
	}
	ref, err := l.readRows(path)
	if err != nil {
		return fmt.Errorf("reading the train block's data %s to number the categories of the data given: %w", path, err)
	}
	return data.AlignCategories(ref, d)
}

// withFile is call with its file (or folder) replaced by path, and no
// val = or test = files.
func withFile(call lang.Call, c dataCtor, path string) lang.Call {
	out := lang.Call{Name: call.Name, Args: append([]lang.Value(nil), call.Args...), Kwargs: map[string]lang.Value{}}
	for k, v := range call.Kwargs {
		if k != "val" && k != "test" && k != c.args[0] {
			out.Kwargs[k] = v
		}
	}
	if len(out.Args) == 0 {
		out.Args = []lang.Value{path}
	}
	out.Args[0] = path
	return out
}

// newLoader prepares the loading of a data constructor call: the split
// that applies is the request's (fractions only), else the call's split =,
// else the block's split = [...], else the default.
func (p *Program) newLoader(s *settings, call lang.Call, r dataRequest) (*loader, error) {
	if r.seq > 0 || r.context != 0 {
		if call.Name != "text" {
			if r.seq > 0 {
				return nil, &OptionError{Option: s.options + ".Seq", Value: fmt.Sprint(r.seq), Msg: fmt.Sprintf("the window length applies to text data, not %s(...)", call.Name)}
			}
			return nil, &OptionError{Option: s.options + ".TextContext", Value: fmt.Sprint(r.context), Msg: fmt.Sprintf("the evaluation windows' context applies to text data, not %s(...)", call.Name)}
		}
		kw := make(map[string]lang.Value, len(call.Kwargs))
		for k, v := range call.Kwargs {
			kw[k] = v
		}
		if r.seq > 0 {
			kw["seq"] = int64(r.seq)
		}
		switch {
		case r.context > 0:
			kw["context"] = int64(r.context)
		case r.context < 0:
			delete(kw, "context")
		}
		call = lang.Call{Name: call.Name, Args: call.Args, Kwargs: kw}
	}
	l := &loader{p: p, s: s, c: dataCtors[call.Name], call: call, opts: r.opts, form: "fractions", seed: r.seed, splitSeed: r.splitSeed, noSplitSeed: r.noSplitSeed}
	v, inCall := call.Kwargs["split"]
	switch {
	case r.split != (Split{}):
		if c, ok := v.(lang.Call); ok {
			return nil, &OptionError{Option: s.options + ".Split", Value: r.split.String(),
				Msg: fmt.Sprintf("the train block divides the data by %s(...); a Split of fractions cannot replace it", c.Name)}
		}
		l.split, l.optionSplit = r.split, true
	case inCall:
		if c, ok := v.(lang.Call); ok {
			l.form, l.splitCall = c.Name, c
		} else {
			l.split, _ = fractions(v.([]lang.Value))
		}
	default:
		if _, ok := s.spec.Fields["split"]; ok {
			l.split = s.split()
		}
	}
	return l, nil
}

// loadData loads and divides the data as loadSets does and binds the sets
// to the inputs of the model's training entry; a set that the data does
// not have is nil. (TrainMemory's view of the data.)
func (p *Program) loadData(s *settings, r dataRequest) (train, val, test *data.Dataset, err error) {
	sets, err := p.loadSets(s, r)
	if err != nil {
		return nil, nil, nil, err
	}
	dp, err := s.newDataPrep(nil, r.seed)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := dp.fit(sets); err != nil { // one-hot columns change the rows' width
		return nil, nil, nil, err
	}
	b, err := p.bindingOf(s, s.model+"."+s.str("entry", "loss"), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := b.attach(sets, ""); err != nil {
		return nil, nil, nil, err
	}
	var out [3]*data.Dataset
	for i, d := range []*data.Dataset{sets.train, sets.val, sets.test} {
		if out[i], _, err = b.bind(d); err != nil {
			return nil, nil, nil, err
		}
	}
	return out[0], out[1], out[2], nil
}
