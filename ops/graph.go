package ops

import (
	"fmt"
	"strconv"
	"strings"
)

// Pos is a position in .nn source, carried by every node so that diagnostics
// (shape errors, NaN reports, per-line timings) can name the line.
type Pos struct {
	File      string
	Line, Col int
}

// String prints "file:line:col", or "" for an unknown position.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Node is one value of the graph: an op applied to input nodes.
type Node struct {
	ID    int // index in Graph.Nodes
	Op    *Op
	In    []*Node
	Attrs Attrs
	Type  Type
	Pos   Pos
}

// Name is the "name" attribute of inputs, params and states ("" otherwise).
func (n *Node) Name() string { return n.Attrs.Str("name", "") }

// String prints "%3".
func (n *Node) String() string { return "%" + strconv.Itoa(n.ID) }

// Update says that after a step, the param or state Target takes Value.
type Update struct {
	Target *Node // an op "param" or "state" node
	Value  *Node
}

// Output is a named result of a graph.
type Output struct {
	Name string
	Node *Node
}

// Graph is a DAG of nodes in topological order (every node's inputs come
// before it). Inputs, params and states are nodes with those ops.
type Graph struct {
	Nodes   []*Node
	Outputs []Output
	Updates []Update
}

// Inputs returns the "input" nodes in creation order.
func (g *Graph) Inputs() []*Node { return g.ofOp(Input) }

// Params returns the "param" nodes in creation order.
func (g *Graph) Params() []*Node { return g.ofOp(Param) }

// States returns the "state" nodes in creation order.
func (g *Graph) States() []*Node { return g.ofOp(State) }

func (g *Graph) ofOp(op *Op) []*Node {
	var out []*Node
	for _, n := range g.Nodes {
		if n.Op == op {
			out = append(out, n)
		}
	}
	return out
}

// Output returns the output named name, or nil.
func (g *Graph) Output(name string) *Node {
	for _, o := range g.Outputs {
		if o.Name == name {
			return o.Node
		}
	}
	return nil
}

// Builder adds nodes to a graph, hash-consing them: applying the same op to
// the same inputs with the same attributes returns the existing node.
type Builder struct {
	G     *Graph
	pos   Pos
	cons  map[string]*Node
	named map[string]*Node
	seeds int
}

// NewBuilder starts an empty graph.
func NewBuilder() *Builder {
	return &Builder{G: &Graph{}, cons: map[string]*Node{}, named: map[string]*Node{}}
}

// SetPos sets the source position given to new nodes and returns the old one.
func (b *Builder) SetPos(p Pos) Pos {
	old := b.pos
	b.pos = p
	return old
}

// Pos is the position new nodes get.
func (b *Builder) Pos() Pos { return b.pos }

// NextSeed returns a fresh integer for the "seed" attribute of a random op, so
// that two dropout calls draw different masks.
func (b *Builder) NextSeed() int {
	b.seeds++
	return b.seeds
}

func (b *Builder) add(op *Op, attrs Attrs, t Type, in []*Node) *Node {
	n := &Node{ID: len(b.G.Nodes), Op: op, In: in, Attrs: attrs, Type: t, Pos: b.pos}
	b.G.Nodes = append(b.G.Nodes, n)
	return n
}

func (b *Builder) leaf(op *Op, name string, t Type, attrs Attrs) *Node {
	key := op.Name + ":" + name
	if n, ok := b.named[key]; ok {
		if !n.Type.Equal(t) {
			panic(fmt.Sprintf("ops: %s %q declared as %v and %v", op.Name, name, n.Type, t))
		}
		return n
	}
	a := attrs.With("name", name)
	n := b.add(op, a, t, nil)
	b.named[key] = n
	return n
}

// Leaf returns the existing leaf of op (Input, Param or State) named
// name, if any; front ends use it to report a redeclaration with a different
// type as a user error instead of reaching Input/Param/State's panic.
func (b *Builder) Leaf(op *Op, name string) (*Node, bool) {
	n, ok := b.named[op.Name+":"+name]
	return n, ok
}

// Input declares (or returns the existing) graph input name of type t.
func (b *Builder) Input(name string, t Type) *Node { return b.leaf(Input, name, t, nil) }

