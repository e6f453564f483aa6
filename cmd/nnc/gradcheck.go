package main

import (
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/nnclang/nnc"
)

// cmdGradcheck checks an entry's gradient numerically:
//
//	nnc gradcheck FILE --entry M.fn [--in x=V ...] [--params P] [--seed N]
//	    [--shapes B=3] [--eps 1e-5] [--tol 1e-5] [--samples 64] [--quiet]
//	    [--max-memory 2GB]
//
// It prints the report as one JSON object on stdout and as a table on stderr
// (unless --quiet), and exits with status 1 when the worst relative error
// exceeds the tolerance.
func cmdGradcheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gradcheck")
	entry := fs.String("entry", "", "the function or method to check: f or Model.fn")
	params := fs.String("params", "", "parameters to load (.safetensors); default: initialized from --seed")
	seed := fs.Uint64("seed", 0, "seed of the parameters (without --params), the random inputs and the sampled elements")
	var ins listFlag
	fs.Var(&ins, "in", "an input, NAME=VALUE: inline JSON or a .npy file (repeatable); inputs not given are random")
	shapes := shapesFlag{}
	fs.Var(shapes, "shapes", "sizes of shape variables for random inputs, e.g. B=3 (default 3 each)")
	eps := fs.Float64("eps", 1e-5, "central-difference step (the check runs in f64)")
	tol := fs.Float64("tol", 1e-5, "largest accepted relative error")
	samples := fs.Int("samples", 64, "elements checked per input and parameter (-1: all)")
	quiet := fs.Bool("quiet", false, "no table on stderr")
	memoryFlag(fs, memoryHelp)
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	if err := gradcheckFlags(fs, *eps, *tol, *samples); err != nil {
		return err
	}
	if _, err := setMemoryLimit(fs); err != nil {
		return err
	}
	f, err := loadFunc(file, *entry, *params, *seed)
	if err != nil {
		return err
	}
	vars := map[string]bool{}
	for _, a := range f.Inputs() {
		shapeVars(vars, a.Type)
	}
	if err := checkShapeNames(shapes, vars); err != nil {
		return err
	}
	given, err := someInputs(f, ins)
	if err != nil {
		return err
	}
	rep, err := f.GradCheck(nnc.GradCheckOptions{
		Inputs: given, Shapes: shapes, Seed: *seed, Eps: *eps, Tol: *tol, Samples: *samples,
	})
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprint(stderr, gradcheckTable(rep))
	}
	if err := writeJSON(stdout, rep); err != nil {
		return err
	}
	if !rep.OK {
		w := rep.Worst()
		return fmt.Errorf("gradcheck %s: the gradient w.r.t. %s %s is off: relative error %.3g > %g (analytic %g, numeric %g at element %d)",
			rep.Entry, w.Kind, w.Name, w.MaxRelErr, rep.Tol, w.Analytic, w.Numeric, w.At)
	}
	return nil
}

// gradcheckFlags checks --eps, --tol (positive and finite) and --samples
// (-1 for all, or from 1).
func gradcheckFlags(fs *flag.FlagSet, eps, tol float64, samples int) error {
	if err := nonEmpty(fs, "entry", "params"); err != nil {
		return err
	}
	if !(eps > 0 && !math.IsInf(eps, 0)) || !(tol > 0 && !math.IsInf(tol, 0)) {
		return usagef("--eps and --tol must be positive, finite numbers, got %v and %v", eps, tol)
	}
	if samples != -1 && samples < 1 {
		return usagef("--samples is -1 (every element) or a count from 1, got %d", samples)
	}
	return nil
}
