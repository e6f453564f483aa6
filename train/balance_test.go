package train

import (
	"math"
	"slices"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

func labelsOf(ys ...int32) *tensor.Tensor {
	t := tensor.New(tensor.I32, len(ys))
	copy(t.I32, ys)
	return t
}

// TestBalancedClassWeights: n/(k·count) by hand, with a mask, a class
// that does not occur, and the labels refused.
func TestBalancedClassWeights(t *testing.T) {
	// 6 rows, classes 0 (3), 2 (2), 3 (1); class 1 does not occur: k = 3.
	w, err := BalancedClassWeights(labelsOf(0, 2, 0, 3, 2, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{6.0 / 9, 0, 6.0 / 6, 6.0 / 3}
	if !slices.Equal(w, want) {
		t.Errorf("weights %v, want %v", w, want)
	}
	mask := tensor.FromFloat64s(tensor.F32, []int{6}, []float64{1, 1, 0, 1, 0, 0})
	if w, err = BalancedClassWeights(labelsOf(0, 2, 0, 3, 2, 0), mask); err != nil || !slices.Equal(w, []float64{1, 0, 1, 1}) {
		t.Errorf("masked weights %v (%v), want [1 0 1 1]", w, err)
	}
	floats := tensor.FromFloat64s(tensor.F32, []int{3}, []float64{1, 1, 0})
	if w, err = BalancedClassWeights(floats, nil); err != nil || !slices.Equal(w, []float64{1.5, 0.75}) {
		t.Errorf("float labels: %v (%v)", w, err)
	}
	for _, bad := range []*tensor.Tensor{
		labelsOf(0, -1),
		tensor.FromFloat64s(tensor.F32, []int{2}, []float64{0, 1.5}),
		tensor.FromFloat64s(tensor.F64, []int{2}, []float64{0, math.NaN()}),
		labelsOf(0, 1<<30),
		labelsOf(),
	} {
		if _, err := BalancedClassWeights(bad, nil); err == nil {
			t.Errorf("labels %v: no error", bad)
		}
	}
	if _, err := BalancedClassWeights(labelsOf(0, 1), tensor.New(tensor.F32, 3)); err == nil {
		t.Error("a mask of another length: no error")
	}
}

// TestClassWeightsSettings: weights refused, a loss without cross entropy
// or with weights of its own, and weights of the wrong length for the
// classes.
func TestClassWeightsSettings(t *testing.T) {
	for _, w := range [][]float64{{}, {1, -1}, {0, 0}, {1, math.Inf(1)}} {
		if err := (&StepOptions{Optimizer: &SGD{LR: 1}, ClassWeights: w}).Check(); err == nil {
			t.Errorf("weights %v: no error", w)
		}
	}
	b := ops.NewBuilder()
	p := b.Param("p", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)}, nil)
	if err := buildWith(b, b.Must(ops.Sum, nil, b.Mul(p, p)), &StepOptions{Optimizer: &SGD{LR: 1}, ClassWeights: []float64{1, 2}}); err == nil {
		t.Error("a loss without cross entropy: no error")
	}
	ref := readStepReference(t)
	for _, c := range []struct {
		w        []float64
		balanced bool
		ok       bool
	}{{[]float64{1, 2}, false, false}, {[]float64{1, 2, 3, 4}, false, false}, {[]float64{1, 2}, true, true}, {[]float64{1, 2, 3, 4}, true, false}} {
		so := &StepOptions{Optimizer: &SGD{LR: 1}, ClassWeights: c.w, BalancedClasses: c.balanced}
		b := ops.NewBuilder()
		err := buildWith(b, mlpLoss(b, ops.F32, 8), so)
		if err == nil {
			store := runtime.NewStore()
			for k, v := range ref.P0 {
				store.Set(k, tensor.FromFloat64s(tensor.F32, mlpShapes[k], v))
			}
			if err = runtime.InitParams(store, b.G, 0); err != nil {
				t.Fatal(err)
			}
			err = so.InitStates(store)
			if err == nil {
				got := store.Get(ClassWeightsState)
				if got.Len() != 3 || got.At(0) != 1 || got.At(1) != 2 || got.At(2) != 0 {
					t.Errorf("%v: class weights %v", c.w, got.F32)
				}
			}
		}
		if (err == nil) != c.ok {
			t.Errorf("%v (balanced %v): error %v", c.w, c.balanced, err)
		}
	}
	b = ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2, 3)})
	y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.ShapeOf(2)})
	q := b.Param("q", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(3)}, nil)
	loss := b.Must(ops.CrossEntropy, nil, b.Mul(x, q), y, q)
	if err := buildWith(b, loss, &StepOptions{Optimizer: &SGD{LR: 1}, ClassWeights: []float64{1, 2, 3}}); err == nil {
		t.Error("a cross entropy with weights of its own: no error")
	}
}

