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

// dataRequest is what loadData loads: the data set override (or "" for the
// block's), the split override (or the zero Split), and the loaders'
// options of a data file.
type dataRequest struct {
	src   string
	split Split
	opts  data.Options
}

// loadData loads the data set named by the request or the block's data
// setting (data.LoadDataset chooses the format) and divides it by the
// request's split, else the block's, else DefaultSplit. A set whose
// fraction is 0 is nil.
func (p *Program) loadData(s *settings, r dataRequest) (train, val, test *data.Dataset, err error) {
	src := r.src
	if src == "" {
		v, ok := s.spec.Fields["data"]
		if !ok {
			return nil, nil, nil, &OptionError{Where: fmt.Sprintf("%s: train %s", p.path, s.model), Option: s.options + ".Data", Missing: true,
				Msg: "no data: set data = \"digits\" (or a file) in the train block"}
		}
		str, ok := v.(string)
		if !ok {
			return nil, nil, nil, s.errorf(lang.CodeArgType, "data", "want a builtin name or a file path in quotes, got %s", showValue(v))
		}
		src = str
		if !filepath.IsAbs(src) && !data.IsBuiltinName(src) {
			src = filepath.Join(p.Dir(), src)
		}
	}
	d, err := data.LoadDataset(src, r.opts)
	if err != nil {
		return nil, nil, nil, err
	}
	split := r.split
	if split == (Split{}) {
		split = s.split()
	}
	parts, err := d.Split(0, split.Train, split.Val, split.Test)
	if err != nil {
		return nil, nil, nil, err
	}
	for i, f := range []float64{split.Train, split.Val, split.Test} {
		if f == 0 {
			parts[i] = nil
		}
	}
	return parts[0], parts[1], parts[2], nil
}
