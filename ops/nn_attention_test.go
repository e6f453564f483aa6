package ops_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// TestAttentionPrefixMask checks the attention kernel under a causal
// [Tq, Tk] mask (the prefix path, which normalizes each row over its kept
// keys only), the same mask given per batch (the general path) and a mask
// that is not a prefix, against plain float64 loops.
func TestAttentionPrefixMask(t *testing.T) {
	const nb, tq, d = 6, 5, 4
	rng := rand.New(rand.NewPCG(11, 12))
	rnd := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	q, k, v := rnd(nb*tq*d), rnd(nb*tq*d), rnd(nb*tq*d)
	causal := func(i, j int) bool { return j <= i }
	holes := func(i, j int) bool { return j != 1 || i == 1 }
	for _, tc := range []struct {
		name     string
		keep     func(i, j int) bool
		perBatch bool
	}{{"causal", causal, false}, {"causal per batch", causal, true}, {"holes", holes, false}} {
		mshape := []int{tq, tq}
		if tc.perBatch {
			mshape = []int{nb, tq, tq}
		}
		mask := tensor.New(ops.F64, mshape...)
		for n := 0; n < mask.Len(); n++ {
			if tc.keep(n/tq%tq, n%tq) {
				mask.F64[n] = 1
			}
		}
		b := ops.NewBuilder()
		typ := ops.Type{DType: ops.F64, Shape: ops.ShapeOf(nb, tq, d)}
		in := []*ops.Node{b.Input("q", typ), b.Input("k", typ), b.Input("v", typ),
			b.Input("m", ops.Type{DType: ops.F64, Shape: ops.ShapeOf(mshape...)})}
		out := b.Must(ops.Attention, nil, in...)
		b.Output("y", out)
		res, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{
			"q": tensor.FromFloat64s(ops.F64, []int{nb, tq, d}, q), "k": tensor.FromFloat64s(ops.F64, []int{nb, tq, d}, k),
			"v": tensor.FromFloat64s(ops.F64, []int{nb, tq, d}, v), "m": mask}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := res[out].F64
		for bi := 0; bi < nb; bi++ {
			for i := 0; i < tq; i++ {
				w := make([]float64, tq)
				var mx, sum float64 = math.Inf(-1), 0
				for j := range w {
					w[j] = math.Inf(-1)
					if tc.keep(i, j) {
						var s float64
						for e := 0; e < d; e++ {
							s += q[(bi*tq+i)*d+e] * k[(bi*tq+j)*d+e]
						}
						w[j] = s / 2 // 1/sqrt(d), d = 4
					}
					mx = math.Max(mx, w[j])
				}
				for j := range w {
					w[j] = math.Exp(w[j] - mx)
					sum += w[j]
				}
				for e := 0; e < d; e++ {
					var want float64
					for j := range w {
						want += w[j] / sum * v[(bi*tq+j)*d+e]
					}
					if g := got[(bi*tq+i)*d+e]; math.Abs(g-want) > 1e-12 {
						t.Fatalf("%s: y[%d, %d, %d] = %v, want %v", tc.name, bi, i, e, g, want)
					}
				}
			}
		}
	}
}

// TestAttentionEmpty: attention over no keys is an empty sum, zeros (as
// PyTorch's softmax(...) @ v of an empty key axis), and the fused backward
// of no positions gives an empty result, without a panic.
func TestAttentionEmpty(t *testing.T) {
	b := ops.NewBuilder()
	f := func(s ...int) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.ShapeOf(s...)} }
	q, k, v := b.Input("q", f(2, 3, 4)), b.Input("k", f(2, 0, 4)), b.Input("v", f(2, 0, 5))
	y := b.Must(ops.Attention, nil, q, k, v)
	e := b.Input("e", f(2, 0, 4))
	g := b.Must(ops.AttentionGrad, nil, e, e, e, e)
	b.Output("y", y)
	b.Output("g", g)
	res, err := ops.Evaluate(b.G, map[string]*tensor.Tensor{
		"q": tensor.New(ops.F32, 2, 3, 4), "k": tensor.New(ops.F32, 2, 0, 4), "v": tensor.New(ops.F32, 2, 0, 5),
		"e": tensor.New(ops.F32, 2, 0, 4)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res[y]; got.Len() != 30 {
		t.Fatalf("attention over no keys has %d elements, want 30", got.Len())
	}
	for i, x := range res[y].F32 {
		if x != 0 {
			t.Fatalf("attention over no keys: element %d is %v, want 0", i, x)
		}
	}
	if n := res[g].Len(); n != 0 {
		t.Errorf("attention_grad of no positions has %d elements", n)
	}
}
