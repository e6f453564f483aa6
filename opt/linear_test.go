package opt

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/train"
)

// chainGraphs make graphs of about n nodes of one shape each: long chains
// of one op, wide graphs of many small groups, random DAGs and many
// optimizer updates. TestOptimizeLinear optimizes each at two sizes.
var chainGraphs = []struct {
	name string
	make func(n int) *ops.Graph
}{
	{"sum", func(n int) *ops.Graph { // x + x + ... + x, as lang lowers it
		return repeatOp(n, func(b *ops.Builder, y, x *ops.Node) *ops.Node { return b.Must(ops.Add, nil, y, x) })
	}},
	{"mixed", func(n int) *ops.Graph { // tanh(y*x + 0.5) - y, repeated
		return repeatOp(n/4, func(b *ops.Builder, y, x *ops.Node) *ops.Node {
			h := b.Must(ops.Tanh, nil, b.Must(ops.Add, nil, b.Must(ops.Mul, nil, y, x), b.Scalar(ops.F32, 0.5)))
			return b.Must(ops.Sub, nil, h, y)
		})
	}},
	{"negs", func(n int) *ops.Graph { // - - - x: simplify removes pairs
		return repeatOp(n, func(b *ops.Builder, y, _ *ops.Node) *ops.Node { return b.Must(ops.Neg, nil, y) })
	}},
	{"transposes", func(n int) *ops.Graph { // exp(y).T, repeated: simplify merges nothing
		return repeatOp(n/2, func(b *ops.Builder, y, _ *ops.Node) *ops.Node {
			return b.Must(ops.Transpose, nil, b.Must(ops.Exp, nil, y))
		})
	}},
	{"reshapes", func(n int) *ops.Graph { // reshape to [3, 2] and back, repeated
		return repeatOp(n/2, func(b *ops.Builder, y, _ *ops.Node) *ops.Node {
			r := b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(3, 2)}, y)
			return b.Must(ops.Reshape, ops.Attrs{"shape": ops.ShapeOf(2, 3)}, r)
		})
	}},
	{"matmuls", func(n int) *ops.Graph { // relu(y @ W), repeated
		b := ops.NewBuilder()
		w := b.Param("W", f32(3, 3), nil)
		return chainOn(b, n/2, func(b *ops.Builder, y, _ *ops.Node) *ops.Node {
			return b.Must(ops.Relu, nil, b.Must(ops.Matmul, nil, y, w))
		})
	}},
	{"constants", func(n int) *ops.Graph { // (((1 + 1) * 0.5) + 1) ...: fold evaluates each
		b := ops.NewBuilder()
		x := b.Input("x", f32(2, 3))
		c := b.Full(f32(2, 3), 1)
		for i := range n / 2 {
			c = b.Must(ops.Mul, nil, b.Must(ops.Add, nil, c, b.Scalar(ops.F32, 1)), b.Scalar(ops.F32, float64(i%3)*0.25))
		}
		b.Output("y", b.Must(ops.Add, nil, x, c))
		return b.G
	}},
	{"wide", wideGraph},
	{"fan", fanGraph},
	{"shared", func(n int) *ops.Graph { return sharedGraph(rand.New(rand.NewPCG(7, 7)), n) }},
	{"updates", updatesGraph},
}

func f32(dims ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(dims...)} }

// repeatOp applies step n times to y, starting from input x of type f32[2, 3].
func repeatOp(n int, step func(b *ops.Builder, y, x *ops.Node) *ops.Node) *ops.Graph {
	return chainOn(ops.NewBuilder(), n, step)
}

func chainOn(b *ops.Builder, n int, step func(b *ops.Builder, y, x *ops.Node) *ops.Node) *ops.Graph {
	x := b.Input("x", f32(2, 3))
	y := x
	for range n {
		y = step(b, y, x)
	}
	b.Output("y", y)
	return b.G
}

// wideGraph is n/5 branches exp((x - v) * c_i) + (x - v), each an output
// and each reading the shared x - v (which every branch's group
// recomputes).
func wideGraph(n int) *ops.Graph {
	b := ops.NewBuilder()
	x, v := b.Input("x", f32(2, 3)), b.Input("v", f32(3))
	d := b.Must(ops.Sub, nil, x, v)
	for i := range n / 5 {
		br := b.Must(ops.Exp, nil, b.Must(ops.Mul, nil, d, b.Scalar(ops.F32, float64(i)*1e-4)))
		b.Output(fmt.Sprint("y", i), b.Must(ops.Add, nil, br, d))
	}
	return b.G
}

