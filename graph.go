package nnc

import (
	"strings"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
)

// Graph returns the IR of an entry as text (format "text") or Graphviz DOT
// ("dot"). With grad, the graph also holds the gradient of the entry's scalar
// result with respect to every parameter and float input, as outputs named
// "d/NAME".
func (p *Program) Graph(entry string, grad bool, format string) (s string, err error) {
	defer recoverInternal(&err)
	low, err := p.lower(entry, lang.LowerOptions{})
	if err != nil {
		return "", err
	}
	for i, o := range low.Outputs {
		low.B.Output(outName(i, len(low.Outputs)), o)
	}
	if grad {
		if len(low.Outputs) != 1 || len(low.Outputs[0].Type.Shape) != 0 || !low.Outputs[0].Type.DType.IsFloat() {
			return "", errorf("graph --grad: %s must return one float scalar", entry)
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
	var sb strings.Builder
	if format == "dot" {
		ops.FprintDot(&sb, low.B.G)
	} else {
		ops.Fprint(&sb, low.B.G)
	}
	return sb.String(), nil
}
