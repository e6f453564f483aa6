package nnc

import (
	"errors"
	"testing"

	"github.com/nnclang/nnc/kernels"
)

// scratchSrc is a lone matrix product, whose plan's only kernel scratch is
// the product's packed operands.
const scratchSrc = `fn f(x: f32[B, 64], w: f32[64, 10]) -> f32[B, 10] {
    return x @ w
}

fn g(x: f32[M, K], w: f32[K, N]) -> f32 {
    return sum(x @ w)
}
`

// TestSummaryScratch: check reports the kernel scratch of an entry's plan,
// the packing buffers of x @ w as kernels.MatmulScratch computes them for
// [1000, 64] @ [64, 10] in f32, next to the peak (the result, f32[1000, 10]:
// 40,000 bytes), and says that running would be refused for a limit that
// holds the values but not the values and the scratch.
func TestSummaryScratch(t *testing.T) {
	p, err := Compile("m.nn", []byte(scratchSrc))
	if err != nil {
		t.Fatal(err)
	}
	const peak = 1000 * 10 * 4
	scratch := kernels.MatmulScratch[float32]([]int{1000, 64}, []int{64, 10}, false, false)
	if scratch <= 0 {
		t.Fatalf("MatmulScratch = %d, want a positive size", scratch)
	}
	for _, c := range []struct {
		limit   int64
		refused bool
	}{
		{peak, true},               // the values alone fit
		{peak + scratch - 1, true}, // one byte short of values and scratch
		{peak + scratch, false},
	} {
		setMemoryLimit(t, c.limit)
		s, err := p.Summary(map[string]int{"B": 1000})
		if err != nil {
			t.Fatal(err)
		}
		e := s.Entries[0]
		if e.Name != "f" || e.PeakBytes != peak || e.ScratchBytes != scratch {
			t.Errorf("limit %d: %s: peak %d, scratch %d; want %d and %d", c.limit, e.Name, e.PeakBytes, e.ScratchBytes, peak, scratch)
		}
		want := int64(0)
		if c.refused {
			want = c.limit
		}
		if e.MemoryLimit != want {
			t.Errorf("limit %d (values %d + scratch %d): MemoryLimit %d, want %d", c.limit, peak, scratch, e.MemoryLimit, want)
		}
	}
}

// TestGradCheckScratch: a gradient check's memory counts the scratch of its
// plan's kernels: for sum(x @ w) with x f64[30, 50] and w f64[50, 70], the
// packing buffers of the product (30×50 @ 50×70), of x's gradient (g @ wᵀ:
// 30×70 @ (50×70)ᵀ) and of w's (xᵀ @ g: (30×50)ᵀ @ 30×70), as
// kernels.MatmulScratch computes them, with the packed operands, which
// the products borrow from the plan's workspace in turn, counted once (the
// largest product's, kernels.MatmulWorkspace). A limit that holds the values but
// not the scratch is refused; one that holds both lets the check run.
func TestGradCheckScratch(t *testing.T) {
	p, err := Compile("m.nn", []byte(scratchSrc))
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("g")
	if err != nil {
		t.Fatal(err)
	}
	const m, k, n = 30, 50, 70
	// Each product's own buffers, and the packed operands of the largest,
	// which the three borrow in turn from the plan's workspace.
	var scratch, work int64
	for _, mm := range []struct {
		x, w   []int
		tx, tw bool
	}{{[]int{m, k}, []int{k, n}, false, false}, {[]int{m, n}, []int{k, n}, false, true}, {[]int{m, k}, []int{m, n}, true, false}} {
		ws := kernels.MatmulWorkspace[float64](mm.x, mm.w, mm.tx, mm.tw)
		scratch += kernels.MatmulScratch[float64](mm.x, mm.w, mm.tx, mm.tw) - 8*ws
		work = max(work, 8*ws)
	}
	scratch += work
	opts := GradCheckOptions{Seed: 1, Shapes: map[string]int{"M": m, "K": k, "N": n}}
	check := func(limit int64) (*MemoryError, error) {
		setMemoryLimit(t, limit)
		_, err := f.GradCheck(opts)
		var me *MemoryError
		errors.As(err, &me)
		return me, err
	}
	me, err := check(100)
	if me == nil {
		t.Fatalf("limit 100 B: %v, want a MemoryError", err)
	}
	// The values: at least the drawn inputs, 30·50 + 50·70 f64.
	if me.Scratch != scratch || me.Values < (m*k+k*n)*8 || me.Need != me.Values+me.Scratch || me.Limit != 100 {
		t.Fatalf("limit 100 B: %+v; want scratch %d, values at least %d, need their sum", me, scratch, (m*k+k*n)*8)
	}
	values := me.Values
	for _, limit := range []int64{values, values + scratch - 1} {
		if me, err := check(limit); me == nil || me.Need != values+scratch {
			t.Errorf("limit %d (values %d, scratch %d): %v, want the check refused", limit, values, scratch, err)
		}
	}
	if _, err := check(values + scratch); err != nil {
		t.Errorf("limit %d = values + scratch: %v", values+scratch, err)
	}
}
