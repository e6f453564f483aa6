package opt

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
	"github.com/nnclang/nnc/train"
)

// Benchmarks of the optimizer: each workload runs unoptimized (O0) and
// optimized (O1) in the same run, reporting time per step, the bytes the
// executed kernels move (sum of operand and result sizes over the plan's
// steps) and allocations. The figures are in BENCHMARKS.md.

// workload is a graph with its inputs.
type workload struct {
	g      *ops.Graph
	inputs []*tensor.Tensor
}

// digitsStep is models/digits.nn's training step (Classifier.loss in
// training mode, Adam) for a batch of 64.
func digitsStep(tb testing.TB) workload {
	src, err := os.ReadFile("../models/digits.nn")
	if err != nil {
		tb.Fatal(err)
	}
	m, err := lang.Load("digits.nn", src)
	if err != nil {
		tb.Fatal(err)
	}
	b := ops.NewBuilder()
	low, err := m.Lower("Classifier.loss", lang.LowerOptions{Training: true, Builder: b})
	if err != nil {
		tb.Fatal(err)
	}
	if err := train.BuildStep(b, low.Outputs[0], low.Params, train.NewAdam(1e-3)); err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensor.New(tensor.F32, 64, 64)
	for i := range x.F32 {
		x.F32[i] = float32(rng.Float64() * 16)
	}
	y := tensor.New(tensor.I32, 64)
	for i := range y.I32 {
		y.I32[i] = int32(rng.IntN(10))
	}
	return workload{b.G, []*tensor.Tensor{x, y}}
}

// elementwiseBlock is GELU (tanh form) followed by a layer norm written out
// with mean and variance, on f32[rows, cols], with a learned scale and shift.
func elementwiseBlock(rows, cols int) workload {
	b := ops.NewBuilder()
	ty := func(d ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(d...)} }
	x := b.Input("x", ty(rows, cols))
	gamma, beta := b.Input("gamma", ty(cols)), b.Input("beta", ty(cols))
	c := func(v float64) *ops.Node { return b.Scalar(ops.F32, v) }
	mul := func(p, q *ops.Node) *ops.Node { return b.Must(ops.Mul, nil, p, q) }
	add := func(p, q *ops.Node) *ops.Node { return b.Must(ops.Add, nil, p, q) }
	x3 := mul(mul(x, x), x)
	inner := mul(c(0.7978845608028654), add(x, mul(c(0.044715), x3)))
	h := mul(mul(c(0.5), x), add(c(1), b.Must(ops.Tanh, nil, inner)))
	mean := b.Must(ops.Mean, ops.Attrs{"axes": []int{1}, "keepdims": true}, h)
	d := b.Must(ops.Sub, nil, h, mean)
	v := b.Must(ops.Mean, ops.Attrs{"axes": []int{1}, "keepdims": true}, b.Must(ops.Square, nil, d))
	norm := b.Must(ops.Div, nil, d, b.Must(ops.Sqrt, nil, add(v, c(1e-5))))
	b.Output("y", add(mul(norm, gamma), beta))
	rng := rand.New(rand.NewPCG(2, 2))
	in := []*tensor.Tensor{tensor.New(tensor.F32, rows, cols), tensor.New(tensor.F32, cols), tensor.New(tensor.F32, cols)}
	for _, t := range in {
		for i := range t.F32 {
			t.F32[i] = float32(rng.NormFloat64())
		}
	}
	return workload{b.G, in}
}

// softmaxHead is logits = x @ W + b with the cross entropy written out as
// -mean(sum(one_hot(y) * log(softmax(logits)))), and its training step
// (plain SGD); with prepare, the stability rewrites run before
// differentiation (Prepare).
func softmaxHead(tb testing.TB, n, k, classes int, prepare bool) workload {
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(n, k)})
	y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(n)})
	w := b.Param("W", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(k, classes)}, ops.Attrs{"init": "glorot_uniform"})
	bias := b.Param("b", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(classes)}, nil)
	logits := b.Must(ops.Add, nil, b.Must(ops.Matmul, nil, x, w), bias)
	lp := b.Must(ops.Log, nil, b.Must(ops.Softmax, nil, logits))
	oh := b.Must(ops.OneHot, ops.Attrs{"n": classes, "dtype": ops.F32}, y)
	s := b.Must(ops.Sum, ops.Attrs{"axes": []int{1}}, b.Must(ops.Mul, nil, oh, lp))
	loss := b.Must(ops.Neg, nil, b.Must(ops.Mean, nil, s))
	b.Output("loss", loss)
	if prepare {
		var err error
		if b, err = Prepare(b.G); err != nil {
			tb.Fatal(err)
		}
		loss = b.G.Output("loss")
	}
	if err := train.BuildStep(b, loss, nil, &train.SGD{LR: 0.1}); err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	xt := tensor.New(tensor.F32, n, k)
	for i := range xt.F32 {
		xt.F32[i] = float32(rng.NormFloat64())
	}
	yt := tensor.New(tensor.I32, n)
	for i := range yt.I32 {
		yt.I32[i] = int32(rng.IntN(classes))
	}
	return workload{b.G, []*tensor.Tensor{xt, yt}}
}

// planBytes is the sum, over the plan's executed steps, of the sizes of
// their operands and results.
func planBytes(p *runtime.Plan) int64 {
	var total int64
	size := func(n *ops.Node) int64 {
		return int64(tensor.NumElems(p.Shape(n)) * n.Type.DType.Size())
	}
	for _, st := range p.Steps {
		if st.Alias {
			continue
		}
		total += size(st.Node)
		for _, x := range st.Node.In {
			total += size(x)
		}
	}
	return total
}

