package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: long-lived goroutines that run parts of a parallel kernel,
// so that a call starts no goroutine and allocates nothing. A kernel splits
// its work into tasks that its participants deal among themselves (pool_tasks.go);
// the pool only lends it goroutines.
//
// Each pool goroutine has a mailbox of its own, one cache line that the
// caller writes a job into and the goroutine polls while it spins. A hand-off
// then moves that line and little else between the cores: on a guest whose
// two cores exchange a line in about 450 ns (an AMD EPYC of family 26,
// BenchmarkCoreRoundTrip), the shared job queue, WaitGroup and task counter
// that this replaced moved a dozen lines one after another, about 5 µs a
// parallel call.
//
// Participant id k always goes to pool goroutine k-1, so that consecutive
// kernels give the same goroutine (and, while the OS keeps it there, the same
// core) the same part of the work.
//
// A helper that has not started by the time the caller has finished its own
// share (every task taken) is cancelled rather than waited for: waking a
// parked goroutine can take longer than a small kernel, and a caller that is
// itself a pool worker (nested parallelism), or one that finds a goroutine
// busy with another caller's kernel, runs the tasks itself.

// poolRunner is a prepared kernel that can run in parallel: work is called
// once for each participant id in [0, n) that starts, id 0 on the calling
// goroutine; it takes tasks until none is left, so that any subset of the
// participants completes the kernel.
type poolRunner interface {
	work(id int)
}

