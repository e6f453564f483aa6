package nnc

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/tensor"
)

// dataSets are the training, validation and test sets a train block's data
// gives (a set it does not have is nil), before they are bound to the
// entry's inputs.
type dataSets struct {
	train, val, test *data.Dataset
	// fullBatch says each set is bound whole (a graph: one step per epoch).
	fullBatch bool
	// labels names the array of labels ("" when the data has none); mask,
	// for full-batch data, the array selecting each set's examples.
	labels, mask string
	// resample, when not nil, redraws the training set in place before
	// every epoch (text windows at a new offset).
	resample func(epoch int) error
	// vocab is a text's vocabulary (saved beside the trained parameters).
	vocab *data.Vocab
	// stream, when not nil, supplies the training examples from disk
	// through a shuffle buffer of buffer examples (train_stream.go); train
	// is then a sample of them.
	stream data.ExampleSource
	buffer int
}

// reference is the set whose arrays the binding checks: the training set,
// else (Eval of a whole file) the test set.
func (d *dataSets) reference() *data.Dataset {
	if d.train != nil {
		return d.train
	}
	return d.test
}

// loader reads the data of one constructor call.
type loader struct {
	p    *Program
	s    *settings
	c    dataCtor
	call lang.Call
	opts data.Options
	// split is the split that applies (the option's, the call's, the
	// block's), form the form it has: "fractions", "planetoid", "indices",
	// "masks"; splitCall holds a call form.
	split     Split
	form      string
	splitCall lang.Call
	// optionSplit says the split came from the options (for errors).
	optionSplit bool
	// aside holds the index or mask arrays a split names (npz).
	aside map[string]*tensor.Tensor
	// seed draws the offsets of text windows; splitSeed is the seed of
	// planetoid(..., seed = "run"), unknown when noSplitSeed says why.
	seed, splitSeed uint64
	noSplitSeed     string
}

// errorf makes an error at the argument at path of the data call.
func (l *loader) errorf(code string, path []string, format string, args ...any) error {
	pos := l.s.spec.NestedPos("data", path...)
	return l.s.errorAt(pos, code, "data", "%s: %s", l.call.Name, fmt.Sprintf(format, args...))
}

// fileError places an error of reading the file given at path at that
// argument: "m.nn:9:12: train M: data: csv: d.csv:4:2: ...".
func (l *loader) fileError(path []string, err error) error {
	var le *lang.Error
	if errors.As(err, &le) {
		return err
	}
	return l.errorf(lang.CodeValue, path, "%v", err)
}

// arg returns argument name (nil when not given) and its path.
func (l *loader) arg(name string) (lang.Value, []string) {
	v, path, _ := dataArg(l.c, l.call, name)
	return v, path
}

// str is the string argument name, or def.
func (l *loader) str(name, def string) string {
	if v, _ := l.arg(name); v != nil {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return def
}

// strs is the list argument name of columns (names, or numbers from 1)
// as strings; nil when not given.
func (l *loader) strs(name string) []string {
	v, _ := l.arg(name)
	list, _ := v.([]lang.Value)
	var out []string
	for _, e := range list {
		switch x := e.(type) {
		case string:
			out = append(out, x)
		case int64:
			out = append(out, strconv.FormatInt(x, 10))
		}
	}
	return out
}

// path is the path argument name resolved against the .nn file's folder,
// or "" when not given.
func (l *loader) path(name string) string {
	return l.p.resolve(l.str(name, ""))
}

// resolve makes a path of a train block relative to the .nn file's folder.
func (p *Program) resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.Dir(), path)
}

// load reads the data of the call and divides it into sets.
func (l *loader) load() (*dataSets, error) {
	switch l.call.Name {
	case "csv", "npz", "safetensors", "jsonl", "images", "npy":
		if l.call.Name == "jsonl" && l.streamed(l.path("file")) {
			return l.jsonlStream(l.path("file"))
		}
		return l.rows()
	case "idx":
		return l.idx()
	case "mnist", "fashion_mnist":
		return l.named()
	case "text":
		return l.text()
	case "graph":
		return l.graph()
	}
	return nil, l.errorf(lang.CodeUndefined, nil, "unknown data constructor")
}

