package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/nnclang/nnc"
)

func cmdCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check")
	shapes := shapesFlag{}
	fs.Var(shapes, "shapes", "values of shape variables for the memory estimate, e.g. B=64")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	sum, err := p.Summary(shapes)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, sum)
	}
	fmt.Fprint(stdout, sum.Text())
	return nil
}

// entryFlags are the flags of the commands that run one entry.
type entryFlags struct {
	entry, params, out string
	seed               uint64
	ins                listFlag
}

func (ef *entryFlags) define(fs *flag.FlagSet, entryHelp string) {
	fs.StringVar(&ef.entry, "entry", "", entryHelp)
	fs.StringVar(&ef.params, "params", "", "parameters to load (.safetensors)")
	fs.Uint64Var(&ef.seed, "seed", 0, "seed for initializing parameters when --params is not given")
	fs.StringVar(&ef.out, "out", "", "write the results to this .npy or .safetensors file instead of stdout")
	fs.Var(&ef.ins, "in", "an input, NAME=VALUE: inline JSON or a .npy file (repeatable)")
}

// load parses the command line, compiles FILE and reads the inputs.
func (ef *entryFlags) load(fs *flag.FlagSet, args []string, stderr io.Writer) (*nnc.Func, map[string]*nnc.Tensor, error) {
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return nil, nil, err
	}
	file, err := oneFile(pos)
	if err != nil {
		return nil, nil, err
	}
	f, err := loadFunc(file, ef.entry, ef.params, ef.seed)
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
		if err := f.LoadParams(params); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// inputs parses --in name=V for f's parameters.
func inputs(f *nnc.Func, ins []string) (map[string]*nnc.Tensor, error) {
	types := map[string]string{}
	for _, a := range f.Inputs() {
		types[a.Name] = a.Type
	}
	out := map[string]*nnc.Tensor{}
	for _, in := range ins {
		name, val, ok := strings.Cut(in, "=")
		if !ok {
			return nil, usagef("--in wants NAME=VALUE, got %q", in)
		}
		t, ok := types[name]
		if !ok {
			return nil, fmt.Errorf("--in %s: %s has no parameter %q", name, f.Entry(), name)
		}
		v, err := nnc.ReadValue(val, t)
		if err != nil {
			return nil, fmt.Errorf("--in %s: %v", name, err)
		}
		out[name] = v
	}
	for _, a := range f.Inputs() {
		if _, ok := out[a.Name]; !ok {
			return nil, usagef("missing --in %s=VALUE (%s)", a.Name, a.Type)
		}
	}
	return out, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run")
	var ef entryFlags
	ef.define(fs, "the function or method to run: f or Model.fn")
	f, in, err := ef.load(fs, args, stderr)
	if err != nil {
		return err
	}
	res, err := f.Run(in)
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
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}
	if *entry == "" {
		return usagef("--entry is required")
	}
	if o.Format != "text" && o.Format != "dot" {
		return usagef("--format is text or dot, not %q", o.Format)
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	g, err := p.Graph(*entry, o)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, g)
	return nil
}

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train")
	var o nnc.TrainOptions
	fs.StringVar(&o.Model, "model", "", "the model to train (default: the one with a train block)")
	fs.IntVar(&o.Epochs, "epochs", 0, "epochs (overrides the train block)")
	fs.IntVar(&o.Batch, "batch", 0, "batch size (overrides the train block)")
	fs.Float64Var(&o.LR, "lr", 0, "learning rate (overrides the optimizer's)")
	fs.StringVar(&o.Optimizer, "optimizer", "", "sgd or adam (overrides the train block)")
	seed := fs.Int64("seed", -1, "seed for initialization, shuffling and dropout (default: the train block's, else 0)")
	fs.StringVar(&o.Data, "data", "", "data set: a builtin name (digits) or a CSV/IDX file")
	fs.StringVar(&o.Output, "o", "", "write the trained parameters to this .safetensors file")
	asJSON := fs.Bool("json", false, "print the final metrics as one JSON object on stdout")
	quiet := fs.Bool("quiet", false, "no progress lines")
	fs.BoolVar(&o.Remat, "remat", false, "recompute forward values in the backward pass to save memory (bitwise-identical results)")
	maxMem := fs.String("max-memory", "", "peak memory budget of a training step, e.g. 2MB (implies --remat)")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}
	if *maxMem != "" {
		n, err := nnc.ParseBytes(*maxMem)
		if err != nil {
			return usagef("--max-memory: %v", err)
		}
		o.MaxMemory, o.Remat = n, true
	}
	if *seed >= 0 {
		s := uint64(*seed)
		o.Seed = &s
	}
	if !*quiet {
		o.Progress = stderr
		if !*asJSON {
			o.Progress = stdout
		}
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	res, err := p.Train(o)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res.Metrics)
	}
	fmt.Fprintf(stdout, "test accuracy %.4f  test loss %.4f\n", res.Metrics["test_accuracy"], res.Metrics["test_loss"])
	if o.Output != "" {
		fmt.Fprintf(stdout, "parameters written to %s\n", o.Output)
	}
	return nil
}

func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval")
	var o nnc.EvalOptions
	fs.StringVar(&o.Model, "model", "", "the model (default: the one with a train block)")
	fs.StringVar(&o.Params, "params", "", "trained parameters (.safetensors)")
	fs.StringVar(&o.Data, "data", "", "data set: a builtin name (digits) or a CSV/IDX file")
	fs.IntVar(&o.Batch, "batch", 0, "evaluation batch size")
	asJSON := fs.Bool("json", false, "print the metrics as one JSON object (the default)")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	_ = asJSON
	file, err := oneFile(pos)
	if err != nil {
		return err
	}
	if o.Params == "" {
		return usagef("--params is required")
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	m, err := p.Eval(o)
	if err != nil {
		return err
	}
	return writeJSON(stdout, m)
}
