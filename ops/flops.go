package ops

import (
	"fmt"
	"math"
	"sort"
)

// FLOP counting, for `nnc check`. A FLOP is one floating-point add,
// multiply, comparison or elementary function: a multiply-add counts 2.
// The counts follow the usual conventions (fvcore, PyTorch's profiler) and
// are estimates of the work, not of any kernel's exact instruction count.
// Each op's rule is its Op.Flops, declared where the op registers:
// elementwise ops and random draws count one per output element,
// reductions one per element of the operand, data movement none (NoFlops).
// This file counts a graph with those rules.

// FlopFunc counts the FLOPs of one execution of node n whose operands have
// the concrete shapes in and whose result has shape out.
type FlopFunc func(n *Node, in [][]int, out []int) int64

// FlopCount is the FLOPs of one execution of a graph.
type FlopCount struct {
	Total int64
	ByOp  map[string]int64 // per op name, ops with zero FLOPs left out
	// Estimated lists (sorted) the ops of the graph that have no rule
	// (Op.Flops); each was counted as one FLOP per output element.
	Estimated []string
}

// Flops is the total FLOPs of one execution of g with its shape variables
// given by env (see CountFlops).
func Flops(g *Graph, env map[string]int64) (int64, error) {
	c, err := CountFlops(g, env)
	return c.Total, err
}

// CountFlops counts the FLOPs of one execution of g with its shape
// variables given by env, per op. Only the nodes that g's outputs and
// updates depend on are counted (every node when g has neither), as a
// plan would run them. A shape variable missing from env is an error.
func CountFlops(g *Graph, env map[string]int64) (FlopCount, error) {
	c := FlopCount{ByOp: map[string]int64{}}
	var live []bool // nil: every node counts
	if len(g.Outputs) > 0 || len(g.Updates) > 0 {
		live = g.Needed()
	}
	shapes := make(map[*Node][]int, len(g.Nodes))
	shapeOf := func(n *Node) ([]int, error) {
		if s, ok := shapes[n]; ok {
			return s, nil
		}
		s, err := n.Type.Shape.Eval(env)
		if err != nil {
			return nil, fmt.Errorf("%v: %s %v: %w", n.Pos, n.Op.Name, n.Type, err)
		}
		shapes[n] = s
		return s, nil
	}
	estimated := map[string]bool{}
	for _, n := range g.Nodes {
		if live != nil && !live[n.ID] {
			continue
		}
		out, err := shapeOf(n)
		if err != nil {
			return FlopCount{}, err
		}
		in := make([][]int, len(n.In))
		for i, x := range n.In {
			if in[i], err = shapeOf(x); err != nil {
				return FlopCount{}, err
			}
		}
		f, known := NodeFlops(n, in, out)
		if !known {
			estimated[n.Op.Name] = true
		}
		if f != 0 {
			c.ByOp[n.Op.Name] = satAdd(c.ByOp[n.Op.Name], f)
			c.Total = satAdd(c.Total, f)
		}
	}
	for name := range estimated {
		c.Estimated = append(c.Estimated, name)
	}
	sort.Strings(c.Estimated)
	return c, nil
}

// NodeFlops counts one node's FLOPs with its op's rule (Op.Flops); for an
// op without one it returns one per output element and known false.
func NodeFlops(n *Node, in [][]int, out []int) (flops int64, known bool) {
	if f := n.Op.Flops; f != nil {
		return f(n, in, out), true
	}
	return elems(out), false
}

// MaxFlops is the FLOP count that stands for "this many or more": counts
// saturate at it instead of wrapping around.
const MaxFlops int64 = math.MaxInt64

// satAdd is a + b for non-negative counts, saturating at MaxFlops.
func satAdd(a, b int64) int64 {
	if s, ok := addInt(a, b); ok && s >= 0 {
		return s
	}
	return MaxFlops
}

// satMul is a * b for non-negative counts, saturating at MaxFlops.
func satMul(a, b int64) int64 {
	if p, ok := mulInt(a, b); ok && p >= 0 {
		return p
	}
	return MaxFlops
}

// elems is the number of elements of a shape, saturating at MaxFlops.
func elems(s []int) int64 {
	n := int64(1)
	for _, d := range s {
		if d == 0 {
			return 0
		}
		n = satMul(n, int64(d))
	}
	return n
}

// perOut counts k FLOPs per output element.
func perOut(k int64) FlopFunc {
	return func(_ *Node, _ [][]int, out []int) int64 { return satMul(k, elems(out)) }
}

// perIn counts k FLOPs per element of the first operand.
func perIn(k int64) FlopFunc {
	return func(_ *Node, in [][]int, _ []int) int64 { return satMul(k, elems(in[0])) }
}

// NoFlops is the rule of ops that do no arithmetic: leaves, constants and
// creators, and data movement (reshape, transpose, slices, gathers, casts).
func NoFlops(*Node, [][]int, []int) int64 { return 0 }

// scatterFlops counts one add per element of operand k (scatter-adds:
// embedding_grad, scatter_add, scatter_add_along).
func scatterFlops(k int) FlopFunc {
	return func(_ *Node, in [][]int, _ []int) int64 { return elems(in[k]) }
}