// Param declares a trainable parameter named by its path ("l1.W"); init holds
// the initializer ("init" name and its arguments).
func (b *Builder) Param(path string, t Type, init Attrs) *Node {
	return b.leaf(Param, path, t, init)
}

// State declares a non-trainable tensor (running statistics, optimizer moments).
func (b *Builder) State(path string, t Type, init Attrs) *Node {
	return b.leaf(State, path, t, init)
}

// Scalar returns a constant scalar of type dt.
func (b *Builder) Scalar(dt DType, v float64) *Node {
	return b.Must(Const, Attrs{"value": v, "dtype": dt})
}

// Full returns a constant tensor of type t filled with v.
func (b *Builder) Full(t Type, v float64) *Node {
	return b.Must(Full, Attrs{"value": v, "dtype": t.DType, "shape": t.Shape})
}

// Apply adds op(in...) with attributes, checking types with the op's rule.
// Errors are the user's (shape mismatches) and name both operands' types.
func (b *Builder) Apply(o *Op, attrs Attrs, in ...*Node) (*Node, error) {
	if o == nil {
		return nil, fmt.Errorf("apply: no op (a handle used before the ops package was initialized)")
	}
	op := o.Name
	if o.Arity >= 0 && len(in) != o.Arity {
		return nil, fmt.Errorf("%s takes %d operands, got %d", op, o.Arity, len(in))
	}
	if attrs == nil {
		attrs = Attrs{}
	}
	var kb strings.Builder
	kb.WriteString(op)
	kb.WriteByte('(')
	kb.WriteString(attrs.Key())
	kb.WriteByte(')')
	for _, x := range in {
		kb.WriteByte(' ')
		kb.WriteString(strconv.Itoa(x.ID))
	}
	key := kb.String()
	if n, ok := b.cons[key]; ok {
		return n, nil
	}
	types := make([]Type, len(in))
	for i, x := range in {
		types[i] = x.Type
	}
	t, err := o.Infer(types, attrs)
	if err != nil {
		if se, ok := err.(*SizeError); ok {
			return nil, se
		}
		if _, ok := err.(*InferError); !ok {
			err = &InferError{Op: op, Msg: strings.TrimPrefix(err.Error(), op+": ")}
		}
		return nil, err
	}
	if err := t.CheckSize(); err != nil {
		return nil, &SizeError{Op: op, Err: fmt.Errorf("the result %w", err)}
	}
	n := b.add(o, attrs, t, in)
	b.cons[key] = n
	return n, nil
}

// SizeError is the error of Apply for a result too large to exist (see
// MaxTensorBytes and Type.CheckSize), or with a dimension that overflowed.
type SizeError struct {
	Op  string
	Err error
}

// Error renders "op: the result f32[...] is too large: ...".
func (e *SizeError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the size check's error.
func (e *SizeError) Unwrap() error { return e.Err }

// Must is Apply for callers (gradient rules, passes) whose operands are
// correct by construction; an error there is a broken invariant.
func (b *Builder) Must(op *Op, attrs Attrs, in ...*Node) *Node {
	n, err := b.Apply(op, attrs, in...)
	if err != nil {
		panic(fmt.Sprintf("ops: %s: %v", op.Name, err))
	}
	return n
}

// Output names a result of the graph.
func (b *Builder) Output(name string, n *Node) {
	b.G.Outputs = append(b.G.Outputs, Output{name, n})
}

// Update records that target (a param or state) takes value after a step.
func (b *Builder) Update(target, value *Node) {
	b.G.Updates = append(b.G.Updates, Update{target, value})
}

// Needed marks, by node ID, the nodes g's outputs and updates (targets and
// values) depend on: what a plan runs. It is the one such walk; the
// optimizer, the runtime and the FLOP count use it.
func (g *Graph) Needed() []bool {
	needed := make([]bool, len(g.Nodes))
	for _, o := range g.Outputs {
		needed[o.Node.ID] = true
	}
	for _, u := range g.Updates {
		needed[u.Target.ID] = true
		needed[u.Value.ID] = true
	}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		if needed[i] {
			for _, x := range g.Nodes[i].In {
				needed[x.ID] = true
			}
		}
	}
	return needed
}
