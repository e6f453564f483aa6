package autodiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// TestGradBatchedWeight: a weight and a bias used at T steps,
// y = Σ_t sum(tanh(x_t W + b)), get their gradients from one product and
// one reduction over all steps (not T of each and T adds), equal to the
// plain loops dW = Σ_t x_tᵀ (1 − tanh²(z_t)), db = Σ_t Σ_rows (1 − tanh²(z_t)).
func TestGradBatchedWeight(t *testing.T) {
	const T, B, n, m = 5, 4, 3, 2
	b := ops.NewBuilder()
	xs := make([]*ops.Node, T)
	for k := range xs {
		xs[k] = b.Input(fmt.Sprint("x", k), f64(B, n))
	}
	w := b.Input("w", f64(n, m))
	bias := b.Input("b", f64(m))
	var y *ops.Node
	for _, x := range xs {
		z := b.Must(ops.Add, nil, must(b, ops.Matmul, x, w), bias)
		y = accumulate(b, y, total(b, must(b, ops.Tanh, z)))
	}
	gs, err := Grad(b, y, []*ops.Node{w, bias})
	if err != nil {
		t.Fatal(err)
	}
	// The forward pass has T products and T adds (the bias) of its own.
	if c := reach(gs[0]); c[ops.Matmul] != T+1 || c[ops.Add] != T {
		t.Errorf("dW: %d products, %d adds; want T + 1, T", c[ops.Matmul], c[ops.Add])
	}
	if c := reach(gs[1]); c[ops.SumTo] != 1 || c[ops.Add] != T {
		t.Errorf("db: %d sum_to, %d adds; want 1, T", c[ops.SumTo], c[ops.Add])
	}
	b.Output("dw", gs[0])
	b.Output("db", gs[1])
	r := rand.New(rand.NewPCG(7, 8))
	var feeds []*tensor.Tensor
	for range T {
		feeds = append(feeds, randTensor(r, B, n))
	}
	wv, bv := randTensor(r, n, m), randTensor(r, m)
	feeds = append(feeds, wv, bv)
	out := evalAll(t, b.G, feeds...)
	dw, db := make([]float64, n*m), make([]float64, m)
	for k := range T {
		x := feeds[k].F64
		for i := range B {
			for j := range m {
				z := bv.F64[j]
				for l := range n {
					z += x[i*n+l] * wv.F64[l*m+j]
				}
				d := 1 - math.Tanh(z)*math.Tanh(z)
				db[j] += d
				for l := range n {
					dw[l*m+j] += x[i*n+l] * d
				}
			}
		}
	}
	for i, want := range dw {
		if got := out[0].F64[i]; !close(got, want, 1e-12) {
			t.Errorf("dW[%d] = %v, want %v", i, got, want)
		}
	}
	for i, want := range db {
		if got := out[1].F64[i]; !close(got, want, 1e-12) {
			t.Errorf("db[%d] = %v, want %v", i, got, want)
		}
	}
}
