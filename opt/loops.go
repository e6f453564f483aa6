package opt

import (
	"fmt"
	"slices"

	"github.com/nnclang/nnc/ops"
)

// Loops runs the pass list on the body of every loop (ops.Loop), which the
// other passes see as one opaque node: the step's elementwise ops are fused
// and its dead or constant nodes dropped, as in an unrolled graph. A body
// shared by several loop nodes is optimized once; loops inside a body are
// reached by the pass list run on it.
func Loops(g *ops.Graph) (*ops.Graph, error) {
	if !slices.ContainsFunc(g.Nodes, func(n *ops.Node) bool { return n.Op == ops.Loop }) {
		return g, nil // nothing to do: no copy of a graph without loops
	}
	done := map[*ops.Body]*ops.Body{}
	var failed error
	out, err := rebuild(g, func(b *ops.Builder, n *ops.Node, in, m []*ops.Node) *ops.Node {
		if n.Op != ops.Loop || failed != nil {
			return nil
		}
		body := ops.LoopBody(n)
		nb, ok := done[body]
		if !ok {
			if nb, failed = optimizeBody(body); failed != nil {
				return nil
			}
			done[body] = nb
		}
		return b.Must(ops.Loop, n.Attrs.With("body", nb), in...)
	})
	if failed != nil {
		return nil, failed
	}
	return out, err
}

// optimizeAll is Optimize, set as the package initializes: Optimize reads
// Passes, which holds Loops.
var optimizeAll func(*ops.Graph, Options) (*ops.Graph, error)

func init() { optimizeAll = Optimize }

// optimizeBody is body with its graph optimized; the passes keep the
// graph's inputs, by name, and its outputs in order.
func optimizeBody(body *ops.Body) (*ops.Body, error) {
	g, err := optimizeAll(body.G, Options{Level: DefaultLevel})
	if err != nil {
		return nil, fmt.Errorf("a loop's body: %v", err)
	}
	byName := map[string]*ops.Node{}
	for _, x := range g.Inputs() {
		byName[x.Name()] = x
	}
	ins := make([]*ops.Node, len(body.Ins))
	for k, x := range body.Ins {
		if ins[k] = byName[x.Name()]; ins[k] == nil {
			return nil, fmt.Errorf("a loop's body lost its operand %q", x.Name())
		}
	}
	return ops.NewBody(g, ins, body.Carries, body.Seqs)
}
