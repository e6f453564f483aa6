package nnc

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/lang"
)

// argKind is what an argument of a data constructor takes.
type argKind int

const (
	argPath     argKind = iota // a file or folder in quotes, relative to the .nn file's folder
	argPair                    // two paths in a list: [images, labels]
	argName                    // a name in quotes (an array of a file)
	argChoice                  // one of argSpec.choices, in quotes
	argPosInt                  // a positive integer
	argPosNum                  // a positive, finite number
	argBool                    // true or false
	argColumn                  // a column: its name in quotes, or its index from 1 (negative: from the end)
	argSize                    // a list of positive integers: [height, width]
	argSplit                   // how the data is divided (splitForms)
	argColumns                 // a list of columns, each as argColumn
	argNameList                // a list of non-empty names in quotes
	argNum                     // a finite number
	argCount                   // an integer from 0
)

// argSpec is one argument of a data constructor.
type argSpec struct {
	kind    argKind
	choices []string // argChoice
}

// dataCtor is a constructor of the train block's data setting, such as
// csv("iris.csv", label = "species").
type dataCtor struct {
	args     []string           // the positional arguments, by name, in order
	required []string           // arguments that must be given
	kw       map[string]argSpec // every argument, positional ones included
	anyPaths bool               // npy: any other keyword names an array and its file
	splits   []string           // the forms split = takes (see splitForms)
	example  string             // for messages
}

// Split forms: "fractions" [train, val] or [train, val, test];
// planetoid(per_class, val, test, seed = 0); indices(train = "a", ...) and
// masks(train = "a", ...) name arrays of the file.
var splitForms = []string{"fractions", "planetoid", "indices", "masks"}

// setFiles are the arguments naming the files of given sets.
var setFiles = map[string]argSpec{"val": {kind: argPath}, "test": {kind: argPath}}

func withSets(m map[string]argSpec) map[string]argSpec {
	for k, v := range setFiles {
		m[k] = v
	}
	m["split"] = argSpec{kind: argSplit}
	return m
}

// dataCtors are the data constructors, by name.
var dataCtors = map[string]dataCtor{
	"csv": {args: []string{"file"}, required: []string{"file"}, splits: []string{"fractions"},
		kw: withSets(map[string]argSpec{"file": {kind: argPath}, "header": {kind: argBool},
			"label": {kind: argColumn}, "columns": {kind: argColumns}, "categorical": {kind: argColumns},
			"scale": {kind: argPosNum}, "delimiter": {kind: argChoice, choices: []string{",", ";", "\t", " ", "|"}}}),
		example: `csv("iris.csv", label = "species")`},
	"npz": {args: []string{"file"}, required: []string{"file"}, splits: []string{"fractions", "indices", "masks"},
		kw: withSets(map[string]argSpec{"file": {kind: argPath}}), example: `npz("train.npz", test = "test.npz")`},
	"safetensors": {args: []string{"file"}, required: []string{"file"}, splits: []string{"fractions", "indices", "masks"},
		kw: withSets(map[string]argSpec{"file": {kind: argPath}}), example: `safetensors("data.safetensors")`},
	"npy": {anyPaths: true, splits: []string{"fractions"}, kw: map[string]argSpec{"split": {kind: argSplit}},
		example: `npy(x = "x.npy", y = "y.npy")`},
	"idx": {required: []string{"train"}, splits: []string{"fractions"},
		kw: map[string]argSpec{"train": {kind: argPair}, "val": {kind: argPair}, "test": {kind: argPair},
			"scale": {kind: argPosNum}, "split": {kind: argSplit}},
		example: `idx(train = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"], test = [...])`},
	"mnist": {args: []string{"dir"}, splits: []string{"fractions"},
		kw: map[string]argSpec{"dir": {kind: argPath}, "split": {kind: argSplit}}, example: `mnist("data/mnist")`},
	"fashion_mnist": {args: []string{"dir"}, splits: []string{"fractions"},
		kw: map[string]argSpec{"dir": {kind: argPath}, "split": {kind: argSplit}}, example: `fashion_mnist("data/fashion")`},
	"text": {args: []string{"file"}, required: []string{"file", "seq"}, splits: []string{"fractions"},
		kw: map[string]argSpec{"file": {kind: argPath}, "seq": {kind: argPosInt}, "split": {kind: argSplit},
			"level": {kind: argChoice, choices: []string{"char", "byte"}}, "vocab": {kind: argPath},
			"unknown": {kind: argName}, "context": {kind: argCount}},
		example: `text("tinyshakespeare.txt", seq = 128, split = [0.9, 0.1])`},
	"graph": {args: []string{"file"}, required: []string{"file"}, splits: []string{"fractions", "planetoid", "masks", "indices"},
		kw: map[string]argSpec{"file": {kind: argPath}, "features": {kind: argName}, "adjacency": {kind: argName},
			"labels": {kind: argName}, "split": {kind: argSplit}, "normalize": {kind: argChoice, choices: []string{"sym", "none"}},
			"features_norm": {kind: argChoice, choices: []string{"none", "row"}}},
		example: `graph("cora.npz", split = planetoid(20, 500, 1000, seed = 0))`},
	"images": {args: []string{"dir"}, required: []string{"dir"}, splits: []string{"fractions"},
		kw: withSets(map[string]argSpec{"dir": {kind: argPath}, "size": {kind: argSize},
			"color": {kind: argChoice, choices: []string{"gray", "rgb"}}}),
		example: `images("faces/", size = [28, 28])`},
	"jsonl": {args: []string{"file"}, required: []string{"file"}, splits: []string{"fractions"},
		kw: withSets(map[string]argSpec{"file": {kind: argPath}, "pad": {kind: argNameList}, "pad_value": {kind: argNum},
			"max_len": {kind: argPosInt}, "truncate": {kind: argBool}}),
		example: `jsonl("data.jsonl", pad = ["ids"], max_len = 64)`},
}

