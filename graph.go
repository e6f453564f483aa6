package nnc

import (
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
)

// GraphOptions say which graph Graph prints and how.
type GraphOptions struct {
	// Grad adds the gradient of the entry's scalar result with respect to
	// every parameter and float input, as outputs named "d/NAME".
	Grad bool
	// Opt prints the graph after the optimizer's passes (at the program's
	// level), fused kernels named with their member ops.
	Opt bool
	// DumpAfter, with Opt, prints the graph after the named pass instead.
	DumpAfter string
	// Format is "text" (the default) or "dot" (Graphviz).
	Format string
	// Shapes give shape variables of the entry's inputs values, which an
	// entry with a loop over one (a scan over T) needs to lower; the
	// others stay symbolic. A name that is not one of the inputs' shape
	// variables is an *OptionError.
	Shapes map[string]int
}

// Graph returns the IR of an entry, each node with the .nn position it came
// from.
func (p *Program) Graph(entry string, o GraphOptions) (s string, err error) {
	grad, format := o.Grad, o.Format
	defer recoverInternal(&err)
	if !p.ok() {
		return "", errNoProgram
	}
	if format != "" && format != "text" && format != "dot" {
		return "", errorf("graph: unknown format %q (want text or dot)", format)
	}
	env, err := p.graphShapes(entry, o.Shapes)
	if err != nil {
		return "", err
	}
	low, err := p.lower(entry, lang.LowerOptions{Shapes: env})
	if err != nil {
		return "", err
	}
	for i, o := range low.Outputs {
		low.B.Output(outName(i, len(low.Outputs)), o)
	}
	if grad {
		if len(low.Outputs) != 1 || len(low.Outputs[0].Type.Shape) != 0 || !low.Outputs[0].Type.DType.IsFloat() {
			return "", &OptionError{Option: "GraphOptions.Grad", Msg: entry + " must return one float scalar"}
		}
		var xs []*ops.Node
		for _, n := range append(append([]*ops.Node{}, low.Inputs...), low.Params...) {
			if n.Type.DType.IsFloat() {
				xs = append(xs, n)
			}
		}
		gs, err := autodiff.Grad(low.B, low.Outputs[0], xs)
		if err != nil {
			return "", err
		}
		for i, g := range gs {
			low.B.Output("d/"+xs[i].Name(), g)
		}
	}
	g := low.B.G
	var sb strings.Builder
	if o.DumpAfter != "" {
		if _, err := opt.Optimize(g, opt.Options{Level: max(p.optLevel(), 1), DumpAfter: o.DumpAfter, Dump: &sb}); err != nil {
			return "", err
		}
		return sb.String(), nil
	}
	if o.Opt {
		if g, err = p.optimize(g); err != nil {
			return "", err
		}
	}
	if format == "dot" {
		ops.FprintDot(&sb, g)
	} else {
		ops.Fprint(&sb, g)
	}
	return sb.String(), nil
}

// graphShapes checks that every name of shapes is a shape variable of the
// entry's inputs and returns them as LowerOptions.Shapes (nil for none).
func (p *Program) graphShapes(entry string, shapes map[string]int) (map[string]int64, error) {
	if len(shapes) == 0 {
		return nil, nil
	}
	types, err := p.inputTypes(entry)
	if err != nil {
		return nil, err
	}
	known := typeVars(types...)
	env := map[string]int64{}
	var unknown []string
	for k, v := range shapes {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
		env[k] = int64(v)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &OptionError{Option: "GraphOptions.Shapes", Value: strings.Join(unknown, ", "),
			Msg: "not a shape variable of " + entry + "'s inputs"}
	}
	return env, nil
}