// readRows reads one file (or folder) of rows the way the call says.
func (l *loader) readRows(path string) (*data.Dataset, error) {
	o := l.opts
	switch l.call.Name {
	case "csv":
		co := data.CSVOptions{MaxBytes: o.MaxBytes, AllowNonFinite: o.AllowNonFinite, Scale: 1}
		if v, _ := l.arg("header"); v != nil {
			co.Header = map[bool]data.HeaderMode{true: data.HeaderSkip, false: data.HeaderNone}[v.(bool)]
		}
		if v, _ := l.arg("scale"); v != nil {
			co.Scale, _ = number(v)
		}
		if d := l.str("delimiter", ""); d != "" {
			co.Comma = rune(d[0])
		}
		switch v, _ := l.arg("label"); x := v.(type) {
		case int64:
			co.LabelColumn = int(x)
		case string:
			co.Label = x
		}
		co.Columns = l.strs("columns")
		co.Categorical = l.strs("categorical")
		return data.ReadCSV(path, co)
	case "npz":
		if l.form == "indices" || l.form == "masks" {
			return l.readWithSplitArrays(path)
		}
		return data.ReadNPZ(path, o)
	case "safetensors":
		return data.ReadSafetensors(path, o)
	case "jsonl":
		return data.ReadJSONL(path, l.jsonlOptions())
	case "images":
		io := data.ImageOptions{Options: o, Gray: l.str("color", "rgb") == "gray"}
		if v, _ := l.arg("size"); v != nil {
			sz := v.([]lang.Value)
			io.Height, io.Width, io.Resize = int(sz[0].(int64)), int(sz[1].(int64)), true
		}
		return data.ReadImageFolder(path, io)
	}
	return nil, fmt.Errorf("no reader for %s", l.call.Name)
}

// rows loads a constructor of rows: its file divided by the split, or its
// val = and test = files as those sets.
func (l *loader) rows() (*dataSets, error) {
	var main *data.Dataset
	var err error
	if l.call.Name == "npy" {
		files := map[string]string{}
		for _, k := range sortedKwargs(l.call) {
			if k != "split" {
				files[k] = l.path(k)
			}
		}
		if main, err = data.ReadNPY(files, l.opts); err != nil {
			return nil, l.fileError(nil, err)
		}
	} else {
		first := l.c.args[0]
		if main, err = l.readRows(l.path(first)); err != nil {
			return nil, l.fileError(l.argPath(first), err)
		}
	}
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
	return l.divide(main, given["val"], given["test"], "y")
}

// argPath is the path of argument name for positions.
func (l *loader) argPath(name string) []string {
	_, path := l.arg(name)
	return path
}

// divide makes the sets of rows: main divided by the split (fractions, or
// index or mask arrays of main), val and test when given as files.
func (l *loader) divide(main, val, test *data.Dataset, labels string) (*dataSets, error) {
	if !l.optionSplit && l.form == "fractions" && l.split == (Split{}) {
		l.split = DefaultSplit()
		if val != nil || test != nil {
			l.split = Split{Train: 1}
		}
	}
	for _, g := range []struct {
		name string
		d    *data.Dataset
		f    float64
	}{{"val", val, l.split.Val}, {"test", test, l.split.Test}} {
		if g.d != nil && l.form == "fractions" && g.f != 0 {
			return nil, l.splitError("the %s set is given by %s = ...; the split divides the training data and its %s fraction must be 0", g.name, g.name, g.name)
		}
	}
	out := &dataSets{labels: labelName(main, labels)}
	var err error
	switch l.form {
	case "fractions":
		out.train, out.val, out.test, err = splitRows(main, l.split)
	default: // indices, masks
		out.train, out.val, out.test, err = l.splitByArrays(main)
	}
	if err != nil {
		return nil, err
	}
	for _, g := range []struct {
		d   *data.Dataset
		set **data.Dataset
	}{{val, &out.val}, {test, &out.test}} {
		if g.d == nil {
			continue
		}
		if err := data.AlignCategories(main, g.d); err != nil {
			return nil, err
		}
		*g.set = g.d
	}
	return out, nil
}

// labelName is the labels array of d: want when d has it, else "".
func labelName(d *data.Dataset, want string) string {
	if _, _, ok := d.Type(want); ok {
		return want
	}
	return ""
}

// splitError is an error about the split that applies: an option error
// when the options gave it, else at the split's place in the block.
func (l *loader) splitError(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if l.optionSplit {
		return &OptionError{Option: l.s.options + ".Split", Value: l.split.String(), Msg: msg}
	}
	if _, ok := l.call.Kwargs["split"]; ok {
		return l.errorf(lang.CodeValue, []string{"split"}, "%s", msg)
	}
	return l.s.errorf(lang.CodeValue, "split", "%s", msg)
}

// splitRows divides d by the fractions of sp (seed 0, see Split); a set
// whose fraction is 0 is nil.
func splitRows(d *data.Dataset, sp Split) (train, val, test *data.Dataset, err error) {
	if sp == (Split{Train: 1}) {
		return d, nil, nil, nil
	}
	parts, err := d.Split(0, sp.Train, sp.Val, sp.Test)
	if err != nil {
		return nil, nil, nil, err
	}
	for i, f := range []float64{sp.Train, sp.Val, sp.Test} {
		if f == 0 {
			parts[i] = nil
		}
	}
	return parts[0], parts[1], parts[2], nil
}

