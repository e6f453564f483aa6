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

// FlopFunc counts the FLOPs of one execution of node n whose operands have
// the concrete shapes in and whose result has shape out.
type FlopFunc func(n *Node, in [][]int, out []int) int64

// FlopCount is the FLOPs of one execution of a graph.
type FlopCount struct {
	Total int64
	ByOp  map[string]int64 // per op name, ops with zero FLOPs left out
	// Estimated lists (sorted) the ops of the graph that have no rule in
	// the table; each was counted as one FLOP per output element.
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

// NodeFlops counts one node's FLOPs from the table; for an op without a
// rule it returns one per output element and known false.
func NodeFlops(n *Node, in [][]int, out []int) (flops int64, known bool) {
	if f, ok := flopTable[n.Op.Name]; ok {
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

func zeroFlops(*Node, [][]int, []int) int64 { return 0 }

// flopTable holds the rule of each op.
var flopTable = map[string]FlopFunc{}

func init() {
	// Leaves, constants and creators, and pure data movement: no arithmetic.
	for _, name := range []string{
		"input", "param", "state", "const", "full", "eye", "arange", "one_hot",
		"reshape", "transpose", "squeeze", "unsqueeze", "broadcast_to", "slice",
		"unslice", "concat", "stack", "pad", "take", "gather", "embedding",
		"cast", "stop_gradient", "size", "max_pool2d_pick",
		"custom_vjp", // autodiff's custom gradient: a copy of the primal output
	} {
		flopTable[name] = zeroFlops
	}
	// Elementwise ops and random draws: one per output element.
	for _, name := range []string{
		"add", "sub", "mul", "div", "pow", "neg", "abs", "sign", "square", "sqrt",
		"rsqrt", "exp", "log", "log1p", "sin", "cos", "tanh", "sigmoid", "erf",
		"relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "maximum",
		"minimum", "clip", "where", "equal", "greater", "less", "attention_bias",
		"normal", "uniform", "dropout_mask",
	} {
		flopTable[name] = perOut(1)
	}
	// Reductions: per element of the operand.
	for _, name := range []string{"sum", "mean", "max", "min", "prod", "argmax", "argmin", "sum_to"} {
		flopTable[name] = perIn(1)
	}
	flopTable["norm"] = perIn(2)      // square, add (the root per result is negligible)
	flopTable["var"] = perIn(3)       // add (mean), subtract, square-add
	flopTable["std"] = perIn(3)       // as var
	flopTable["logsumexp"] = perIn(4) // max, subtract, exp, add
	flopTable["softmax"] = perIn(5)   // max, subtract, exp, add, divide
	flopTable["log_softmax"] = perIn(5)
	// Scatter-adds: one add per element added.
	flopTable["embedding_grad"] = func(_ *Node, in [][]int, _ []int) int64 { return elems(in[1]) }
	flopTable["scatter_add"] = func(_ *Node, in [][]int, _ []int) int64 { return elems(in[0]) }
	flopTable["scatter_add_along"] = func(_ *Node, in [][]int, _ []int) int64 { return elems(in[0]) }
	// Normalizations: mean, subtract, square, add (variance), multiply
	// (normalize), multiply and add (gamma, beta) per element.
	flopTable["layer_norm"] = perIn(7)
	flopTable["batch_norm"] = perIn(7)
	// Losses, per element of the prediction (plus the mean).
	flopTable["mse"] = perIn(3)                              // subtract, square, add
	flopTable["huber"] = perIn(4)                            // subtract, abs, compare, square or subtract, add
	flopTable["binary_cross_entropy"] = perIn(4)             // two logs, multiply-add
	flopTable["binary_cross_entropy_with_logits"] = perIn(5) // softplus form, multiply, add
	flopTable["cross_entropy"] = func(_ *Node, in [][]int, _ []int) int64 {
		// log_softmax over [N, C], pick and average one value per row.
		return satAdd(satMul(5, elems(in[0])), satMul(2, elems(in[0][:len(in[0])-1])))
	}

	flopTable["matmul"] = matmulFlops
	flopTable["fused_matmul"] = func(n *Node, in [][]int, out []int) int64 {
		return satAdd(matmulFlops(n, in[:2], out), programFlops(n, len(in)-1, out))
	}
	flopTable["fused_elementwise"] = func(n *Node, in [][]int, out []int) int64 {
		return programFlops(n, len(in), out)
	}
	flopTable["fused_reduce"] = func(n *Node, in [][]int, out []int) int64 {
		s, err := n.Attrs.Shape("shape").Eval(nil)
		if err != nil {
			// A symbolic program shape: the operands' largest.
			s = largest(in)
		}
		return satAdd(programFlops(n, len(in), s), elems(s))
	}

	// Convolutions: a multiply-add per output element and kernel tap of its
	// group; the gradients do the same products.
	for _, name := range []string{"conv1d", "conv2d"} {
		flopTable[name] = func(_ *Node, in [][]int, out []int) int64 {
			return satMul(satMul(2, elems(out)), elems(in[1][1:]))
		}
	}
	for _, name := range []string{"conv1d_input_grad", "conv2d_input_grad"} {
		flopTable[name] = func(_ *Node, in [][]int, _ []int) int64 { // (g, K)
			return satMul(satMul(2, elems(in[0])), elems(in[1][1:]))
		}
	}
	for _, name := range []string{"conv1d_weight_grad", "conv2d_weight_grad"} {
		flopTable[name] = func(_ *Node, in [][]int, out []int) int64 { // (x, g) -> K
			return satMul(satMul(2, elems(in[1])), elems(out[1:]))
		}
	}

	// Pooling: one comparison or add per output element and window tap.
	flopTable["max_pool2d"] = poolFlops
	flopTable["avg_pool2d"] = func(n *Node, in [][]int, out []int) int64 { return satAdd(poolFlops(n, in, out), elems(out)) }
	flopTable["max_pool2d_grad"] = func(n *Node, in [][]int, _ []int) int64 { return poolFlops(n, in[1:], in[1]) }
	flopTable["avg_pool2d_grad"] = func(n *Node, in [][]int, _ []int) int64 { return satAdd(poolFlops(n, in, in[0]), elems(in[0])) }

	flopTable["attention"] = attentionFlops
}

// matmulFlops is 2·(batch)·n·k·m: a multiply-add per output element and
// step of the contracted dimension.
func matmulFlops(n *Node, in [][]int, out []int) int64 {
	x := in[0]
	var k int
	switch {
	case len(x) == 1:
		k = x[0]
	case n.Attrs.Bool("transpose_x", false):
		k = x[len(x)-2]
	default:
		k = x[len(x)-1]
	}
	return satMul(satMul(2, elems(out)), int64(k))
}

// programFlops counts a fused_elementwise program's instructions once per
// element of shape out.
func programFlops(n *Node, nIn int, out []int) int64 {
	prog, _, err := ParseFused(n.Attrs.Str("program", ""), nIn)
	if err != nil {
		return elems(out)
	}
	return satMul(int64(len(prog)), elems(out))
}

func largest(in [][]int) []int {
	var best []int
	for _, s := range in {
		if best == nil || elems(s) > elems(best) {
			best = s
		}
	}
	return best
}

// poolFlops is one operation per output element (of shape out) and window
// tap.
func poolFlops(n *Node, _ [][]int, out []int) int64 {
	k, err := spatialInts(n.Op.Name, n.Attrs, "k", 2, 1, 1)
	if err != nil {
		return elems(out)
	}
	return satMul(elems(out), satMul(int64(k[0]), int64(k[1])))
}

// attentionFlops counts q·kᵀ (2·d per score), the scale and the mask (one
// each per score), the softmax (5 per score) and the weighted sum of v
// (2·dv per score).
func attentionFlops(_ *Node, in [][]int, _ []int) int64 {
	q, v := in[0], in[2]
	r := len(q)
	scores := satMul(elems(q[:r-1]), int64(in[1][r-2])) // [..., Tq] × Tk
	per := satAdd(satAdd(satMul(2, int64(q[r-1])), satMul(2, int64(v[r-1]))), 6)
	if len(in) > 3 {
		per = satAdd(per, 1)
	}
	return satMul(scores, per)
}
