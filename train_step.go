package nnc

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/train"
)

// buildStepShapes is buildStep with values for the entry's shape
// variables (lang.LowerOptions.Shapes; nil for none), for entries that
// unroll a loop or scan over a shape variable (a recurrent model's T).
func (p *Program) buildStepShapes(entry string, o train.Optimizer, shapes map[string]int64) (step *ops.Graph, low *lang.Lowered, loss *ops.Node, err error) {
	if len(shapes) == 0 {
		return p.buildStep(entry, o)
	}
	b := ops.NewBuilder()
	low, err = p.lower(entry, lang.LowerOptions{Training: true, Builder: b, Shapes: shapes})
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkLoss(entry, low); err != nil {
		return nil, nil, nil, err
	}
	b.Output("loss", low.Outputs[0])
	loss, params := low.Outputs[0], low.Params
	if p.optLevel() > 0 {
		if b, err = opt.Prepare(b.G); err != nil {
			return nil, nil, nil, err
		}
		loss = b.G.Output("loss")
		byName := map[string]*ops.Node{}
		for _, n := range b.G.Params() {
			byName[n.Name()] = n
		}
		params = make([]*ops.Node, len(low.Params))
		for i, n := range low.Params {
			if params[i] = byName[n.Name()]; params[i] == nil {
				return nil, nil, nil, fmt.Errorf("%s: parameter %s is unused by the loss", entry, n.Name())
			}
		}
	}
	b.G.Outputs = nil
	if err := train.BuildStep(b, loss, params, o); err != nil {
		return nil, nil, nil, err
	}
	if step, err = p.optimize(b.G); err != nil {
		return nil, nil, nil, err
	}
	return step, low, step.Output("loss"), nil
}

// withShapes runs build with the shapes the options give; when the entry
// needs concrete shapes (a loop over a shape variable, lang.NeedsShapes)
// and the data gives more, it runs build again with those added (the
// options' values win).
func withShapes(given map[string]int, fromData map[string]int64, build func(map[string]int64) error) error {
	shapes := map[string]int64{}
	for k, v := range given {
		shapes[k] = int64(v)
	}
	err := build(shapes)
	if !lang.NeedsShapes(err) {
		return err
	}
	more := false
	for k, v := range fromData {
		if _, ok := shapes[k]; !ok {
			shapes[k], more = v, true
		}
	}
	if !more {
		return err
	}
	return build(shapes)
}

// checkShapes checks the options' shape values against the inputs'
// variables: each must be a variable of an input that is not the batch
// axis of rows (whose size the batch setting gives), and agree with the
// data.
func (b *binding) checkShapes(option string, given map[string]int) error {
	vars := map[string]bool{}
	batch := map[string]bool{}
	for _, a := range b.inputs {
		for j, d := range a.Type.Shape {
			for _, v := range d.Vars() {
				if j == 0 && !b.fullBatch {
					batch[v] = true
				} else {
					vars[v] = true
				}
			}
		}
	}
	names := make([]string, 0, len(given))
	for k := range given {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := given[k]
		switch {
		case v < 0:
			return &OptionError{Option: option, Value: fmt.Sprintf("%s=%d", k, v), Msg: "a size is at least 0"}
		case batch[k] && !vars[k]:
			return &OptionError{Option: option, Value: fmt.Sprintf("%s=%d", k, v), Msg: k + " is the batch axis: the batch setting gives its size"}
		case !vars[k]:
			known := make([]string, 0, len(vars))
			for n := range vars {
				known = append(known, n)
			}
			sort.Strings(known)
			return &OptionError{Option: option, Value: fmt.Sprintf("%s=%d", k, v), Msg: fmt.Sprintf("no shape variable %s in the inputs of %s (variables: %s)", k, b.model, strings.Join(known, ", "))}
		}
		if d, ok := b.shapes[k]; ok && d != int64(v) {
			return &OptionError{Option: option, Value: fmt.Sprintf("%s=%d", k, v), Msg: fmt.Sprintf("the data's arrays have %s = %d", k, d)}
		}
	}
	return nil
}
