package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc"
)

var errHelp = errors.New("help shown")

// parse parses flags that may come before or after positional arguments
// (nnc grad f.nn --entry f) and returns the positional ones.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, error) {
	fs.SetOutput(stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// given lists the flags the command line set.
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// nonEmpty checks that the string flags the command line set are not empty
// (an empty --data or -o would otherwise mean "not given").
func nonEmpty(fs *flag.FlagSet, names ...string) error {
	set := given(fs)
	for _, name := range names {
		if f := fs.Lookup(name); set[name] && f.Value.String() == "" {
			return usagef("-%s: want a value, got an empty string", dashes(name))
		}
	}
	return nil
}

// dashes is the spelling of a flag in messages: -o, --epochs.
func dashes(name string) string {
	if len(name) == 1 {
		return name
	}
	return "-" + name
}

// positiveInt checks an integer flag the command line set.
func positiveInt(fs *flag.FlagSet, name string, v int) error {
	if given(fs)[name] && v < 1 {
		return usagef("--%s must be a positive integer, got %d", name, v)
	}
	return nil
}

// contextFlag is --context N for text data's evaluation windows: N > 0
// scores each window's positions after the first N, 0 every position
// (TrainOptions.TextContext and EvalOptions.TextContext take 0 as the block's and
// a negative number as none); a negative N is a usage error.
func contextFlag(fs *flag.FlagSet, dst *int) {
	fs.Func("context", "text data: score the validation and test windows' positions after their first N, overlapping the windows by N (0: every position; overrides the data block's context)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("want a number of characters from 0, got %q", s)
		}
		*dst = n
		if n == 0 {
			*dst = -1
		}
		return nil
	})
}

// positiveFloat checks a float flag the command line set: positive and
// finite.
func positiveFloat(fs *flag.FlagSet, name string, v float64) error {
	if given(fs)[name] && !(v > 0 && !math.IsInf(v, 0)) {
		return usagef("--%s must be a positive, finite number, got %v", name, v)
	}
	return nil
}

// listFlag collects a repeated flag (--in x=1 --in y=2).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// shapesFlag parses --shapes B=64,T=10 (repeatable).
type shapesFlag map[string]int

func (s shapesFlag) String() string { return fmt.Sprint(map[string]int(s)) }

func (s shapesFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		name, val, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if !ok || err != nil || n < 0 || !shapeName.MatchString(name) {
			return fmt.Errorf("want NAME=SIZE with a size from 0, got %q", part)
		}
		if _, dup := s[name]; dup {
			return fmt.Errorf("%s is given twice", name)
		}
		s[name] = n
	}
	return nil
}

// shapeName is a shape variable: an identifier, or a sparse input's count
// of entries (A.nnz; t.0.nnz for one in a tuple).
var shapeName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*((\.[0-9]+)*\.nnz)?$`)

// identifier is a name in .nn source; word finds them in a type.
var (
	identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	word       = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*((\.[0-9]+)*\.nnz)?`)
)

// shapeVars adds to vars the shape variables of the types written as in .nn
// source ("f32[B, 2 * T]" has B and T).
func shapeVars(vars map[string]bool, types ...string) {
	for _, t := range types {
		if i := strings.IndexByte(t, '['); i >= 0 {
			for _, name := range word.FindAllString(t[i:], -1) {
				vars[name] = true
			}
		}
	}
}

// checkShapeNames refuses --shapes names that are no shape variable.
func checkShapeNames(shapes shapesFlag, vars map[string]bool) error {
	var unknown []string
	for name := range shapes {
		if !vars[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return usagef("--shapes %s: no such shape variable (%s)", strings.Join(unknown, ", "), known(vars))
}

// known lists names for a message.
func known(names map[string]bool) string {
	if len(names) == 0 {
		return "there are none"
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	return "known: " + strings.Join(list, ", ")
}

// parseFile parses the command line of a command that takes one FILE
// (parse, then oneFile): flags may come before or after it.
func parseFile(fs *flag.FlagSet, args []string, stderr io.Writer) (string, error) {
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return "", err
	}
	return oneFile(pos)
}

// oneFile checks that exactly one positional FILE was given.
func oneFile(pos []string) (string, error) {
	if len(pos) != 1 {
		return "", usagef("want exactly one FILE, got %d arguments", len(pos))
	}
	return pos[0], nil
}

// argsFlag collects --arg NAME=VALUE model arguments.
type argsFlag map[string]any

func (a argsFlag) String() string { return fmt.Sprint(map[string]any(a)) }

func (a argsFlag) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok || !identifier.MatchString(name) {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	if _, dup := a[name]; dup {
		return fmt.Errorf("%s is given twice", name)
	}
	if n, err := strconv.Atoi(val); err == nil {
		a[name] = n
	} else if f, err := strconv.ParseFloat(val, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s: %s is not a finite number", name, val)
		}
		a[name] = f
	} else if b, err := strconv.ParseBool(val); err == nil {
		a[name] = b
	} else {
		a[name] = val
	}
	return nil
}

// modelArgs are this command line's --arg values and o0 its -O0 (both
// reset by run).
var (
	modelArgs = argsFlag{}
	o0        bool
)

// newFlagSet starts the flags of a command that compiles a program; every
// such command takes --arg.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Var(modelArgs, "arg", "a model argument, NAME=VALUE, overriding its default (repeatable)")
	fs.BoolVar(&o0, "O0", false, "run the graphs as lowered, without the optimizer's passes")
	return fs
}

