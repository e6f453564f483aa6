package nnc

import (
	"context"
	"fmt"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/codegen"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// BuildOptions are Func.Build's settings.
type BuildOptions struct {
	// Shapes gives every shape variable of the entry's inputs a value
	// ("B": 1): the package runs the plan for these shapes.
	Shapes map[string]int
	// Package is the generated package's name; by default the source
	// file's base name made a Go identifier ("digits"), else "model".
	Package string
	// ExternalWeights leaves the weights out of the binary: the package
	// reads weights.bin with Load instead of embedding it.
	ExternalWeights bool
	// Standalone makes the package a module of its own (go.mod) that
	// imports nothing from nnc: nnc's ops, kernels and tensor packages
	// (assembly included) are copied under internal/, so it runs the same
	// kernels and its results are still bitwise those of Run.
	Standalone bool
	// Module is a standalone package's module path; by default the
	// package's name.
	Module string
	// Dynamic names a shape variable of the inputs (B) that the package
	// leaves symbolic: Predict reads its value off an input's length and
	// takes any value from 1 to MaxDynamic, planning each value at its
	// first call (every computed value in a buffer of its own), with the
	// same kernels as Run. Shapes may give its value for the generated
	// tests (default 1). An entry lowered per shape cannot be dynamic.
	Dynamic    string
	MaxDynamic int
	// Target "wasm" (which implies Standalone) adds a program for GOOS=js
	// GOARCH=wasm that gives the Model to JavaScript (wasm/main.go) and the
	// script that loads it (wasm/nnc_model.js): GoPackage.WriteWasm
	// compiles them into a web module. The default ("" or "go") is a Go
	// package.
	Target string
}

// maxDynamic bounds BuildOptions.MaxDynamic: a package plans each value
// it is given, so the maximum bounds what a caller can make it allocate.
const maxDynamic = 1 << 20

// GoPackage is a generated Go package: its name and its files by
// slash-separated path (model.go, model_test.go, example_test.go,
// weights.bin; a standalone package's go.mod and internal/...; target
// wasm's wasm/...).
type GoPackage struct {
	Name  string
	Files map[string][]byte
	// Target is BuildOptions.Target ("wasm", or "" for a Go package).
	Target string

	sample      []*Tensor // the inputs of the generated tests and example
	sampleNames []string  // their names
}

// Build writes the Func's inference plan for the shapes of opts as a Go
// package (see the codegen package and docs/deploy.md): the plan's kernel
// steps as straight-line calls on one arena per element type, the Func's
// current parameters as weights.bin (embedded unless
// opts.ExternalWeights), and a Model type with Predict and PredictTo whose
// results are bitwise those of Run on the same inputs. The package imports
// only nnc's ops, kernels and tensor packages, or, with opts.Standalone, nothing of
// nnc (copies of them). An op the generator cannot write is an error
// naming its node and source position.
func (f *Func) Build(opts BuildOptions) (pkg *GoPackage, err error) {
	defer recoverInternal(&err)
	if !f.ok() {
		return nil, errNoFunc
	}
	name := opts.Package
	if name == "" {
		name = defaultPackage(f.prog.path)
	}
	if !token.IsIdentifier(name) || token.IsKeyword(name) {
		return nil, &OptionError{Option: "BuildOptions.Package", Value: fmt.Sprintf("%q", name), Msg: "not a Go package name"}
	}
	spec := codegen.Spec{Package: name, Source: filepath.Base(f.prog.path), Entry: f.entry,
		External: opts.ExternalWeights, Params: map[string]*Tensor{}}
	if err := buildTarget(&spec, opts); err != nil {
		return nil, err
	}
	shapes := opts.Shapes
	if opts.Dynamic != "" {
		if f.perShape {
			return nil, &OptionError{Option: "BuildOptions.Dynamic", Value: opts.Dynamic, Msg: "the entry is lowered per shape: its plan cannot be left symbolic"}
		}
		if opts.MaxDynamic < 1 || opts.MaxDynamic > maxDynamic {
			return nil, &OptionError{Option: "BuildOptions.Dynamic", Value: opts.Dynamic,
				Msg: fmt.Sprintf("needs a maximum from 1 to %d (B=64), got %d", maxDynamic, opts.MaxDynamic)}
		}
		if _, ok := shapes[opts.Dynamic]; !ok {
			shapes = maps.Clone(shapes)
			if shapes == nil {
				shapes = map[string]int{}
			}
			shapes[opts.Dynamic] = 1
		}
		spec.Dynamic, spec.MaxDynamic = opts.Dynamic, opts.MaxDynamic
	}
	inputs, err := f.buildInputs(shapes)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	c, err := f.variant(ctx, "run", inputs, func(low *lang.Lowered) error {
		nameOutputs(low)
		return nil
	})
	if err != nil {
		return nil, err
	}
	vals, err := inputsInOrder(c.low.Inputs, inputs)
	if err != nil {
		return nil, err
	}
	err = f.readParams(func(store *runtime.Store) error {
		s := runtime.NewSession(c.g, store)
		if spec.Plan, err = s.Plan(vals...); err != nil {
			return err
		}
		// The generated tests' inputs: integers in their ops' ranges, as
		// nnc bench draws them.
		bg := &benchGraphs{g: c.g, inputs: c.g.Inputs(), env: spec.Plan.Env()}
		if spec.Sample, err = benchInputs(bg, BenchOptions{}, &BenchReport{}); err != nil {
			return err
		}
		for _, n := range c.g.Nodes {
			if n.Op == ops.Param || n.Op == ops.State {
				if t := store.Get(n.Name()); t != nil {
					spec.Params[n.Name()] = t.Clone()
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	files, err := codegen.Generate(spec)
	if err != nil {
		return nil, err
	}
	pkg = &GoPackage{Name: name, Files: files, Target: spec.Target, sample: spec.Sample}
	for _, n := range spec.Plan.Graph.Inputs() {
		pkg.sampleNames = append(pkg.sampleNames, n.Name())
	}
	return pkg, nil
}

// buildInputs makes zero tensors of the entry's input types for the
// shape values given, refusing values for names that are no shape
// variable of the inputs and naming the variables left without one.
func (f *Func) buildInputs(shapes map[string]int) (map[string]*Tensor, error) {
	types := map[string]ops.Type{}
	var order []string
	for _, n := range f.low.Inputs {
		types[n.Name()] = n.Type
		order = append(order, n.Name())
	}
	if f.perShape {
		for _, a := range f.sig {
			if _, ok := types[a.Name]; !ok {
				return nil, fmt.Errorf("nnc build: input %s (%v) of an entry lowered per shape is not supported", a.Name, a.Type)
			}
			types[a.Name] = a.Type
		}
	}
	vars := typeVars(slices.Collect(maps.Values(types))...)
	env := map[string]int64{}
	var unknown, missing []string
	for k, v := range shapes {
		if !slices.Contains(vars, k) {
			unknown = append(unknown, k)
		}
		env[k] = int64(v)
	}
	for _, v := range vars {
		if _, ok := env[v]; !ok {
			missing = append(missing, v)
		}
	}
	sort.Strings(unknown)
	sort.Strings(missing)
	if len(unknown) > 0 {
		return nil, &OptionError{Option: "BuildOptions.Shapes", Value: strings.Join(unknown, ", "),
			Msg: "no shape variable of the inputs of " + f.entry + " (" + varList(vars) + ")"}
	}
	if len(missing) > 0 {
		return nil, &OptionError{Option: "BuildOptions.Shapes", Missing: true,
			Msg: "the inputs' shape variable(s) " + strings.Join(missing, ", ") + " need a value"}
	}
	in := map[string]*Tensor{}
	for _, name := range order {
		t := types[name]
		s, err := t.Shape.Eval(env)
		if err != nil {
			return nil, fmt.Errorf("input %s: %v", name, err)
		}
		if err := runtime.CheckShape(t.DType, s); err != nil {
			return nil, fmt.Errorf("input %s: %v", name, err)
		}
		if in[name], err = NewTensor(t.DType, s...); err != nil {
			return nil, fmt.Errorf("input %s: %v", name, err)
		}
	}
	return in, nil
}

// varList is the names sorted and joined by commas, or "none".
func varList(vars []string) string {
	if len(vars) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(slices.Values(vars)), ", ")
}

// defaultPackage makes a Go package name of a source file's base name:
// lower-case letters, digits and underscores, "model" when none is left.
func defaultPackage(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var sb strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r == '_', r >= '0' && r <= '9' && sb.Len() > 0:
			sb.WriteRune(r)
		}
	}
	if s := sb.String(); s != "" && token.IsIdentifier(s) && !token.IsKeyword(s) {
		return s
	}
	return "model"
}

// Write writes the package's files into dir, creating it if needed; each
// file is written safely (WriteFile).
func (g *GoPackage) Write(dir string) error {
	if g == nil {
		return fmt.Errorf("nnc build: no package (a nil *GoPackage)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(g.Files))
	for name := range g.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !filepath.IsLocal(filepath.FromSlash(name)) {
			return fmt.Errorf("nnc build: file name %q leaves the folder", name)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := WriteFile(path, g.Files[name]); err != nil {
			return err
		}
	}
	return nil
}
