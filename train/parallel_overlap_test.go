package train

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nnclang/nnc/dist"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// TestOverlapBuckets: the accumulators go into buckets from the last
// (at least bucketElems elements each), every rank's hook calls in its own
// order release them, and the buffer ends as the rank-order sums; a rank
// with an empty shard releases every bucket with zeros.
func TestOverlapBuckets(t *testing.T) {
	defer func(n int) { bucketElems = n }(bucketElems)
	bucketElems = 4
	b := ops.NewBuilder()
	sizes := map[string]int{"a/accum.grad": 5, "b/accum.grad": 3, "c/accum.grad": 4}
	store := runtime.NewStore()
	for _, name := range []string{"a/accum.grad", "b/accum.grad", "c/accum.grad"} {
		typ := ops.Type{DType: ops.F32, Shape: ops.ShapeOf(sizes[name])}
		s := b.State(name, typ, ops.Attrs{"init": "zeros"})
		b.Update(s, b.Add(s, s))
		store.Set(name, tensor.New(tensor.F32, sizes[name]))
	}
	comms, err := dist.NewLocal(3)
	if err != nil {
		t.Fatal(err)
	}
	// Rank r's accumulator k holds r+1 + 10k + i/8 at element i; rank 2's
	// shard is empty: the sums are 3 + 20k + 2i/8 (exact in f32).
	want := make([]float32, 12)
	outs := make([][]float32, 3)
	var wg sync.WaitGroup
	for r, c := range comms {
		buf := make([]float32, 12)
		o := newOverlap(c, b.G, store, buf)
		if r == 0 && (len(o.buckets) != 2 || o.buckets[0] != [2]int{8, 12} || o.buckets[1] != [2]int{0, 8}) {
			t.Fatalf("buckets %v, want [[8 12] [0 8]] (c alone, then b and a)", o.buckets)
		}
		wg.Go(func() {
			defer c.Close()
			o.start()
			clear(buf)
			if r == 2 {
				o.allReady()
			} else {
				order := []int{0, 1, 2}
				if r == 1 {
					order = []int{2, 0, 1}
				}
				for _, k := range order {
					v := tensor.New(tensor.F32, sizes[[]string{"a/accum.grad", "b/accum.grad", "c/accum.grad"}[k]])
					for i := range v.F32 {
						v.F32[i] = float32(r+1) + 10*float32(k) + float32(i)/8
					}
					o.hook(k, v)
				}
			}
			if _, err := o.wait(time.Now()); err != nil {
				t.Errorf("rank %d: %v", r, err)
			}
			outs[r] = buf
		})
	}
	wg.Wait()
	at := 0
	for k, n := range []int{5, 3, 4} {
		for i := range n {
			want[at] = 3 + 20*float32(k) + 2*float32(i)/8
			at++
		}
	}
	for r, got := range outs {
		if !slices.Equal(got, want) {
			t.Errorf("rank %d: %v, want %v", r, got, want)
		}
	}
}
