package runtime

import (
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// kernelCase is one node to prepare and run: an op, its attributes and its
// operands' types.
type kernelCase struct {
	op    string
	attrs ops.Attrs
	in    []ops.Type
}

func (c kernelCase) String() string { return fmt.Sprintf("%s %v %v", c.op, c.in, c.attrs) }

// measureKernel prepares the kernel of c and runs it once, and returns the
// bytes allocated meanwhile and the scratch the plan counts for it.
func measureKernel(t *testing.T, c kernelCase) (allocated, scratch int64, n *ops.Node, in [][]int) {
	t.Helper()
	b := ops.NewBuilder()
	var nodes []*ops.Node
	var vals []*tensor.Tensor
	for i, ty := range c.in {
		s, ok := ty.Shape.Concrete()
		if !ok {
			t.Fatalf("%v: operand %d is not concrete", c, i)
		}
		nodes = append(nodes, b.Input(fmt.Sprintf("a%d", i), ty))
		v := tensor.New(ty.DType, s...)
		for j := range v.Len() {
			v.Set(j, 0.5+float64(j%3)) // valid ids, labels and logs alike
		}
		vals = append(vals, v)
		in = append(in, s)
	}
	n, err := b.Apply(ops.MustLookup(c.op), c.attrs, nodes...)
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	out, _ := n.Type.Shape.Concrete()
	res := tensor.New(n.Type.DType, out...)
	scratch = stepScratch(n, in, out)
	before := heapAlloc()
	k, err := n.Op.Kernel(n, in, out)
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	k(&ops.Ctx{Seed: 1}, res, vals)
	return int64(heapAlloc() - before), scratch, n, in
}

// bookkeeping bounds what a kernel allocates besides the buffers that
// stepScratch counts: structs, closures, slice headers and index vectors
// (a few per operand and axis), a fused program's parsed instructions,
// steps and registers, and the structs of a product's gemm plans (a
// convolution has six per participant, attention up to 24).
func bookkeeping(n *ops.Node, in [][]int) int64 {
	b := int64(8192 + 256*len(in) + 128*len(n.Type.Shape))
	for _, s := range in {
		b += int64(128 * len(s))
	}
	for _, key := range []string{"program", "grad"} {
		if p := n.Attrs.Str(key, ""); p != "" {
			b += int64(16*len(p)) + int64(1024*strings.Count(p, "="))
		}
	}
	switch name := n.Op.Name; {
	case name == "matmul" || name == "fused_matmul":
		b += gemmBook()
	case name == "attention": // per participant (kernels.AttentionBatch)
		b += 4096
		b *= int64(gemmPar())
	case name == "attention_grad": // up to 24 gemm plans (kernels.Attention) per participant
		b += 24 * gemmBook()
		b *= int64(gemmPar())
	case strings.HasPrefix(name, "conv"):
		b += 6 * (gemmBook() + int64(64*(len(in)+gemmPar())))
		b *= int64(gemmPar())
	}
	return b
}

// gemmBook is a product plan's bookkeeping: the plan with its edge tiles,
// and per participant its task dealer's counter (a 128-byte line,
// kernels/pool_tasks.go) and mailbox pointer.
func gemmBook() int64 { return int64(2048 + 136*gemmPar()) }

func gemmPar() int { return max(goruntime.GOMAXPROCS(0), goruntime.NumCPU()) }

// Every op's kernel, prepared and run once on each of its check cases (in
// f32 and f64), allocates at most the scratch the plan counts for it plus
// the bookkeeping that the count leaves out.
func TestScratchBoundsKernelAllocations(t *testing.T) {
	var cases []kernelCase
	for _, op := range ops.All() {
		if op.Kernel == nil || strings.HasPrefix(op.Name, "runtime_test_") {
			continue
		}
		for _, c := range op.Check {
			for _, dt := range []ops.DType{ops.F32, ops.F64} {
				if op == ops.Loop && dt != c.In[0].DType {
					continue // the loop's body fixes its element type
				}
				kc := kernelCase{op: op.Name, attrs: c.Attrs}
				for _, ty := range c.In {
					if ty.DType.IsFloat() {
						ty.DType = dt
					}
					kc.in = append(kc.in, ty)
				}
				if _, ok := kc.attrs["dtype"]; ok {
					kc.attrs = kc.attrs.With("dtype", dt)
				}
				cases = append(cases, kc)
			}
		}
	}
	cases = append(cases, noCheckCases()...)
	warmPool(t)
	for _, c := range cases {
		got, scratch, n, in := measureKernel(t, c)
		if limit := scratch + bookkeeping(n, in); got > limit {
			t.Errorf("%v: the kernel allocated %d bytes, more than its scratch %d and bookkeeping %d", c, got, scratch, limit-scratch)
		}
	}
}

// warmPool starts the kernels' worker pool (its goroutines and queue are
// made once per process, by the first parallel kernel) and their shared
// runners, so that measurements see the kernels' own allocations only.
func warmPool(t *testing.T) {
	for _, c := range []kernelCase{
		{"matmul", nil, []ops.Type{f32s(200, 200), f32s(200, 200)}},
		{"softmax", nil, []ops.Type{f32s(512, 512)}},
		{"sum", ops.Attrs{"axes": []int{0}}, []ops.Type{f32s(512, 512)}},
	} {
		measureKernel(t, c)
	}
}

func f32s(dims ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(dims...)} }

