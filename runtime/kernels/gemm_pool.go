package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool: long-lived goroutines that run parts of a parallel kernel,
// so that a call starts no goroutine and allocates nothing. A kernel splits
// its work into tasks that it hands out itself (an atomic counter in its
// prepared plan); the pool only lends it goroutines.

// poolRunner is a prepared kernel that can run in parallel: work is called
// once for each participant id in [0, n), id 0 on the calling goroutine; it
// takes tasks until none is left.
type poolRunner interface {
	work(id int)
}

type poolJob struct {
	r  poolRunner
	id int
	wg *sync.WaitGroup
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

func poolLoop(jobs <-chan poolJob) {
	for j := range jobs {
		j.r.work(j.id)
		j.wg.Done()
	}
}

// poolRun runs r.work(id) for id in [0, n) on n goroutines, the caller's
// among them, and returns when all have returned. wg belongs to the caller's
// prepared plan (it is reused from call to call, so nothing is allocated).
func poolRun(r poolRunner, n int, wg *sync.WaitGroup) {
	if n > 1 {
		poolReserve(n)
		wg.Add(n - 1)
		for id := 1; id < n; id++ {
			workerPool.jobs <- poolJob{r, id, wg}
		}
	}
	r.work(0)
	if n > 1 {
		wg.Wait()
	}
}