// poolSync is a prepared kernel's share of the pool, reused from call to
// call: the dealer of its tasks, the mailboxes it posted to, and a
// participant's panic.
type poolSync struct {
	tasks    taskDealer
	posted   []*poolWorker // per participant id, during poolRun
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
func newPoolSync(n int) poolSync {
	return poolSync{tasks: newTaskDealer(n), posted: make([]*poolWorker, n)}
}

// planPoolSync is newPoolSync for a prepared product: room for one
// participant when it runs serially, for par otherwise.
func planPoolSync(serial bool, par int) poolSync {
	if serial {
		return newPoolSync(1)
	}
	return newPoolSync(par)
}

// Mailbox states (poolWorker.state).
const (
	workerIdle      = iota // free to claim
	workerClaimed          // a caller is writing its job
	workerPending          // the job is posted, not started
	workerStarted          // the goroutine runs it
	workerDone             // it has finished; the caller makes the mailbox idle
	workerCancelled        // the caller finished first; the caller makes it idle
)

// poolWorker is one pool goroutine's mailbox, a cache line of its own
// (128 bytes, so that the adjacent-line prefetcher does not pair it with
// another).
type poolWorker struct {
	state  atomic.Int32
	parked atomic.Int32 // 1 while the goroutine sleeps on wake
	waiter atomic.Int32 // 1 while the caller sleeps on done
	r      poolRunner
	id     int
	s      *poolSync
	wake   chan struct{} // a token for the parked goroutine
	done   chan struct{} // a token for the waiting caller
	_      [64]byte
}

var workerPool struct {
	mu      sync.Mutex
	workers atomic.Pointer[[]*poolWorker]
}

// poolWorkers returns how many participants a parallel kernel may use now:
// GOMAXPROCS.
func poolWorkers() int { return runtime.GOMAXPROCS(0) }

// poolReserve makes sure n-1 pool goroutines exist (the caller is the n-th
// participant) and returns them. Only growing the pool allocates; prepared
// kernels call it when they are planned.
func poolReserve(n int) []*poolWorker {
	if p := workerPool.workers.Load(); p != nil && len(*p) >= n-1 {
		return *p
	}
	workerPool.mu.Lock()
	defer workerPool.mu.Unlock()
	var ws []*poolWorker
	if p := workerPool.workers.Load(); p != nil {
		ws = *p
	}
	if len(ws) >= n-1 {
		return ws
	}
	grown := append([]*poolWorker(nil), ws...)
	for len(grown) < n-1 {
		w := &poolWorker{wake: make(chan struct{}, 1), done: make(chan struct{}, 1)}
		go w.loop()
		grown = append(grown, w)
	}
	workerPool.workers.Store(&grown)
	return grown
}

// poolSpin is how long a helper that has just run a job keeps polling its
// mailbox before it parks. Waking a parked goroutine takes the runtime an
// OS thread's wake-up (72 µs at the median on the 2-vCPU guest of
// BENCHMARKS.md, session 12: most of a 0.5 ms product), while the parallel
// kernels of a training step come one after another with gaps of tens of
// microseconds; so a helper that has worked stays awake that long.
const poolSpin = 500 * time.Microsecond

// loop runs the jobs posted to w. After a job it polls the mailbox for up
// to poolSpin (with more than one P, so that the caller keeps running),
// yielding the P now and then to any other goroutine that can run; then it
// parks until a caller posts again.
func (w *poolWorker) loop() {
	var last time.Time // when the last job ended, if the goroutine is to spin
	for {
		if w.state.Load() == workerPending && w.state.CompareAndSwap(workerPending, workerStarted) {
			guardedWork(w.r, w.id, w.s)
			w.state.Store(workerDone)
			if w.waiter.Load() == 1 {
				select {
				case w.done <- struct{}{}:
				default: // a token is there already
				}
			}
			last = time.Time{}
			if runtime.GOMAXPROCS(0) > 1 {
				last = time.Now()
			}
			continue
		}
		if !last.IsZero() && time.Since(last) < poolSpin {
			for i := 0; i < 256 && w.state.Load() != workerPending; i++ {
			}
			if w.state.Load() != workerPending {
				runtime.Gosched()
			}
			continue
		}
		last = time.Time{}
		w.parked.Store(1)
		if w.state.Load() != workerPending {
			<-w.wake // a token may be stale: the loop looks again
		}
		w.parked.Store(0)
	}
}

// post claims w and gives it participant id of r; it reports false when w
// is busy with another kernel.
func (w *poolWorker) post(r poolRunner, id int, s *poolSync) bool {
	if !w.state.CompareAndSwap(workerIdle, workerClaimed) {
		return false
	}
	w.r, w.id, w.s = r, id, s
	w.state.Store(workerPending)
	if w.parked.Load() == 1 {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// poolWaitSpin is how long the caller of poolRun polls for a started
// helper to finish before it parks: a parked goroutine is woken by an OS
// thread's wake-up (tens of microseconds here), while the helpers of a
// balanced kernel finish within microseconds of the caller.
const poolWaitSpin = 200 * time.Microsecond

// finish ends w's job for the caller: cancels it if it has not started,
// else waits until it is done (polling for up to poolWaitSpin, then
// parking); then makes the mailbox idle.
func (w *poolWorker) finish() {
	if !w.state.CompareAndSwap(workerPending, workerCancelled) && w.state.Load() != workerDone {
		start := time.Now()
		for w.state.Load() != workerDone && time.Since(start) < poolWaitSpin {
		}
		for w.state.Load() != workerDone {
			w.waiter.Store(1)
			if w.state.Load() == workerDone {
				break
			}
			<-w.done // a token may be stale: the loop looks again
		}
		w.waiter.Store(0)
	}
	w.r, w.s = nil, nil
	w.state.Store(workerIdle)
}

// poolRun runs r.work(0) on the caller and r.work(id) for the ids in [1, n)
// whose helpers start before the caller is done, then waits for those. A
// participant's panic is raised again on the caller after the wait. n must
// not exceed the participants s has room for.
func poolRun(r poolRunner, n int, s *poolSync) {
	if n > 1 {
		ws := poolReserve(n)
		for id := 1; id < n; id++ {
			if w := ws[id-1]; w.post(r, id, s) {
				s.posted[id] = w
			}
		}
	}
	guardedWork(r, 0, s)
	for id := 1; id < n; id++ {
		if w := s.posted[id]; w != nil {
			s.posted[id] = nil
			w.finish()
		}
	}
	if tp := s.panicked.Swap(nil); tp != nil {
		panic(tp.v)
	}
}