// TestBalancedSampler: row probabilities by hand; every class drawn about
// equally often over 200 epochs of draws (within 5 standard deviations of
// the binomial count); the same epoch draws the same rows, another epoch
// or seed others; the batches carry the drawn rows.
func TestBalancedSampler(t *testing.T) {
	// class 0: 6 rows, class 1: 3 rows, class 2: 1 row.
	y := labelsOf(0, 0, 1, 0, 0, 1, 0, 2, 1, 0)
	s, err := NewBalancedSampler(y, 5)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Probabilities()
	for i, v := range p {
		want := map[int32]float64{0: 1.0 / 18, 1: 1.0 / 9, 2: 1.0 / 3}[y.I32[i]]
		if math.Abs(v-want) > 1e-16 {
			t.Errorf("row %d: probability %v, want %v", i, v, want)
		}
	}
	counts := make([]float64, 3)
	rows := make([]float64, 10)
	const epochs = 2000
	for e := range epochs {
		for _, i := range s.Draw(e) {
			counts[y.I32[i]]++
			rows[i]++
		}
	}
	total := float64(epochs * 10)
	for c, n := range counts {
		sd := math.Sqrt(total * (1.0 / 3) * (2.0 / 3))
		if math.Abs(n-total/3) > 5*sd {
			t.Errorf("class %d drawn %v times of %v", c, n, total)
		}
	}
	for i, n := range rows {
		sd := math.Sqrt(total * p[i] * (1 - p[i]))
		if math.Abs(n-total*p[i]) > 5*sd {
			t.Errorf("row %d drawn %v times, expected %v", i, n, total*p[i])
		}
	}
	if !slices.Equal(s.Draw(3), s.Draw(3)) || slices.Equal(s.Draw(3), s.Draw(4)) {
		t.Error("draws are not a function of the epoch")
	}
	s2, _ := NewBalancedSampler(y, 6)
	if slices.Equal(s.Draw(3), s2.Draw(3)) {
		t.Error("another seed draws the same rows")
	}
	x := tensor.New(tensor.F32, 10, 2)
	for i := range 10 {
		x.F32[2*i] = float32(i)
	}
	d, err := data.NewDataset(map[string]*tensor.Tensor{"x": x, "y": y})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := s.Batches(d, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for bs.Start(0); bs.Next(); {
		b := bs.Batch()
		for r := range b.Size {
			i := int(b.Arrays["x"].F32[2*r])
			if b.Arrays["y"].I32[r] != y.I32[i] {
				t.Errorf("batch row %d: label %d for row %d", r, b.Arrays["y"].I32[r], i)
			}
			got = append(got, i)
		}
	}
	if !slices.Equal(got, s.Draw(3)) {
		t.Errorf("batches visit %v, draws %v", got, s.Draw(3))
	}
	for _, bad := range []*tensor.Tensor{labelsOf(0, -2), tensor.New(tensor.I32, 2, 2), nil} {
		if _, err := NewBalancedSampler(bad, 0); err == nil {
			t.Errorf("labels %v: no error", bad)
		}
	}
}
