package kernels

import (
	"sync/atomic"
	"testing"
	"time"
)

// panicRunner is a poolRunner whose helpers panic; the caller's share waits
// a little so that a helper has started before it finishes.
type panicRunner struct {
	helperRan atomic.Bool
	done      atomic.Int32
}

func (r *panicRunner) work(id int) {
	if id != 0 {
		r.helperRan.Store(true)
		panic("helper broke")
	}
	time.Sleep(2 * time.Millisecond)
	r.done.Add(1)
}

// TestPoolRunPanicReachesCaller: a participant's panic on a pool goroutine
// (which would end the process) is raised again on poolRun's caller, after
// the caller's own share has finished; every user of the pool (gemm and the
// parallel row kernels) goes through poolRun.
func TestPoolRunPanicReachesCaller(t *testing.T) {
	withProcs(2, func() {
		s := newPoolSync(2)
		for range 50 {
			r := &panicRunner{}
			got := func() (v any) {
				defer func() { v = recover() }()
				poolRun(r, 2, &s)
				return nil
			}()
			if r.done.Load() != 1 {
				t.Fatalf("the caller's share ran %d times", r.done.Load())
			}
			if !r.helperRan.Load() {
				if got != nil {
					t.Fatalf("no helper ran, but poolRun panicked with %v", got)
				}
				continue
			}
			if got != "helper broke" {
				t.Fatalf("poolRun gave %v after a helper panicked", got)
			}
			return
		}
		t.Fatal("no pool goroutine started in 50 runs")
	})
}