// noCheckCases are the ops without check cases (fused ops, creators,
// integer ops), on small shapes.
func noCheckCases() []kernelCase {
	i32 := func(dims ...int) ops.Type { return ops.Type{DType: ops.I32, Shape: ops.ShapeOf(dims...)} }
	return []kernelCase{
		{"one_hot", ops.Attrs{"n": 4, "dtype": ops.F32}, []ops.Type{i32(3)}},
		{"dropout_mask", ops.Attrs{"p": 0.5, "seed": 1, "shape": ops.ShapeOf(3, 5), "dtype": ops.F32}, nil},
		{"stop_gradient", nil, []ops.Type{f32s(3)}},
		{"full", ops.Attrs{"value": 2.0, "dtype": ops.F32, "shape": ops.ShapeOf(3)}, nil},
		{"argmax", ops.Attrs{"axis": 1}, []ops.Type{f32s(3, 4)}},
		{"argmin", ops.Attrs{"axis": 0}, []ops.Type{f32s(3, 4)}},
		{"fused_elementwise", ops.Attrs{"program": "t0=mul(x0,x1); t1=exp(t0); t2=add(t1,0.5)",
			"shape": ops.ShapeOf(4, 5), "dtype": ops.F32}, []ops.Type{f32s(4, 5), f32s(5)}},
		{"fused_reduce", ops.Attrs{"program": "t0=mul(x0,x1); t1=tanh(t0)", "shape": ops.ShapeOf(4, 5),
			"dtype": ops.F32, "reduce": "mean", "axes": []int{1}}, []ops.Type{f32s(4, 5), f32s(5)}},
		{"fused_matmul", ops.Attrs{"program": "t0=add(x0,x1); t1=tanh(t0)", "shape": ops.ShapeOf(4, 6),
			"dtype": ops.F32}, []ops.Type{f32s(4, 5), f32s(5, 6), f32s(6)}},
		{"fused_sgd", ops.Attrs{"lr": 0.1, "momentum": 0.9, "nesterov": true, "grad": "t0=mul(x0,x1)"},
			[]ops.Type{f32s(4, 5), f32s(4, 5), f32s(4, 5), f32s(5)}},
		{"fused_adam", ops.Attrs{"beta1": 0.9, "one_minus_beta1": 0.1, "beta2": 0.999, "one_minus_beta2": 0.001, "eps": 1e-8},
			[]ops.Type{f32s(4, 5), f32s(4, 5), f32s(4, 5), f32s(4, 5), f32s(), f32s()}},
	}
}

