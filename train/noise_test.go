package train

import (
	"math"
	"slices"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// noiseStep builds, for a parameter w of n elements (0 at first) and an
// input x, the loss 0.5·sum(w²) + sum(x·w) with plain SGD of rate 1, so
// that after one step w = -(w₀ + ε_w) - (x + ε_x) = -(ε_w + x + ε_x): the
// noise the step drew, read back exactly.
func noiseStep(t *testing.T, n int, nz Noise) (*noisy, *runtime.Store) {
	t.Helper()
	b := ops.NewBuilder()
	ty := ops.Type{DType: ops.F64, Shape: ops.ShapeOf(n)}
	w := b.Param("w", ty, ops.Attrs{"init": "zeros"})
	x := b.Input("x", ty)
	ids := b.Input("ids", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(n)})
	xi := b.Mul(x, b.Must(ops.Cast, ops.Attrs{"dtype": ops.F64}, ids))
	loss := b.Add(b.Mul(b.Scalar(ops.F64, 0.5), b.Must(ops.Sum, nil, b.Mul(w, w))), b.Must(ops.Sum, nil, b.Mul(xi, w)))
	if err := buildWith(b, loss, &StepOptions{Optimizer: &SGD{LR: 1}, Noise: nz}); err != nil {
		t.Fatal(err)
	}
	g, err := opt.Optimize(b.G, opt.Options{Level: 1, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, g, 0); err != nil {
		t.Fatal(err)
	}
	return &noisy{runtime.NewSession(g, store), g}, store
}

type noisy struct {
	sess *runtime.Session
	g    *ops.Graph
}

// drawNoise runs one step with seed from w = 0 and returns -w - x.
func drawNoise(t *testing.T, sess *noisy, store *runtime.Store, seed uint64, xv float64) []float64 {
	t.Helper()
	w := store.Get("w")
	n := w.Len()
	for i := range w.F64 {
		w.F64[i] = 0
	}
	x := tensor.New(tensor.F64, n)
	ids := tensor.New(tensor.I32, n)
	for i := range n {
		x.F64[i] = xv
		ids.I32[i] = 1
	}
	inputs := map[string]*tensor.Tensor{"x": x, "ids": ids}
	var args []*tensor.Tensor
	for _, in := range sess.g.Inputs() {
		args = append(args, inputs[in.Name()])
	}
	if _, err := sess.sess.Run(seed, args...); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n)
	for i, v := range w.F64 {
		out[i] = -v - xv
	}
	return out
}

func meanStd(v []float64) (float64, float64) {
	var s, q float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	for _, x := range v {
		q += (x - m) * (x - m)
	}
	return m, math.Sqrt(q / float64(len(v)))
}

// TestNoise: input noise of std 0.1 and weight noise of std 0.01 (and
// both: their variances add), drawn by the step: the mean within 4
// standard errors of 0, the standard deviation within 3% of σ over 20000
// draws; the same seed draws the same noise, another seed other noise;
// the integer input gets none; without noise the step is exact.
func TestNoise(t *testing.T) {
	const n = 20000
	for _, c := range []struct {
		nz  Noise
		std float64
	}{
		{Noise{Input: 0.1}, 0.1},
		{Noise{Input: 0.1, Inputs: []string{"x"}}, 0.1},
		{Noise{Weight: 0.01}, 0.01},
		{Noise{Input: 0.3, Weight: 0.4}, 0.5},
		{Noise{}, 0},
	} {
		sess, store := noiseStep(t, n, c.nz)
		e := drawNoise(t, sess, store, 7, 2)
		m, s := meanStd(e)
		if c.std == 0 {
			if m != 0 || s != 0 {
				t.Errorf("%+v: the step without noise drew mean %v std %v", c.nz, m, s)
			}
			continue
		}
		if math.Abs(m) > 4*c.std/math.Sqrt(n) || math.Abs(s-c.std) > 0.03*c.std {
			t.Errorf("%+v: mean %v, std %v; want 0 and %v", c.nz, m, s, c.std)
		}
		if again := drawNoise(t, sess, store, 7, 2); !slices.Equal(again, e) {
			t.Errorf("%+v: the same seed drew other noise", c.nz)
		}
		if other := drawNoise(t, sess, store, 8, 2); slices.Equal(other, e) {
			t.Errorf("%+v: another seed drew the same noise", c.nz)
		}
	}
}

// TestNoiseStreams: the normal draws the rewrite adds have seeds of their
// own, above dropout's; a named input that is not a float input is refused.
func TestNoiseStreams(t *testing.T) {
	b := ops.NewBuilder()
	ty := ops.Type{DType: ops.F32, Shape: ops.ShapeOf(4)}
	w := b.Param("w", ty, nil)
	x := b.Input("x", ty)
	d := ops.Dropout(b, b.Mul(x, w), 0.5)
	if err := buildWith(b, b.Must(ops.Sum, nil, d), &StepOptions{Optimizer: &SGD{LR: 1}, Noise: Noise{Input: 1, Weight: 1}}); err != nil {
		t.Fatal(err)
	}
	var drop, normal []int
	for _, n := range b.G.Nodes {
		switch n.Op {
		case ops.DropoutMask:
			drop = append(drop, n.Attrs.Int("seed", 0))
		case ops.Normal:
			normal = append(normal, n.Attrs.Int("seed", 0))
		}
	}
	if len(drop) != 1 || len(normal) != 2 || slices.Contains(normal, drop[0]) || normal[0] == normal[1] {
		t.Errorf("dropout seeds %v, noise seeds %v", drop, normal)
	}
	if next := b.NextSeed(); slices.Contains(normal, next) || next == drop[0] {
		t.Errorf("the builder's next seed %d is taken", next)
	}
	for _, nz := range []Noise{
		{Input: 1, Inputs: []string{"ids"}},
		{Input: 1, Inputs: []string{"nope"}},
		{Input: -1},
		{Weight: math.Inf(1)},
		{Inputs: []string{"x"}},
	} {
		b := ops.NewBuilder()
		w := b.Param("w", ty, nil)
		ids := b.Input("ids", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(4)})
		loss := b.Must(ops.Sum, nil, b.Mul(w, b.Must(ops.Cast, ops.Attrs{"dtype": ops.F32}, ids)))
		if err := buildWith(b, loss, &StepOptions{Optimizer: &SGD{LR: 1}, Noise: nz}); err == nil {
			t.Errorf("%+v: no error", nz)
		}
	}
}