// readWithSplitArrays reads an archive whose index or mask arrays (named
// by the split) are kept aside: the other arrays are the rows.
func (l *loader) readWithSplitArrays(path string) (*data.Dataset, error) {
	all, err := data.LoadNPZWith(path, l.opts)
	if err != nil {
		return nil, err
	}
	rows := map[string]*tensor.Tensor{}
	aside := map[string]*tensor.Tensor{}
	names := map[string]bool{}
	for _, k := range sortedKwargs(l.splitCall) {
		names[l.splitCall.Kwargs[k].(string)] = true
	}
	for k, t := range all {
		if names[k] {
			aside[k] = t
		} else {
			rows[k] = t
		}
	}
	d := &data.Dataset{Arrays: rows, Source: &data.Source{File: path}}
	if err := d.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l.aside = aside
	return d, nil
}

// splitByArrays divides d by the index or mask arrays the split names.
func (l *loader) splitByArrays(d *data.Dataset) (train, val, test *data.Dataset, err error) {
	sets := [3]*data.Dataset{}
	for i, k := range []string{"train", "val", "test"} {
		name, ok := l.splitCall.Kwargs[k].(string)
		if !ok {
			continue
		}
		a := l.aside[name]
		if a == nil {
			return nil, nil, nil, l.errorf(lang.CodeUndefined, []string{"split", k}, "%s(%s = %q): the file has no array %q", l.form, k, name, name)
		}
		idx, err := rowsOf(l.form, a, d.Len())
		if err != nil {
			return nil, nil, nil, l.errorf(lang.CodeValue, []string{"split", k}, "%s(%s = %q): %v", l.form, k, name, err)
		}
		sets[i] = d.Subset(idx)
	}
	return sets[0], sets[1], sets[2], nil
}

// rowsOf reads an index array (each index in [0, n)) or a mask array (n
// entries, nonzero selects) as a list of rows.
func rowsOf(form string, a *tensor.Tensor, n int) ([]int, error) {
	var out []int
	if form == "masks" {
		if a.Len() != n {
			return nil, fmt.Errorf("a mask of %d entries for %d rows", a.Len(), n)
		}
		for i := range n {
			if v := a.At(i); v != 0 {
				out = append(out, i)
			}
		}
		return out, nil
	}
	if !a.DType.IsInt() || len(a.Shape) != 1 {
		return nil, fmt.Errorf("indices are a vector of integers, got %v%v", a.DType, a.Shape)
	}
	seen := make(map[int]bool, a.Len())
	for i := range a.Len() {
		v := a.At(i)
		if v < 0 || v >= float64(n) {
			return nil, fmt.Errorf("index %v (entry %d) is out of range [0, %d)", v, i, n)
		}
		if seen[int(v)] {
			return nil, fmt.Errorf("index %v is given twice", v)
		}
		seen[int(v)] = true
		out = append(out, int(v))
	}
	return out, nil
}

// idx loads idx(train = [images, labels], val = [...], test = [...]).
func (l *loader) idx() (*dataSets, error) {
	io := data.IDXOptions{Options: l.opts}
	if v, _ := l.arg("scale"); v != nil {
		io.Scale, _ = number(v)
	}
	sets := map[string]*data.Dataset{}
	for _, k := range []string{"train", "val", "test"} {
		v, _ := l.arg(k)
		if v == nil {
			continue
		}
		pair := v.([]lang.Value)
		d, err := data.ReadIDX(l.p.resolve(pair[0].(string)), l.p.resolve(pair[1].(string)), io)
		if err != nil {
			return nil, l.fileError([]string{k}, err)
		}
		sets[k] = d
	}
	return l.divide(sets["train"], sets["val"], sets["test"], "y")
}

// named loads mnist(dir) and fashion_mnist(dir): the official training and
// test sets (the dir may be left out: data.Locate finds the set).
func (l *loader) named() (*dataSets, error) {
	dir := l.path("dir")
	var sp *data.Splits
	var err error
	if l.call.Name == "mnist" {
		sp, err = data.Mnist(dir)
	} else {
		sp, err = data.FashionMnist(dir)
	}
	if err != nil {
		return nil, l.fileError(l.argPath("dir"), err)
	}
	return l.divide(sp.Train, sp.Val, sp.Test, "y")
}

// itoa is strconv.Itoa, for paths of positions.
func itoa(i int) string { return strconv.Itoa(i) }