// On shapes where the buffers dominate, the scratch a plan counts is what
// the kernel allocates, within the bookkeeping either way: neither an
// undercount (which the memory limit would miss) nor a gross overcount
// (which would refuse plans that fit). Reductions are checked one way
// only: their partial sums live in a runner that later calls reuse, so a
// call may allocate nothing.
func TestScratchMatchesLargeKernels(t *testing.T) {
	f64s := func(dims ...int) ops.Type { return ops.Type{DType: ops.F64, Shape: ops.ShapeOf(dims...)} }
	boolT := func(dims ...int) ops.Type { return ops.Type{DType: ops.Bool, Shape: ops.ShapeOf(dims...)} }
	exact := []kernelCase{
		{"matmul", nil, []ops.Type{f32s(300, 500), f32s(500, 400)}},
		{"matmul", ops.Attrs{"transpose_w": true}, []ops.Type{f64s(6, 64, 40), f64s(6, 72, 40)}},
		{"matmul", ops.Attrs{"transpose_x": true}, []ops.Type{f32s(4, 200, 100), f32s(200, 150)}},
		{"matmul", ops.Attrs{"transpose_w": true}, []ops.Type{f32s(5000), f32s(3, 5000)}},
		{"conv2d", ops.Attrs{"pad": 1}, []ops.Type{f32s(8, 16, 28, 28), f32s(32, 16, 3, 3)}},
		{"conv2d", nil, []ops.Type{f32s(2, 64, 56, 56), f32s(64, 64, 1, 1)}},
		{"conv2d", ops.Attrs{"stride": 2, "groups": 2}, []ops.Type{f64s(16, 8, 20, 20), f64s(8, 4, 5, 5)}},
		{"conv2d_input_grad", ops.Attrs{"pad": 1, "shape": ops.ShapeOf(8, 16, 28, 28)}, []ops.Type{f32s(8, 32, 28, 28), f32s(32, 16, 3, 3)}},
		{"conv2d_weight_grad", ops.Attrs{"pad": 1, "shape": ops.ShapeOf(32, 16, 3, 3)}, []ops.Type{f32s(8, 16, 28, 28), f32s(8, 32, 28, 28)}},
		{"conv1d", ops.Attrs{"pad": 2}, []ops.Type{f32s(16, 8, 300), f32s(24, 8, 5)}},
		{"attention", nil, []ops.Type{f32s(4, 64, 32), f32s(4, 80, 32), f32s(4, 80, 16), boolT(64, 80)}},
		{"attention_grad", nil, []ops.Type{f32s(4, 300, 32), f32s(4, 300, 32), f32s(4, 300, 32), f32s(4, 300, 32), boolT(300, 300)}},
		{"var", ops.Attrs{"axes": []int{1}}, []ops.Type{f64s(300, 20000)}},
		{"logsumexp", ops.Attrs{"axes": []int{0}}, []ops.Type{f32s(3, 50000)}},
		{"fused_elementwise", ops.Attrs{"program": "t0=mul(x0,x1); t1=exp(t0); t2=mul(t1,x0); t3=tanh(t2); t4=add(t3,t1); " +
			"t5=mul(t4,t0); t6=sub(t5,x1); t7=tanh(t6); t8=mul(t7,t2); t9=add(t8,t3)",
			"shape": ops.ShapeOf(72, 1000), "dtype": ops.F32}, []ops.Type{f32s(72, 1000), f32s(1000)}}, // several chunks
		{"fused_sgd", ops.Attrs{"lr": 0.1, "momentum": 0.9, "nesterov": false, "grad": "t0=mul(x0,x1); t1=add(t0,x0)"},
			[]ops.Type{f64s(256, 512), f64s(256, 512), f64s(256, 512), f64s(512)}},
	}
	warmPool(t)
	for _, c := range exact {
		got, scratch, n, in := measureKernel(t, c)
		book := bookkeeping(n, in)
		if got > scratch+book || scratch > got+book {
			t.Errorf("%v: the kernel allocated %d bytes, the plan counts %d (bookkeeping allowance %d)", c, got, scratch, book)
		}
		if scratch < 32<<10 {
			t.Errorf("%v: scratch %d bytes: not a large case", c, scratch)
		}
	}
	for _, c := range []kernelCase{
		{"sum", ops.Attrs{"axes": []int{0}}, []ops.Type{f32s(4096, 64)}},
		{"max", ops.Attrs{"axes": []int{0}}, []ops.Type{f64s(2048, 100)}},
		{"sum_to", ops.Attrs{"shape": ops.ShapeOf(1, 256)}, []ops.Type{f32s(1024, 256)}},
	} {
		got, scratch, n, in := measureKernel(t, c)
		if got > scratch+bookkeeping(n, in) {
			t.Errorf("%v: the kernel allocated %d bytes, more than the %d the plan counts", c, got, scratch)
		}
	}
}
