package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nnclang/nnc"
)

func cmdCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check")
	shapes := shapesFlag{}
	fs.Var(shapes, "shapes", "values of shape variables for the memory estimate, e.g. B=64")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	params := fs.String("params", "", "also report a parameter file (.safetensors): each tensor's zeros and sparsity")
	memoryFlag(fs, "the memory limit the peaks are compared with, e.g. 2GB (default: $"+envMaxMemory+", else the memory available)")
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	if _, err := setMemoryLimit(fs); err != nil {
		return err
	}
	sum, err := summarize(file, shapes)
	if err != nil {
		if *asJSON && !isUsage(err) {
			if jerr := writeErrorsJSON(stdout, file, err); jerr != nil {
				return jerr
			}
		}
		return err
	}
	var pf *nnc.ParamFile
	if *params != "" {
		if pf, err = checkParams(file, *params); err != nil {
			return err
		}
	}
	if *asJSON {
		if pf != nil {
			return writeJSON(stdout, struct {
				*nnc.Summary
				Params *nnc.ParamFile `json:"params_file"`
			}{sum, pf})
		}
		return writeJSON(stdout, sum)
	}
	fmt.Fprint(stdout, summaryText(sum))
	fmt.Fprint(stdout, paramFileText(pf))
	return nil
}

// checkParams reports the parameter file params against FILE's models.
func checkParams(file, params string) (*nnc.ParamFile, error) {
	p, err := compileFile(file)
	if err != nil {
		return nil, err
	}
	return p.CheckParams(params)
}

// summarize compiles FILE and summarizes it for the --shapes values, whose
// names must be shape variables of its entries.
func summarize(file string, shapes shapesFlag) (*nnc.Summary, error) {
	p, err := compileFile(file)
	if err != nil {
		return nil, err
	}
	if err := p.CheckTrainBlocks(); err != nil {
		return nil, err
	}
	sum, err := p.Summary(shapes)
	if err != nil {
		return nil, err
	}
	vars := map[string]bool{}
	for _, e := range sum.Entries {
		for _, a := range e.Inputs {
			shapeVars(vars, a.Type)
		}
	}
	if err := checkShapeNames(shapes, vars); err != nil {
		return nil, err
	}
	return sum, nil
}

// isUsage reports whether err is a usage error (exit status 2).
func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

// entryFlags are the flags of the commands that run one entry.
type entryFlags struct {
	entry, params, out string
	seed               uint64
	ins                listFlag
	pf                 paramFlags
}

func (ef *entryFlags) define(fs *flag.FlagSet, entryHelp string) {
	fs.StringVar(&ef.entry, "entry", "", entryHelp)
	fs.StringVar(&ef.params, "params", "", "parameters to load (.safetensors)")
	ef.pf.define(fs)
	fs.Uint64Var(&ef.seed, "seed", 0, "seed for initializing parameters when --params is not given")
	fs.StringVar(&ef.out, "out", "", "write the results to this .npy or .safetensors file instead of stdout")
	fs.Var(&ef.ins, "in", "an input, NAME=VALUE: inline JSON or a .npy file (repeatable)")
	memoryFlag(fs, memoryHelp)
}

// load parses the command line, compiles FILE and reads the inputs.
func (ef *entryFlags) load(fs *flag.FlagSet, args []string, stderr io.Writer) (*nnc.Func, map[string]*nnc.Tensor, error) {
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return nil, nil, err
	}
	if err := nonEmpty(fs, "entry", "params", "out"); err != nil {
		return nil, nil, err
	}
	if _, err := setMemoryLimit(fs); err != nil {
		return nil, nil, err
	}
	f, err := loadFuncWith(file, ef.entry, ef.params, ef.seed, &ef.pf)
	if err != nil {
		return nil, nil, err
	}
	in, err := inputs(f, ef.ins)
	if err != nil {
		return nil, nil, err
	}
	return f, in, nil
}

// loadFunc compiles FILE and prepares --entry with --params (or --seed).
func loadFunc(file, entry, params string, seed uint64) (*nnc.Func, error) {
	return loadFuncWith(file, entry, params, seed, nil)
}