// benchWorkload runs w at O0 and O1 as sub-benchmarks.
func benchWorkload(b *testing.B, w workload) {
	for _, level := range []int{0, 1} {
		name := "O0"
		if level == 1 {
			name = "O1"
		}
		b.Run(name, func(b *testing.B) {
			g, err := Optimize(w.g, Options{Level: level})
			if err != nil {
				b.Fatal(err)
			}
			store := runtime.NewStore()
			if err := runtime.InitParams(store, g, 1); err != nil {
				b.Fatal(err)
			}
			sess := runtime.NewSession(g, store)
			p, err := sess.Plan(w.inputs...)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := sess.Run(0, w.inputs...); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := sess.Run(uint64(i), w.inputs...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(planBytes(p)), "bytes/step")
			b.ReportMetric(float64(len(p.Steps)), "kernels/step")
		})
	}
}

// BenchmarkDigitsStep: the digits MLP's training step (batch 64, Adam).
func BenchmarkDigitsStep(b *testing.B) { benchWorkload(b, digitsStep(b)) }

// BenchmarkGELULayerNorm: GELU and a layer norm on f32[256, 1024].
func BenchmarkGELULayerNorm(b *testing.B) { benchWorkload(b, elementwiseBlock(256, 1024)) }

// BenchmarkSoftmaxCrossEntropy: a linear softmax head's SGD training step,
// x f32[256, 128], 100 classes.
func BenchmarkSoftmaxCrossEntropy(b *testing.B) {
	benchWorkload(b, softmaxHead(b, 256, 128, 100, false))
}

// BenchmarkSoftmaxCrossEntropyPrepared is the same head with Prepare run
// before differentiation: the loss is one cross_entropy and its gradient
// (softmax - one_hot)/N.
func BenchmarkSoftmaxCrossEntropyPrepared(b *testing.B) {
	benchWorkload(b, softmaxHead(b, 256, 128, 100, true))
}

// chainElems is the size of the bandwidth benchmarks: 4M f32 (16 MiB per
// tensor), far beyond the caches.
const chainElems = 1 << 22

// chain is the first k ops of y = relu(x*1.5 + 0.25)*0.75 - x on f32[n]:
// one input, one output.
func chain(k, n int) *ops.Graph {
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(n)})
	c := func(v float64) *ops.Node { return b.Scalar(ops.F32, v) }
	steps := []func(h *ops.Node) *ops.Node{
		func(h *ops.Node) *ops.Node { return b.Must(ops.Mul, nil, h, c(1.5)) },
		func(h *ops.Node) *ops.Node { return b.Must(ops.Add, nil, h, c(0.25)) },
		func(h *ops.Node) *ops.Node { return b.Must(ops.Relu, nil, h) },
		func(h *ops.Node) *ops.Node { return b.Must(ops.Mul, nil, h, c(0.75)) },
		func(h *ops.Node) *ops.Node { return b.Must(ops.Sub, nil, h, x) },
	}
	h := x
	for _, f := range steps[:k] {
		h = f(h)
	}
	b.Output("y", h)
	return b.G
}

// BenchmarkFusedChain runs chains of 2, 3 and 5 elementwise ops on 4M f32,
// fused (O1: one kernel) and, for 5 ops, unfused (O0: five kernels). The
// throughput (SetBytes) counts one read of x and one write of y, to compare
// with BenchmarkCopyLoop.
func BenchmarkFusedChain(b *testing.B) {
	for _, c := range []struct {
		k, level int
	}{{2, 1}, {3, 1}, {5, 1}, {5, 0}} {
		b.Run(fmt.Sprintf("ops=%d/O%d", c.k, c.level), func(b *testing.B) {
			g, err := Optimize(chain(c.k, chainElems), Options{Level: c.level})
			if err != nil {
				b.Fatal(err)
			}
			if c.level == 1 && (opCount(g, "fused_elementwise") != 1 || len(g.Nodes) != 2) {
				b.Fatalf("not one fused node:\n%v", g)
			}
			xt := tensor.New(tensor.F32, chainElems)
			for i := range xt.F32 {
				xt.F32[i] = float32(i%17) - 8
			}
			sess := runtime.NewSession(g, runtime.NewStore())
			if _, err := sess.Run(0, xt); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(2 * 4 * chainElems)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sess.Run(0, xt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCopyLoop is the reference for BenchmarkFusedChain: a plain Go
// loop copying 4M f32 (one read, one write per element).
func BenchmarkCopyLoop(b *testing.B) {
	src, dst := make([]float32, chainElems), make([]float32, chainElems)
	for i := range src {
		src[i] = float32(i)
	}
	b.SetBytes(2 * 4 * chainElems)
	for b.Loop() {
		for i, v := range src {
			dst[i] = v
		}
	}
}

// TestOptimizedStepAllocatesNothing: the optimized digits training step
// allocates nothing once its plan exists.
func TestOptimizedStepAllocatesNothing(t *testing.T) {
	w := digitsStep(t)
	g, err := Optimize(w.g, Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, g, 1); err != nil {
		t.Fatal(err)
	}
	sess := runtime.NewSession(g, store)
	if _, err := sess.Run(0, w.inputs...); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(5, func() {
		if _, err := sess.Run(1, w.inputs...); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("a steady optimized step allocates %v times", a)
	}
}
