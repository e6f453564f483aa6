package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/nnclang/nnc"
)

// cmdGradcheck checks an entry's gradient numerically:
//
//	nnc gradcheck FILE --entry M.fn [--in x=V ...] [--params P] [--seed N]
//	    [--shapes B=3] [--eps 1e-5] [--tol 1e-5] [--samples 64] [--quiet]
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
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}
	if *eps <= 0 || *tol <= 0 || *samples == 0 {
		return usagef("--eps and --tol must be positive and --samples not 0")
	}
	f, err := loadFunc(file, *entry, *params, *seed)
	if err != nil {
		return err
	}
	types := map[string]string{}
	for _, a := range f.Inputs() {
		types[a.Name] = a.Type
	}
	given := map[string]*nnc.Tensor{}
	for _, in := range ins {
		name, val, ok := strings.Cut(in, "=")
		if !ok {
			return usagef("--in wants NAME=VALUE, got %q", in)
		}
		t, ok := types[name]
		if !ok {
			return fmt.Errorf("--in %s: %s has no parameter %q", name, f.Entry(), name)
		}
		v, err := nnc.ReadValue(val, t)
		if err != nil {
			return fmt.Errorf("--in %s: %v", name, err)
		}
		given[name] = v
	}
	rep, err := f.GradCheck(nnc.GradCheckOptions{
		Inputs: given, Shapes: shapes, Seed: *seed, Eps: *eps, Tol: *tol, Samples: *samples,
	})
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprint(stderr, rep.Table())
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