// fanGraph is n/4 values exp(x * i), all live at once, then added up in
// a chain: fusion makes the whole graph one node of n/2 instructions.
func fanGraph(n int) *ops.Graph {
	b := ops.NewBuilder()
	x := b.Input("x", f32(2, 3))
	var acc *ops.Node
	var terms []*ops.Node
	for i := range n / 4 {
		terms = append(terms, b.Must(ops.Exp, nil, b.Must(ops.Mul, nil, x, b.Scalar(ops.F32, float64(i)))))
	}
	for _, y := range terms {
		if acc == nil {
			acc = y
		} else {
			acc = b.Must(ops.Add, nil, acc, y)
		}
	}
	b.Output("y", acc)
	return b.G
}

// updatesGraph is an Adam training step of about n nodes: a loss summing
// sum(square(p_i * x)) over n/40 parameters, differentiated, each parameter
// updated (so the update pass fuses n/40 updates).
func updatesGraph(n int) *ops.Graph {
	b := ops.NewBuilder()
	x := b.Input("x", f32(2, 3))
	var loss *ops.Node
	var params []*ops.Node
	for i := range n / 40 {
		p := b.Param(fmt.Sprint("p", i), f32(2, 3), nil)
		params = append(params, p)
		s := b.Must(ops.Sum, nil, b.Must(ops.Square, nil, b.Must(ops.Mul, nil, p, x)))
		if loss == nil {
			loss = s
		} else {
			loss = b.Must(ops.Add, nil, loss, s)
		}
	}
	if err := train.BuildStep(b, loss, params, train.NewAdam(1e-3)); err != nil {
		panic(err)
	}
	return b.G
}

// optimizeCPU optimizes g with every pass, as Optimize does, and returns
// the CPU time of each pass.
func optimizeCPU(t *testing.T, g *ops.Graph) []time.Duration {
	t.Helper()
	out := make([]time.Duration, len(Passes))
	for i, p := range Passes {
		runtime.GC() // the previous pass's garbage is not this one's time
		start := cpuTime()
		ng, err := runPass(p, g)
		out[i] = cpuTime() - start
		if err != nil {
			t.Fatal(err)
		}
		g = ng
	}
	return out
}

// fastest returns the run of optimizeCPU with the least total of runs runs.
func fastest(t *testing.T, g *ops.Graph, runs int) (total time.Duration, each []time.Duration) {
	for r := range runs {
		e := optimizeCPU(t, g)
		var s time.Duration
		for _, d := range e {
			s += d
		}
		if r == 0 || s < total {
			total, each = s, e
		}
	}
	return total, each
}

// TestOptimizeLinear: optimizing is linear (or n log n) in the size of the
// graph, for long chains, wide graphs, random DAGs and many updates: a
// graph of about 50,000 nodes must optimize within 50 times the CPU time of
// one of about 5,000 (a linear pass takes 10 to 33 times, the larger graph
// no longer fitting the caches and the machine busy; a quadratic one 100
// times and more). Fusion used to
// be quadratic on chains (10,000 adds: 1.5 s; 50,000: 35 s). Ratios of CPU
// time, not absolute times, so that a slow or busy machine passes; the
// fastest of a few runs, so that a collection or a stall does not count.
func TestOptimizeLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("optimizes graphs of 50,000 nodes")
	}
	const small, large = 5000, 50000
	for _, c := range chainGraphs {
		t.Run(c.name, func(t *testing.T) {
			gs, gl := c.make(small), c.make(large)
			nodes := float64(len(gl.Nodes)) / float64(len(gs.Nodes))
			if nodes < 9 || len(gs.Nodes) < small*8/10 {
				t.Fatalf("graphs of %d and %d nodes: not about %d and %d", len(gs.Nodes), len(gl.Nodes), small, large)
			}
			optimizeCPU(t, gs) // warm up
			ts, es := fastest(t, gs, 5)
			tl, el := fastest(t, gl, 3)
			ratio := float64(tl) / float64(max(ts, time.Millisecond))
			var per []string
			for i, p := range Passes {
				per = append(per, fmt.Sprintf("%s %v/%v", p.Name, es[i].Round(time.Microsecond), el[i].Round(time.Microsecond)))
			}
			t.Logf("%d nodes: %v; %d nodes: %v of CPU time (%.1fx); by pass: %s",
				len(gs.Nodes), ts, len(gl.Nodes), tl, ratio, strings.Join(per, ", "))
			if lim := 5 * nodes; ratio > lim {
				t.Errorf("optimizing %.1fx the nodes took %.1fx the CPU time (limit %.1fx): not linear; by pass (small/large): %s",
					nodes, ratio, lim, strings.Join(per, ", "))
			}
		})
	}
}