// loadFuncWith is loadFunc reading --params as pf says (nil: nnc's own
// parameter files).
func loadFuncWith(file, entry, params string, seed uint64, pf *paramFlags) (*nnc.Func, error) {
	if entry == "" {
		return nil, usagef("--entry is required (a function f or a method Model.fn)")
	}
	p, err := compileFile(file)
	if err != nil {
		return nil, err
	}
	f, err := p.Func(entry)
	if err != nil {
		return nil, err
	}
	if seed != 0 {
		if err := f.InitParams(seed); err != nil {
			return nil, err
		}
	}
	if params != "" {
		if pf == nil {
			pf = &paramFlags{}
		}
		if err := pf.load(f, params); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// inputs parses --in name=V for every parameter of f.
func inputs(f *nnc.Func, ins []string) (map[string]*nnc.Tensor, error) {
	out, err := someInputs(f, ins)
	if err != nil {
		return nil, err
	}
	for _, a := range f.Inputs() {
		if _, ok := out[a.Name]; !ok {
			return nil, usagef("missing --in %s=VALUE (%s)", a.Name, a.Type)
		}
	}
	return out, nil
}

// someInputs parses --in name=V for parameters of f, each at most once.
func someInputs(f *nnc.Func, ins []string) (map[string]*nnc.Tensor, error) {
	types := map[string]string{}
	names := map[string]bool{}
	for _, a := range f.Inputs() {
		types[a.Name] = a.Type
		names[a.Name] = true
	}
	out := map[string]*nnc.Tensor{}
	for _, in := range ins {
		name, val, ok := strings.Cut(in, "=")
		if !ok {
			return nil, usagef("--in wants NAME=VALUE, got %q", in)
		}
		t, ok := types[name]
		if !ok {
			return nil, usagef("--in %s: %s has no parameter %q (%s)", name, f.Entry(), name, known(names))
		}
		if _, dup := out[name]; dup {
			return nil, usagef("--in %s is given twice", name)
		}
		v, err := readValue(val, t)
		if err != nil {
			return nil, fmt.Errorf("--in %s: %v", name, err)
		}
		out[name] = v
	}
	return out, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run")
	var ef entryFlags
	ef.define(fs, "the function or method to run: f or Model.fn")
	batch := runBatchFlag(fs)
	f, in, err := ef.load(fs, args, stderr)
	if err != nil {
		return err
	}
	if ef.params != "" {
		// Scaled as the model's training data was, when statistics were
		// saved beside the parameters.
		if in, err = nnc.PreprocessInputs(ef.params, in); err != nil {
			return err
		}
	}
	res, err := runBatched(fs, f, in, *batch)
	if err != nil {
		return err
	}
	names := make([]string, len(res))
	for i := range res {
		names[i] = "out"
		if len(res) > 1 {
			names[i] = fmt.Sprintf("out%d", i)
		}
	}
	return emit(stdout, ef.out, names, res)
}

func cmdGrad(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("grad")
	var ef entryFlags
	ef.define(fs, "the function or method: f or Model.fn; it must return a float scalar")
	wrt := fs.String("wrt", "", "comma-separated input names and parameter paths")
	f, in, err := ef.load(fs, args, stderr)
	if err != nil {
		return err
	}
	if *wrt == "" {
		return usagef("--wrt is required")
	}
	names := strings.Split(*wrt, ",")
	for i, name := range names {
		if name == "" {
			return usagef("--wrt %q: an empty name", *wrt)
		}
		if slices.Contains(names[:i], name) {
			return usagef("--wrt %q: %s is given twice", *wrt, name)
		}
	}
	val, grads, err := f.Grad(names, in)
	if err != nil {
		return err
	}
	return emit(stdout, ef.out, append([]string{"out"}, names...), append([]*nnc.Tensor{val}, grads...))
}

func cmdGraph(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("graph")
	entry := fs.String("entry", "", "the function or method: f or Model.fn")
	var o nnc.GraphOptions
	fs.BoolVar(&o.Grad, "grad", false, "include the gradient of the (scalar) result w.r.t. every parameter and float input")
	fs.StringVar(&o.Format, "format", "text", "text or dot")
	fs.BoolVar(&o.Opt, "opt", false, "print the graph after the optimizer's passes")
	fs.StringVar(&o.DumpAfter, "dump-after", "", "print the graph after the named pass (dce, fold, simplify, stability, cse, fuse)")
	shapes := shapesFlag{}
	fs.Var(shapes, "shapes", "values of shape variables of the entry's inputs, e.g. T=50 (needed for a loop over one: a scan over T)")
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	if *entry == "" {
		return usagef("--entry is required")
	}
	if err := nonEmpty(fs, "dump-after"); err != nil {
		return err
	}
	if o.Format != "text" && o.Format != "dot" {
		return usagef("--format is text or dot, not %q", o.Format)
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	o.Shapes = shapes
	g, err := p.Graph(*entry, o)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, g)
	return nil
}
