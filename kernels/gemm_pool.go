package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: long-lived goroutines that run parts of a parallel kernel,
// so that a call starts no goroutine and allocates nothing. A kernel splits
// its work into tasks that it hands out itself (an atomic counter in its
// prepared plan); the pool only lends it goroutines.
//
// A helper that has not started by the time the caller has finished its own
// share (every task taken) is cancelled rather than waited for: waking a
// parked goroutine can take longer than a small kernel, and a caller that is
// itself a pool worker (nested parallelism) never waits on a job that no
// free worker may ever pick up.

// poolRunner is a prepared kernel that can run in parallel: work is called
// once for each participant id in [0, n) that starts, id 0 on the calling
// goroutine; it takes tasks until none is left, so that any subset of the
// participants completes the kernel.
type poolRunner interface {
	work(id int)
}

// Participant states in poolSync.state.
const (
	poolPending   = iota // handed to the pool, not started
	poolStarted          // a worker runs it
	poolCancelled        // the caller finished first
)

// poolSync is where a prepared kernel waits for its helpers; it belongs to
// the kernel's plan and is reused from call to call.
type poolSync struct {
	state    []atomic.Int32 // per participant id
	wg       sync.WaitGroup // the started helpers
	left     atomic.Int32   // helpers not yet done or cancelled (wg's count, readable)
	panicked atomic.Pointer[taskPanic]
}

// taskPanic carries a participant's panic value to the caller of poolRun.
type taskPanic struct{ v any }

// guardedWork runs r.work(id) and records its panic (a bug in a kernel) in
// s instead of letting it unwind. This is the pool's one recover and it must
// stay: on a pool goroutine a panic would end the process, out of reach of
// the recover of nnc's API boundary, and on the caller it would return while
// pool goroutines still write the kernel's buffers. poolRun panics again
// with the value on the caller once every participant has finished.
func guardedWork(r poolRunner, id int, s *poolSync) {
	defer func() {
		if v := recover(); v != nil {
			s.panicked.CompareAndSwap(nil, &taskPanic{v})
		}
	}()
	r.work(id)
}

// newPoolSync makes room for n participants.
func newPoolSync(n int) poolSync { return poolSync{state: make([]atomic.Int32, n)} }

type poolJob struct {
	r  poolRunner
	id int
	s  *poolSync
}

var workerPool struct {
	mu      sync.Mutex
	started atomic.Int32
	jobs    chan poolJob
}

// poolWorkers returns how many participants a parallel kernel may use now:
// GOMAXPROCS.
func poolWorkers() int { return runtime.GOMAXPROCS(0) }

// poolReserve makes sure n-1 pool goroutines exist (the caller is the n-th
// participant). Only growing the pool allocates; prepared kernels call it
// when they are planned.
func poolReserve(n int) {
	if int(workerPool.started.Load()) >= n-1 {
		return
	}
	workerPool.mu.Lock()
	defer workerPool.mu.Unlock()
	if workerPool.jobs == nil {
		workerPool.jobs = make(chan poolJob, 256)
	}
	for int(workerPool.started.Load()) < n-1 {
		go poolLoop(workerPool.jobs)
		workerPool.started.Add(1)
	}
}

// poolLoop runs the jobs that are still pending when it receives them. A
// job cancelled by its caller may be received during a later call of the
// same plan, whose state it then finds pending again: it runs it for that
// call, and the later job for the same id finds it started and is dropped,
// so each id runs at most once per call either way.
func poolLoop(jobs <-chan poolJob) {
	spin := false // whether the last job was this goroutine's
	for {
		j, ok := poolNext(jobs, spin)
		if !ok {
			return
		}
		spin = j.s.state[j.id].CompareAndSwap(poolPending, poolStarted)
		if spin {
			guardedWork(j.r, j.id, j.s)
			j.s.done()
		}
	}
}

// poolSpin is how long a helper that has just run a job keeps looking for
// the next before it parks. Waking a parked goroutine takes the runtime an
// OS thread's wake-up (72 µs at the median on the 2-vCPU guest of
// BENCHMARKS.md, session 12: most of a 0.5 ms product), while the parallel
// kernels of a training step come one after another with gaps of tens of
// microseconds; so a helper that has worked stays awake that long.
const poolSpin = 500 * time.Microsecond

// poolNext receives the next job: at once if one is queued; with spin (and
// more than one P, so that the caller keeps running) by polling the queue
// for up to poolSpin, yielding the P between polls to any other goroutine
// that can run; then by parking on the channel.
func poolNext(jobs <-chan poolJob, spin bool) (poolJob, bool) {
	select {
	case j, ok := <-jobs:
		return j, ok
	default:
	}
	if spin && runtime.GOMAXPROCS(0) > 1 {
		start := time.Now()
		for time.Since(start) < poolSpin {
			for range 64 {
				select {
				case j, ok := <-jobs:
					return j, ok
				default:
				}
			}
			runtime.Gosched()
		}
	}
	j, ok := <-jobs
	return j, ok
}

// poolRun runs r.work(0) on the caller and r.work(id) for the ids in [1, n)
// whose helpers start before the caller is done, then waits for those. A
// participant's panic is raised again on the caller after the wait. n must
// not exceed the participants s has room for.
func poolRun(r poolRunner, n int, s *poolSync) {
	if n > 1 {
		poolReserve(n)
		// Add before the states are pending: a stale job may start at once.
		s.wg.Add(n - 1)
		s.left.Store(int32(n - 1))
		for id := 1; id < n; id++ {
			s.state[id].Store(poolPending)
		}
		for id := 1; id < n; id++ {
			workerPool.jobs <- poolJob{r, id, s}
		}
	}
	guardedWork(r, 0, s)
	for id := 1; id < n; id++ {
		if s.state[id].CompareAndSwap(poolPending, poolCancelled) {
			s.done()
		}
	}
	if n > 1 {
		s.wait()
	}
	if tp := s.panicked.Swap(nil); tp != nil {
		panic(tp.v)
	}
}

// done marks one helper finished (or cancelled).
func (s *poolSync) done() {
	s.left.Add(-1)
	s.wg.Done()
}

// poolWaitSpin is how long the caller of poolRun polls for its started
// helpers to finish before it parks on the WaitGroup: a parked goroutine
// is woken by an OS thread's wake-up (tens of microseconds here), while
// the helpers of a balanced kernel finish within microseconds of the
// caller.
const poolWaitSpin = 200 * time.Microsecond

// wait returns once every helper of the current run is done or cancelled:
// by polling for up to poolWaitSpin, then by parking.
func (s *poolSync) wait() {
	if s.left.Load() > 0 {
		start := time.Now()
		for s.left.Load() > 0 && time.Since(start) < poolWaitSpin {
		}
	}
	s.wg.Wait()
}
