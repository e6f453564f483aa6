package runtime

import (
	"slices"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// TestUpdateHook: a run calls the hook once per update, with the value the
// update then writes, before the updates are applied (the store still
// holds the old values), and not at all once the hook is removed.
func TestUpdateHook(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(3)})
	a := b.State("a", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(3)}, ops.Attrs{"init": "zeros"})
	c := b.State("c", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(3)}, ops.Attrs{"init": "zeros"})
	b.Update(a, b.Add(a, b.Mul(x, x)))
	b.Update(c, b.Add(c, x))
	b.Output("y", b.Mul(x, b.Scalar(ops.F32, 2)))
	store := NewStore()
	if err := InitParams(store, b.G, 0); err != nil {
		t.Fatal(err)
	}
	s := NewSession(b.G, store)
	var got []int
	vals := map[int][]float32{}
	s.SetUpdateHook(func(i int, v *tensor.Tensor) {
		got = append(got, i)
		vals[i] = slices.Clone(v.F32)
		if store.Get("a").F32[0] != 0 || store.Get("c").F32[0] != 0 {
			t.Errorf("update %d: the store changed before the hook", i)
		}
	})
	in := &tensor.Tensor{DType: tensor.F32, Shape: []int{3}, F32: []float32{1, 2, 3}}
	if _, err := s.Run(0, in); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("the hook saw updates %v, want [0 1] once each", got)
	}
	if !slices.Equal(vals[0], []float32{1, 4, 9}) || !slices.Equal(vals[1], []float32{1, 2, 3}) {
		t.Errorf("the hook's values %v, want [1 4 9] and [1 2 3]", vals)
	}
	if !slices.Equal(store.Get("a").F32, vals[0]) || !slices.Equal(store.Get("c").F32, vals[1]) {
		t.Errorf("the store holds %v and %v after the run, the hook saw %v", store.Get("a").F32, store.Get("c").F32, vals)
	}
	s.SetUpdateHook(nil)
	got = nil
	if _, err := s.Run(0, in); err != nil {
		t.Fatal(err)
	}
	if got != nil {
		t.Errorf("a removed hook was called for %v", got)
	}
}
