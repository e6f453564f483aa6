package train

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/runtime/tensor"
)

// bound is a session whose graph inputs are bound, by name, to the arrays of
// a dataset (or of its batches).
type bound struct {
	sess   *runtime.Session
	g      *ops.Graph
	names  []string         // the graph's inputs, in order
	inputs []*tensor.Tensor // reused argument list for Run
}

// bindGraph prepares a session for g and checks that every input of g has an
// array of that name in d. what names the graph in errors ("step graph").
func bindGraph(what string, g *ops.Graph, store *runtime.Store, d *data.Dataset) (*bound, error) {
	in := g.Inputs()
	b := &bound{sess: runtime.NewSession(g, store), g: g, names: make([]string, len(in)), inputs: make([]*tensor.Tensor, len(in))}
	for i, n := range in {
		b.names[i] = n.Name()
	}
	if err := checkInputs(what, g, d); err != nil {
		return nil, err
	}
	return b, nil
}

// checkInputs checks that every input of g has an array of its name and
// element type in d.
func checkInputs(what string, g *ops.Graph, d *data.Dataset) error {
	for _, n := range g.Inputs() {
		name := n.Name()
		t := d.Get(name)
		if t == nil {
			return fmt.Errorf("%s input %q has no array of that name in the data (arrays: %s)", what, name, strings.Join(d.Names(), ", "))
		}
		if t.DType != n.Type.DType {
			return fmt.Errorf("%s input %q is %v but the data's array %q is %v%v", what, name, n.Type, name, t.DType, t.Shape)
		}
	}
	return nil
}

// run executes the graph on the arrays of m (a batch or a dataset).
func (b *bound) run(seed uint64, m map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
	for i, name := range b.names {
		b.inputs[i] = m[name]
	}
	return b.sess.Run(seed, b.inputs...)
}

// outputIndex finds the output named name, or -1.
func outputIndex(g *ops.Graph, name string) int {
	for i, o := range g.Outputs {
		if o.Name == name {
			return i
		}
	}
	return -1
}
