package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
)

// dealAll has par goroutines take tasks from d until none is left and
// returns how many times each task of [0, hi) was taken.
func dealAll(d *taskDealer, hi, par int) []int32 {
	counts := make([]atomic.Int32, hi)
	var wg sync.WaitGroup
	for id := range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := d.take(id); t >= 0; t = d.take(id) {
				counts[t].Add(1)
			}
		}()
	}
	wg.Wait()
	out := make([]int32, hi)
	for i := range counts {
		out[i] = counts[i].Load()
	}
	return out
}

// TestTaskDealerOnce: every task of a call is dealt exactly once, whether
// all participants take tasks, some or only one, across calls of
// different ranges on the same dealer (a position left from an earlier
// call must not leak into the next).
func TestTaskDealerOnce(t *testing.T) {
	d := newTaskDealer(4)
	for _, c := range []struct{ lo, hi, par, takers int }{
		{0, 10, 4, 4}, {0, 10, 4, 1}, {3, 5, 2, 2}, {0, 1, 4, 4}, {0, 0, 2, 2},
		{7, 100, 3, 3}, {0, 4, 4, 2}, {0, 16, 2, 2}, {5, 6, 1, 1}, {0, 1000, 4, 4},
	} {
		d.begin(c.lo, c.hi, c.par)
		got := dealAll(&d, c.hi, c.takers)
		for task, n := range got {
			want := int32(0)
			if task >= c.lo {
				want = 1
			}
			if n != want {
				t.Fatalf("tasks [%d, %d) for %d participants, %d taking: task %d dealt %d times", c.lo, c.hi, c.par, c.takers, task, n)
			}
		}
	}
}

// TestTaskDealerOwnRunFirst: a participant takes its own run, in order,
// before any other's.
func TestTaskDealerOwnRunFirst(t *testing.T) {
	d := newTaskDealer(2)
	d.begin(0, 8, 2)
	for want := 4; want < 8; want++ {
		if got := d.take(1); got != want {
			t.Fatalf("participant 1 took %d, want %d", got, want)
		}
	}
	for want := 0; want < 4; want++ {
		if got := d.take(1); got != want {
			t.Fatalf("participant 1, its run done, took %d, want %d", got, want)
		}
	}
	if got := d.take(0); got != -1 {
		t.Fatalf("participant 0 took %d after every task was dealt", got)
	}
}

// TestTaskDealerEpochWrap: when the call counter wraps, it clears every
// position, so that one left by a call long before (here, run 1 taken
// whole, then billions of calls that never touched it) cannot pass for the
// current call's when the counter comes round to its tag again.
func TestTaskDealerEpochWrap(t *testing.T) {
	d := newTaskDealer(2)
	d.epoch = 1<<32 - 2
	d.begin(0, 6, 2) // the last tag before the wrap
	for range 3 {
		d.take(1) // run 1 taken whole
	}
	d.begin(0, 6, 2)    // wraps
	d.epoch = 1<<32 - 2 // the calls after the wrap, none touching run 1
	d.begin(0, 6, 2)    // the same tag as the first call's
	got := dealAll(&d, 6, 2)
	for task, n := range got {
		if n != 1 {
			t.Fatalf("after the wrap task %d dealt %d times", task, n)
		}
	}
}

// countRunner counts each task of a parallel call through a taskDealer.
type countRunner struct {
	s      poolSync
	counts []atomic.Int32
}

func (r *countRunner) work(id int) {
	for t := r.s.tasks.take(id); t >= 0; t = r.s.tasks.take(id) {
		r.counts[t].Add(1)
	}
}

// TestPoolRunConcurrentCallers: kernels run by several goroutines at once
// share the pool's goroutines (a caller that finds one busy runs its
// tasks itself); every task of every call runs exactly once.
func TestPoolRunConcurrentCallers(t *testing.T) {
	withProcs(4, func() {
		var wg sync.WaitGroup
		for g := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				const tasks = 37
				r := &countRunner{s: newPoolSync(4), counts: make([]atomic.Int32, tasks)}
				for call := range 300 {
					par := 1 + (g+call)%4
					r.s.tasks.begin(0, tasks, par)
					poolRun(r, par, &r.s)
					for i := range r.counts {
						if n := r.counts[i].Swap(0); n != 1 {
							t.Errorf("caller %d, call %d: task %d ran %d times", g, call, i, n)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
	})
}