// ctorNames lists the data constructors, sorted.
func ctorNames() []string {
	names := make([]string, 0, len(dataCtors))
	for n := range dataCtors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// dataArg returns the argument name of call (a keyword, or the positional
// argument of that name) and its path for positions.
func dataArg(c dataCtor, call lang.Call, name string) (lang.Value, []string, bool) {
	if v, ok := call.Kwargs[name]; ok {
		return v, []string{name}, true
	}
	if i := slices.Index(c.args, name); i >= 0 && i < len(call.Args) {
		return call.Args[i], []string{strconv.Itoa(i)}, true
	}
	return nil, nil, false
}

// checkData checks the data setting: a name or file in quotes, or a call of
// a data constructor whose arguments all have the kinds it takes. Every
// error is at the value at fault.
func (s *settings) checkData() []*lang.Error {
	v := s.spec.Fields["data"]
	if _, ok := v.(string); ok {
		return nil
	}
	call, ok := v.(lang.Call)
	if !ok {
		return []*lang.Error{s.errorf(lang.CodeArgType, "data", "want a file or builtin name in quotes, or a constructor such as %s, got %s", dataCtors["csv"].example, showValue(v))}
	}
	c, ok := dataCtors[call.Name]
	if !ok {
		msg := fmt.Sprintf("unknown data constructor %s (known: %s)", call.Name, strings.Join(ctorNames(), ", "))
		if sug := closest(call.Name, ctorNames()); sug != "" {
			msg += fmt.Sprintf("; did you mean %s?", sug)
		}
		return []*lang.Error{s.errorf(lang.CodeUndefined, "data", "%s", msg)}
	}
	var errs []*lang.Error
	at := func(code string, path []string, format string, args ...any) {
		errs = append(errs, s.errorAt(s.spec.NestedPos("data", path...), code, "data", "%s: %s", call.Name, fmt.Sprintf(format, args...)))
	}
	for i := range call.Args {
		if i >= len(c.args) {
			at(lang.CodeArgs, []string{strconv.Itoa(i)}, "takes %d positional arguments, got %d (%s)", len(c.args), len(call.Args), c.example)
			break
		}
		if _, dup := call.Kwargs[c.args[i]]; dup {
			at(lang.CodeArgs, []string{c.args[i]}, "%s is given twice (positional and %s =)", c.args[i], c.args[i])
		}
	}
	for _, k := range sortedKwargs(call) {
		if _, known := c.kw[k]; !known && !c.anyPaths {
			errs = append(errs, s.errorAt(s.spec.NestedKeyPos("data", k), lang.CodeArgs, "data", "%s has no argument %s (arguments: %s)", call.Name, k, strings.Join(sortedSpecs(c.kw), ", ")))
		}
	}
	for _, r := range c.required {
		if _, _, ok := dataArg(c, call, r); !ok {
			at(lang.CodeArgs, nil, "%s is required (%s)", r, c.example)
		}
	}
	if c.anyPaths && len(call.Kwargs) == 0 {
		at(lang.CodeArgs, nil, "name each array and its file (%s)", c.example)
	}
	for _, name := range argNames(c, call) {
		v, path, _ := dataArg(c, call, name)
		spec, known := c.kw[name]
		if !known {
			if !c.anyPaths {
				continue
			}
			spec = argSpec{kind: argPath}
		}
		if msg, code := checkArg(c, spec, v); msg != "" {
			at(code, path, "%s = %s: %s", name, showValue(v), msg)
		}
	}
	if call.Name == "jsonl" && len(errs) == 0 {
		checkJSONLArgs(call, at)
	}
	return errs
}

// argNames lists the arguments call gives, positional ones by name, in a
// stable order.
func argNames(c dataCtor, call lang.Call) []string {
	var out []string
	for i := range min(len(call.Args), len(c.args)) {
		out = append(out, c.args[i])
	}
	return append(out, sortedKwargs(call)...)
}

func sortedKwargs(call lang.Call) []string {
	keys := make([]string, 0, len(call.Kwargs))
	for k := range call.Kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedSpecs(m map[string]argSpec) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkArg says what is wrong with v as an argument of kind spec ("" when
// nothing is) and the error's code.
func checkArg(c dataCtor, spec argSpec, v lang.Value) (string, string) {
	str, isStr := v.(string)
	switch spec.kind {
	case argPath, argName:
		if !isStr || str == "" {
			return "want a non-empty name in quotes", lang.CodeArgType
		}
	case argPair:
		l, ok := v.([]lang.Value)
		if !ok || len(l) != 2 {
			return "want two files in a list: [images, labels]", lang.CodeArgType
		}
		for _, e := range l {
			if s, ok := e.(string); !ok || s == "" {
				return "want two files in a list: [images, labels]", lang.CodeArgType
			}
		}
	case argChoice:
		if !isStr || !slices.Contains(spec.choices, str) {
			return "want one of " + quoteAll(spec.choices), lang.CodeValue
		}
	case argPosInt, argCount:
		what, lo := "a positive integer", int64(1)
		if spec.kind == argCount {
			what, lo = "an integer from 0", 0
		}
		n, ok := v.(int64)
		if !ok {
			return "want " + what, lang.CodeArgType
		}
		if n < lo || n > math.MaxInt32 {
			return "want " + what + " below 2^31", lang.CodeValue
		}
	case argPosNum:
		f, ok := number(v)
		if !ok {
			return "want a positive number", lang.CodeArgType
		}
		if !(f > 0) || math.IsInf(f, 0) {
			return "want a positive, finite number", lang.CodeValue
		}
	case argBool:
		if _, ok := v.(bool); !ok {
			return "want true or false", lang.CodeArgType
		}
	case argColumn:
		if n, ok := v.(int64); ok {
			if n == 0 || n > math.MaxInt32 || n < -math.MaxInt32 {
				return "want a column index from 1 (negative: from the end), or a name in quotes", lang.CodeValue
			}
		} else if !isStr || str == "" {
			return "want a column index from 1 (negative: from the end), or a name in quotes", lang.CodeArgType
		}
	case argColumns:
		l, ok := v.([]lang.Value)
		if !ok || len(l) == 0 {
			return "want a list of columns, each a name in quotes or an index from 1", lang.CodeArgType
		}
		for _, e := range l {
			if msg, code := checkArg(c, argSpec{kind: argColumn}, e); msg != "" {
				return msg, code
			}
			if n, ok := e.(int64); ok && n < 0 {
				return "columns count from 1 here (no negative indices)", lang.CodeValue
			}
		}
	case argSize:
		l, ok := v.([]lang.Value)
		if !ok || len(l) != 2 {
			return "want [height, width]", lang.CodeArgType
		}
		for _, e := range l {
			if n, ok := e.(int64); !ok || n < 1 || n > 1<<16 {
				return "want [height, width], each from 1 to 65536", lang.CodeValue
			}
		}
	case argNameList:
		l, ok := v.([]lang.Value)
		if !ok || len(l) == 0 {
			return "want a list of names in quotes, such as [\"ids\"]", lang.CodeArgType
		}
		for _, e := range l {
			if s, ok := e.(string); !ok || s == "" {
				return "want a list of names in quotes, such as [\"ids\"]", lang.CodeArgType
			}
		}
	case argNum:
		f, ok := number(v)
		if !ok {
			return "want a number", lang.CodeArgType
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "want a finite number", lang.CodeValue
		}
	case argSplit:
		return checkSplitForm(c, v)
	}
	return "", ""
}

// checkSplitForm checks split = against the forms the constructor takes.
func checkSplitForm(c dataCtor, v lang.Value) (string, string) {
	want := "want " + strings.Join(c.splits, ", ") + " (such as [0.8, 0.1, 0.1])"
	switch x := v.(type) {
	case []lang.Value:
		if _, err := fractions(x); err != "" {
			return err, lang.CodeValue
		}
		return "", ""
	case lang.Call:
		if !slices.Contains(c.splits, x.Name) {
			return want, lang.CodeArgType
		}
		switch x.Name {
		case "planetoid":
			return checkPlanetoid(x)
		default: // indices, masks
			if len(x.Args) > 0 {
				return x.Name + " takes the arrays as train = \"...\", val = \"...\", test = \"...\"", lang.CodeArgs
			}
			if _, ok := x.Kwargs["train"]; !ok {
				return x.Name + " needs train = \"...\" (the array of the training set)", lang.CodeArgs
			}
			for _, k := range sortedKwargs(x) {
				if k != "train" && k != "val" && k != "test" {
					return x.Name + " has no argument " + k + " (train, val, test)", lang.CodeArgs
				}
				if s, ok := x.Kwargs[k].(string); !ok || s == "" {
					return x.Name + ": " + k + " = " + showValue(x.Kwargs[k]) + ": want an array name in quotes", lang.CodeArgType
				}
			}
		}
		return "", ""
	}
	return want, lang.CodeArgType
}

// checkPlanetoid checks planetoid(per_class, val, test, seed = 0), whose
// seed may be "run": the run's seed (each seed's own with several).
func checkPlanetoid(x lang.Call) (string, string) {
	if len(x.Args) != 3 {
		return "planetoid takes three counts: planetoid(per_class, val, test, seed = 0)", lang.CodeArgs
	}
	for _, a := range x.Args {
		if n, ok := a.(int64); !ok || n < 0 || n > math.MaxInt32 {
			return "planetoid's counts are non-negative integers: planetoid(20, 500, 1000)", lang.CodeValue
		}
	}
	if n, ok := x.Args[0].(int64); ok && n == 0 {
		return "planetoid needs at least one labelled node per class", lang.CodeValue
	}
	for _, k := range sortedKwargs(x) {
		if k != "seed" {
			return "planetoid has no argument " + k + " (seed)", lang.CodeArgs
		}
		if s, ok := x.Kwargs[k].(string); ok && s == "run" {
			continue
		}
		if n, ok := x.Kwargs[k].(int64); !ok || n < 0 {
			return "planetoid's seed is a non-negative integer, or \"run\" (the run's seed)", lang.CodeValue
		}
	}
	return "", ""
}

// fractions reads [train, val] or [train, val, test] as a Split.
func fractions(l []lang.Value) (Split, string) {
	const want = "want fractions [train, val] or [train, val, test] such as [0.8, 0.1, 0.1]"
	if len(l) != 2 && len(l) != 3 {
		return Split{}, want
	}
	var f [3]float64
	for i, x := range l {
		n, ok := number(x)
		if !ok {
			return Split{}, want
		}
		f[i] = n
	}
	sp := Split{Train: f[0], Val: f[1], Test: f[2]}
	if err := sp.Check(); err != nil {
		return Split{}, err.Error()
	}
	return sp, ""
}

func quoteAll(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	return strings.Join(q, ", ")
}

// closest returns the candidate within two edits of name, or "".
func closest(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