// compileFile compiles FILE with the command line's model arguments, which
// must all be arguments of its models.
func compileFile(file string) (*nnc.Program, error) {
	p, err := nnc.CompileFile(file)
	if err != nil {
		return nil, err
	}
	names := p.ModelArgNames()
	var unknown []string
	for name := range modelArgs {
		if !slices.Contains(names, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		have := "its models take no arguments"
		if len(names) > 0 {
			have = "arguments: " + strings.Join(names, ", ")
		}
		return nil, usagef("--arg %s: no model of %s has such an argument (%s)", strings.Join(unknown, ", "), file, have)
	}
	p.SetModelArgs(modelArgs)
	if o0 {
		p.SetOptLevel(0)
	}
	return p, nil
}

// splitFlag parses --split TRAIN,VAL,TEST (0.8,0.1,0.1): three fractions
// that nnc.Split.Check accepts.
type splitFlag struct{ s *nnc.Split }

func (f splitFlag) String() string {
	if f.s == nil || *f.s == (nnc.Split{}) {
		return ""
	}
	return fmt.Sprintf("%v,%v,%v", f.s.Train, f.s.Val, f.s.Test)
}

func (f splitFlag) Set(v string) error {
	parts := strings.Split(v, ",")
	if len(parts) != 3 {
		return fmt.Errorf("want three fractions TRAIN,VAL,TEST such as 0.8,0.1,0.1, got %q", v)
	}
	var x [3]float64
	for i, p := range parts {
		n, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return fmt.Errorf("want three fractions TRAIN,VAL,TEST such as 0.8,0.1,0.1, got %q", v)
		}
		x[i] = n
	}
	s := nnc.Split{Train: x[0], Val: x[1], Test: x[2]}
	if err := s.Check(); err != nil {
		return err
	}
	*f.s = s
	return nil
}

// splitHelp is the help of --split.
const splitHelp = "fractions of the data for training, validation and test, e.g. 0.8,0.1,0.1 (overrides the train block; default 0.7,0.15,0.15)"

// dataHelp is the help of train's --data.
const dataHelp = "the data set: a file (read as the train block's data constructor reads its file), a folder, or a name (digits, mnist, fashion-mnist); overrides the train block's data"

// bindFlags defines --inputs, --labels and --shapes, which bind the data to
// the entry's inputs (train and eval).
func bindFlags(fs *flag.FlagSet, inputs *map[string]string, labels *string, shapes *map[string]int) {
	*inputs = map[string]string{}
	*shapes = map[string]int{}
	fs.Var(inputsFlag(*inputs), "inputs", "bind arrays of the data to inputs of the entry, INPUT=ARRAY,... (over the train block's inputs = {...}; repeatable)")
	fs.StringVar(labels, "labels", "", "the labels for accuracy: an input of the entry or an array of the data (overrides the train block's labels)")
	fs.Var(shapesFlag(*shapes), "shapes", "sizes of the inputs' shape variables other than the batch axis, NAME=SIZE,... (T=128); the data gives them when it can")
}

// inputsFlag parses --inputs ids=x,next=y (repeatable).
type inputsFlag map[string]string

func (f inputsFlag) String() string { return fmt.Sprint(map[string]string(f)) }

func (f inputsFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		name, arr, ok := strings.Cut(part, "=")
		name, arr = strings.TrimSpace(name), strings.TrimSpace(arr)
		if !ok || !identifier.MatchString(name) || arr == "" {
			return fmt.Errorf("want INPUT=ARRAY such as ids=x, got %q", part)
		}
		if _, dup := f[name]; dup {
			return fmt.Errorf("%s is given twice", name)
		}
		f[name] = arr
	}
	return nil
}

// runBatchFlag defines run's --batch.
func runBatchFlag(fs *flag.FlagSet) *int {
	return fs.Int("batch", 0, "run the inputs in batches of at most this many rows along their batch axis, joining the results (default: all at once)")
}

// runBatched runs f on in, in batches when --batch is given.
func runBatched(fs *flag.FlagSet, f *nnc.Func, in map[string]*nnc.Tensor, batch int) ([]*nnc.Tensor, error) {
	if !given(fs)["batch"] {
		return f.Run(in)
	}
	if err := positiveInt(fs, "batch", batch); err != nil {
		return nil, err
	}
	return f.RunBatches(context.Background(), in, batch)
}
