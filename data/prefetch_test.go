package data

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nnclang/nnc/tensor"
)

// prefetchData is a dataset of n rows with f32, i32 and byte arrays whose
// values say their row.
func prefetchData(n int) *Dataset {
	x := tensor.New(tensor.F32, n, 3)
	y := tensor.New(tensor.I32, n)
	img := &ByteArray{Shape: []int{n, 2, 2}, Data: make([]byte, n*4), DType: tensor.F32, Scale: 0.5}
	for i := range n {
		for j := range 3 {
			x.F32[i*3+j] = float32(i*10 + j)
		}
		y.I32[i] = int32(i)
		for j := range 4 {
			img.Data[i*4+j] = byte(i + j)
		}
	}
	return &Dataset{Arrays: map[string]*tensor.Tensor{"x": x, "y": y}, Bytes: map[string]*ByteArray{"img": img}}
}

// noLeak fails when, within two seconds, the goroutines do not come back to
// at most base.
func noLeak(t *testing.T, base int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > base; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPrefetchSameAsBatches(t *testing.T) {
	d := prefetchData(103)
	for _, shuffle := range []bool{false, true} {
		for _, ahead := range []int{1, 2} {
			bs, err := NewBatches(d, 16, shuffle, 7)
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewPrefetch(d, PrefetchOptions{Size: 16, Shuffle: shuffle, Seed: 7, Ahead: ahead})
			if err != nil {
				t.Fatal(err)
			}
			if p.Len() != bs.Len() || p.Size() != 16 || p.Len() != 7 {
				t.Fatalf("Len %d Size %d, Batches' %d %d", p.Len(), p.Size(), bs.Len(), bs.Size())
			}
			for e := range 3 {
				bs.Start(e)
				p.Start(context.Background(), e)
				if !slices.Equal(p.Order(), bs.Order()) {
					t.Fatalf("epoch %d: orders differ", e)
				}
				k := 0
				for bs.Next() {
					if !p.Next() {
						t.Fatalf("epoch %d: prefetch ended after %d batches: %v", e, k, p.Err())
					}
					want, got := bs.Batch(), p.Batch()
					if got.Index != want.Index || got.Size != want.Size || got.Index != k {
						t.Fatalf("batch %d: index %d size %d, want %d %d", k, got.Index, got.Size, want.Index, want.Size)
					}
					for name, w := range want.Arrays {
						g := got.Arrays[name]
						if !slices.Equal(g.Shape, w.Shape) || !slices.Equal(g.Float64s(), w.Float64s()) {
							t.Fatalf("epoch %d batch %d array %s: %v%v, want %v%v", e, k, name, g.Shape, g.Float64s(), w.Shape, w.Float64s())
						}
					}
					k++
				}
				if p.Next() || p.Err() != nil || p.Batch() != nil {
					t.Fatalf("epoch %d: a batch after the end, or %v", e, p.Err())
				}
			}
			p.Close()
		}
	}
	if _, err := NewPrefetch(d, PrefetchOptions{Size: 4, Ahead: 3}); err == nil {
		t.Fatal("ahead 3: no error")
	}
	if _, err := NewPrefetch(d, PrefetchOptions{}); err == nil {
		t.Fatal("size 0: no error")
	}
}

func TestPrefetchNoLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	d := prefetchData(50)
	p, err := NewPrefetch(d, PrefetchOptions{Size: 4, Shuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Next() || !strings.Contains(p.Err().Error(), "before Start") {
		t.Fatalf("Next before Start: %v", p.Err())
	}
	// Abandoned in the middle of an epoch, restarted, closed.
	p.Start(context.Background(), 0)
	for range 3 {
		if !p.Next() {
			t.Fatal(p.Err())
		}
	}
	p.Start(context.Background(), 1)
	p.Start(context.Background(), 2)
	if !p.Next() || p.Batch().Index != 0 {
		t.Fatal("restarted epoch does not begin at batch 0")
	}
	p.Close()
	p.Close()
	noLeak(t, base)
	if p.Next() {
		t.Fatal("Next after Close")
	}
	// A whole epoch: the goroutine ends by itself.
	p.Start(context.Background(), 3)
	n := 0
	for p.Next() {
		n++
	}
	if n != 13 || p.Err() != nil {
		t.Fatalf("%d batches, %v", n, p.Err())
	}
	noLeak(t, base)

	// Cancelled: Next ends with ctx's error, and nothing is left.
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx, 4)
	if !p.Next() {
		t.Fatal(p.Err())
	}
	cancel()
	for p.Next() {
	}
	if !errors.Is(p.Err(), context.Canceled) {
		t.Fatalf("after cancel: %v", p.Err())
	}
	noLeak(t, base)

	// Prep fails at batch 2: two batches, then the error.
	bad := errors.New("bad batch")
	q, err := NewPrefetch(d, PrefetchOptions{Size: 4, Prep: func(b *Batch, epoch int) error {
		if b.Index == 2 {
			return bad
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	q.Start(context.Background(), 0)
	n = 0
	for q.Next() {
		n++
	}
	if n != 2 || !errors.Is(q.Err(), bad) {
		t.Fatalf("%d batches before the error, err %v", n, q.Err())
	}
	noLeak(t, base)
	q.Close()
}

func TestPrefetchBounded(t *testing.T) {
	d := prefetchData(64)
	for _, ahead := range []int{1, 2} {
		var prepared atomic.Int32
		signal := make(chan int, 64)
		p, err := NewPrefetch(d, PrefetchOptions{Size: 4, Ahead: ahead, Prep: func(b *Batch, epoch int) error {
			prepared.Add(1)
			signal <- b.Index
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		p.Start(context.Background(), 0)
		// Nothing consumed yet: every slot fills, then the goroutine waits.
		for range ahead + 1 {
			<-signal
		}
		select {
		case i := <-signal:
			t.Fatalf("ahead %d: batch %d prepared with %d slots full", ahead, i, ahead+1)
		case <-time.After(100 * time.Millisecond):
		}
		// In use: batch k; prepared: at most k + ahead.
		for k := range 10 {
			if !p.Next() {
				t.Fatal(p.Err())
			}
			got := p.Batch()
			if got.Index != k {
				t.Fatalf("batch %d came as %d", k, got.Index)
			}
			if n := int(prepared.Load()); n > k+1+ahead {
				t.Fatalf("ahead %d: %d batches prepared while batch %d is in use", ahead, n, k)
			}
			// The batch in use is not overwritten while held.
			if v := got.Arrays["y"].I32[0]; v != int32(4*k) {
				t.Fatalf("batch %d holds row %d", k, v)
			}
			time.Sleep(time.Millisecond)
			if v := got.Arrays["y"].I32[0]; v != int32(4*k) {
				t.Fatalf("batch %d overwritten while in use", k)
			}
		}
		p.Close()
	}
}
