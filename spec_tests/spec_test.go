package spectests

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// TestSpec runs every case under cases/: one subtest per file, named by its
// path without the extension (go test -run 'TestSpec/arith/pow').
func TestSpec(t *testing.T) {
	var files []string
	err := filepath.WalkDir("cases", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".txtar") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no cases under cases/")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.ToSlash(strings.TrimPrefix(file, "cases"+string(filepath.Separator))), ".txtar")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseCase(file, data)
			if err != nil {
				t.Fatal(err)
			}
			if err := runCase(c); err != nil {
				t.Fatalf("%s: %s\n(case: %s)", file, err, c.header)
			}
		})
	}
}

// stageError is an error from one step of running a case.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }

// runCase compiles and runs a case and checks its expectations.
func runCase(c *specCase) error {
	res, err := execute(c)
	var se *stageError
	if len(c.errors) > 0 {
		if err == nil {
			return fmt.Errorf("want an error, but the case ran (%s)", res)
		}
		if !errors.As(err, &se) {
			return err // a malformed case or a broken harness, not the error under test
		}
		if e := matchErrors(se.err, c.errors); e != nil {
			return fmt.Errorf("%s: %v", se.stage, e)
		}
		if e := matchCodes(se.err, c.codes); e != nil {
			return fmt.Errorf("%s: %v", se.stage, e)
		}
		return nil
	}
	if err != nil {
		return err
	}
	var fails []string
	check := func(got *tensor.Tensor, want *expected) {
		tol := defaultTol(want.dtype)
		if c.tol != nil {
			tol = *c.tol
		}
		if e := compareTensor(got, want, tol); e != nil {
			fails = append(fails, e.Error())
		}
	}
	if len(res.outs) != len(c.outs) {
		return fmt.Errorf("got %d results, want %d", len(res.outs), len(c.outs))
	}
	for i, w := range c.outs {
		check(res.outs[i], w)
	}
	if len(res.grads) != len(c.grads) {
		return fmt.Errorf("got %d gradients, want %d", len(res.grads), len(c.grads))
	}
	for i, g := range c.grads {
		check(res.grads[i], g.want)
	}
	if len(fails) > 0 {
		return fmt.Errorf("%s", strings.Join(fails, "\n"))
	}
	return nil
}

// results are what a case computed.
type results struct {
	outs, grads []*tensor.Tensor
}

func (r *results) String() string {
	var parts []string
	for _, t := range r.outs {
		parts = append(parts, t.String())
	}
	return "results " + strings.Join(parts, ", ")
}

// execute runs the case's steps: Compile, Func, SetParam, then Run or Grad.
// An error of the system under test comes back as a *stageError; any other
// error is the case's fault (an input the entry lacks, bad JSON).
func execute(c *specCase) (res *results, err error) {
	stage := "Compile"
	defer func() {
		if r := recover(); r != nil {
			err = &stageError{stage, fmt.Errorf("panic: %v", r)}
		}
	}()
	prog, err := compileCase(c)
	if err != nil {
		return nil, &stageError{stage, err}
	}
	stage = "Func(" + c.entry + ")"
	f, err := prog.Func(c.entry)
	if err != nil {
		return nil, &stageError{stage, err}
	}
	types := map[string]string{}
	for _, a := range f.Inputs() {
		types[a.Name] = dtypeOf(a.Type)
	}
	inputs := map[string]*tensor.Tensor{}
	for _, in := range c.inputs {
		dt, ok := types[in.name]
		if !ok {
			return nil, fmt.Errorf("in/%s.json: %s has no parameter %q (it has %v)", in.name, c.entry, in.name, f.Inputs())
		}
		v, err := inlineTensor(in.text, dt)
		if err != nil {
			return nil, fmt.Errorf("in/%s.json: %v", in.name, err)
		}
		inputs[in.name] = v
	}
	for _, p := range c.params {
		stage = "SetParam(" + p.name + ")"
		cur, ok := f.Param(p.name)
		if !ok {
			return nil, &stageError{stage, fmt.Errorf("no parameter %q (parameters: %v)", p.name, f.Params())}
		}
		v, err := inlineTensor(p.text, cur.DType.String())
		if err != nil {
			return nil, fmt.Errorf("params/%s.json: %v", p.name, err)
		}
		if err := f.SetParam(p.name, v); err != nil {
			return nil, &stageError{stage, err}
		}
	}
	saved := map[string]*tensor.Tensor{}
	for name, v := range inputs {
		saved[name] = v.Clone()
	}
	run := func() (*results, error) {
		if len(c.grads) == 0 {
			stage = "Run"
			outs, err := f.Run(inputs)
			if err != nil {
				return nil, &stageError{stage, err}
			}
			return &results{outs: outs}, nil
		}
		wrt := make([]string, len(c.grads))
		for i, g := range c.grads {
			wrt[i] = g.name
		}
		stage = "Grad(" + strings.Join(wrt, ", ") + ")"
		val, grads, err := f.Grad(wrt, inputs)
		if err != nil {
			return nil, &stageError{stage, err}
		}
		return &results{outs: []*tensor.Tensor{val}, grads: grads}, nil
	}
	// Run twice: the second run reuses the cached plan and its buffers, and
	// must give bitwise the same results without touching the inputs.
	first, err := run()
	if err != nil {
		return nil, err
	}
	second, err := run()
	if err != nil {
		return nil, fmt.Errorf("the second run failed: %v", err)
	}
	if !sameBits(first.outs, second.outs) || !sameBits(first.grads, second.grads) {
		return nil, fmt.Errorf("the second run differs from the first: %s, then %s", first, second)
	}
	for name, v := range inputs {
		if !sameBits([]*tensor.Tensor{v}, []*tensor.Tensor{saved[name]}) {
			return nil, fmt.Errorf("running changed input %s: %v, was %v", name, v, saved[name])
		}
	}
	return first, nil
}

// sameBits reports whether two lists of tensors are bitwise identical.
func sameBits(a, b []*tensor.Tensor) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x == nil || y == nil || x.DType != y.DType || !equalInts(x.Shape, y.Shape) {
			return false
		}
		for k := 0; k < x.Len(); k++ {
			if math.Float64bits(x.At(k)) != math.Float64bits(y.At(k)) {
				return false
			}
		}
	}
	return true
}
