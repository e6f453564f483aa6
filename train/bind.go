package train

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
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
		dt, shape, ok := d.Type(name)
		if !ok {
			return fmt.Errorf("%s input %q has no array of that name in the data (arrays: %s)", what, name, strings.Join(d.Names(), ", "))
		}
		if dt != n.Type.DType {
			return fmt.Errorf("%s input %q is %v but the data's array %q is %v", what, name, n.Type, name, ops.Type{DType: dt, Shape: ops.ShapeOf(shape...)})
		}
	}
	return checkIndices(g, d)
}

// indexUse is a graph input whose values index a dimension of known size:
// the labels of cross_entropy (the class count), the ids of embedding (the
// table's rows), the labels of one_hot.
type indexUse struct {
	input string // the graph input
	op    string // the op using it
	what  string // "label", "id"
	bound int64  // values must lie in [0, bound)
	cast  bool   // the input is a float array cast to integers
	// ignored, when skip, is a value allowed besides [0, bound):
	// cross_entropy's ignore_index.
	ignored float64
	skip    bool
}

// indexUses finds the inputs of g used as class labels or ids, through
// value-preserving ops (reshape, squeeze, stop_gradient, cast).
func indexUses(g *ops.Graph) []indexUse {
	var out []indexUse
	for _, n := range g.Nodes {
		var idx *ops.Node
		var bound ops.Dim
		what := "label"
		ig, skip := n.Attrs["ignore_index"].(int)
		switch n.Op {
		case ops.CrossEntropy:
			if len(n.In) < 2 || len(n.In[0].Type.Shape) != 2 {
				continue
			}
			idx, bound = n.In[1], n.In[0].Type.Shape[1]
		case ops.Embedding:
			if len(n.In) != 2 || len(n.In[1].Type.Shape) < 1 {
				continue
			}
			idx, bound, what = n.In[0], n.In[1].Type.Shape[0], "id"
		case ops.OneHot:
			if len(n.In) != 1 {
				continue
			}
			if _, ok := n.Attrs["n"]; ok {
				bound = ops.DimConst(int64(n.Attrs.Int("n", 0)))
			} else if s := n.Attrs.Shape("depth"); len(s) == 1 {
				bound = s[0]
			} else {
				continue
			}
			idx = n.In[0]
			ig, skip = n.Attrs["ignore"].(int)
		default:
			continue
		}
		c, ok := bound.IsConst()
		if !ok {
			continue
		}
		if in, cast := traceInput(idx); in != nil {
			out = append(out, indexUse{input: in.Name(), op: n.Op.Name, what: what, bound: c, cast: cast, ignored: float64(ig), skip: skip})
		}
	}
	return out
}

// traceInput follows n back through value-preserving ops to a graph input,
// or returns nil; cast says a float was cast to an integer on the way.
func traceInput(n *ops.Node) (in *ops.Node, cast bool) {
	for n.Op != ops.Input {
		if len(n.In) != 1 {
			return nil, false
		}
		switch n.Op {
		case ops.Reshape, ops.Squeeze, ops.StopGradient:
		case ops.Cast:
			cast = cast || n.In[0].Type.DType.IsFloat()
		default:
			return nil, false
		}
		n = n.In[0]
	}
	return n, cast
}

// checkIndices checks, when data is bound, that every label or id array of
// d lies in its range (and holds integers, when a float array is cast), so
// that a label 10 for 10 classes is an error naming the file and row rather
// than a NaN loss.
func checkIndices(g *ops.Graph, d *data.Dataset) error {
	for _, u := range indexUses(g) {
		if _, _, ok := d.Type(u.input); !ok {
			continue
		}
		t := d.Get(u.input) // a byte array converts here: labels and ids are small
		if len(t.Shape) == 0 {
			continue
		}
		per := 1
		for _, s := range t.Shape[1:] {
			per *= s
		}
		for i := 0; i < t.Len(); i++ {
			v := t.At(i)
			if t.DType == tensor.I64 {
				v = float64(t.I64[i])
			}
			row := i
			if per > 0 {
				row = i / per
			}
			if u.cast && v != math.Trunc(v) {
				return fmt.Errorf("%s: %s %q: %s %v is not an integer", d.Source.Where(row), u.op, u.input, u.what, v)
			}
			if u.skip && v == u.ignored {
				continue
			}
			if v < 0 || v >= float64(u.bound) || math.IsNaN(v) {
				hint := ""
				if u.op == "cross_entropy" && v < 0 && !u.skip {
					hint = fmt.Sprintf(" (cross_entropy(..., ignore_index = %s) leaves such rows out of the loss)", fmtIndex(t, i))
				}
				return fmt.Errorf("%s: %s %q: %s %s out of range [0, %d)%s", d.Source.Where(row), u.op, u.input, u.what, fmtIndex(t, i), u.bound, hint)
			}
		}
	}
	return nil
}

// fmtIndex prints element i of an index array exactly.
func fmtIndex(t *tensor.Tensor, i int) string {
	switch t.DType {
	case tensor.I64:
		return strconv.FormatInt(t.I64[i], 10)
	case tensor.I32:
		return strconv.FormatInt(int64(t.I32[i]), 10)
	}
	return strconv.FormatFloat(t.At(i), 'g', -1, 64)
}

// run executes the graph on the arrays of m (a batch or a dataset),
// stopped by ctx between kernel steps (runtime.Session.RunContext: a
// cancelled run applies no update, so the store keeps the values of the
// previous run).
func (b *bound) run(ctx context.Context, seed uint64, m map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
	for i, name := range b.names {
		b.inputs[i] = m[name]
	}
	return b.sess.RunContext(ctx, seed, b.inputs...)
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

// typeOf prints a tensor's type as the model's types print ("f32[8, 1]").
func typeOf(t *tensor.Tensor) string {
	return ops.Type{DType: t.DType, Shape: ops.ShapeOf(t.Shape...)}.String()
}
