package kernels

import (
	"runtime"
	"sync/atomic"
)

// Parallel kernels split their work into a fixed number of tasks that
// depends on the shape alone (never on GOMAXPROCS) and run them on the
// worker pool of gemm_pool.go. A task writes its own part of the result, or
// its own partial sum, which the calling goroutine then combines in task
// order, so the result is bitwise the same however many goroutines run the
// tasks and whichever takes which.
//
// Tasks do not nest: while one parallel kernel runs on the pool, another
// (from a second session on another goroutine) runs its tasks serially on
// its own goroutine, and a convolution runs its images in parallel only
// when every matrix product inside them is serial, so that the cores are
// not oversubscribed.

// parMinWork is the least work (in element visits, roughly ns on one core)
// worth splitting: waking a pool goroutine and waiting for it costs about
// 9 µs on this machine when the pool goroutine has parked
// (BenchmarkParallelOverheadCold against BenchmarkSerialWork), 0.3 µs when
// it is still spinning (BenchmarkParallelOverhead).
const parMinWork = 64 * 1024

// parMaxTasks bounds the tasks of one kernel call: enough to balance two to
// sixteen participants, few enough that per-task partial sums stay small.
const parMaxTasks = 16

// parFor runs fn(worker, task) for every task of a fixed partition. fn is set
// when the kernel is prepared and reads the per-call operands from the
// kernel's prepared state, so that a call allocates nothing.
type parFor struct {
	fn     func(worker, task int)
	tasks  int
	maxPar int // participants the kernel has scratch for
	sync   poolSync
}

// parBusy is set while some parallel kernel's tasks are on the pool.
var parBusy atomic.Bool

// newParFor prepares a partition of tasks tasks, run by at most
// max(GOMAXPROCS, NumCPU) participants (as many scratch sets as the caller
// must prepare: see participants).
func newParFor(tasks int, fn func(worker, task int)) *parFor {
	p := &parFor{fn: fn, tasks: tasks, maxPar: max(runtime.GOMAXPROCS(0), runtime.NumCPU())}
	p.sync = newPoolSync(p.maxPar)
	poolReserve(p.maxPar)
	return p
}

// participants is how many scratch sets fn may need: worker is in [0, participants).
func (p *parFor) participants() int { return p.maxPar }

// work takes tasks until none is left. A task that panics (a bug in a
// kernel) ends this participant's share; poolRun panics again with the value
// on the caller's goroutine once all have finished.
func (p *parFor) work(id int) {
	for t := p.sync.tasks.take(id); t >= 0; t = p.sync.tasks.take(id) {
		p.fn(id, t)
	}
}

// run calls fn for every task and returns when all are done.
func (p *parFor) run() {
	par := min(poolWorkers(), p.tasks, p.maxPar)
	if par > 1 && parBusy.CompareAndSwap(false, true) {
		defer parBusy.Store(false)
		p.sync.tasks.begin(0, p.tasks, par)
		poolRun(p, par, &p.sync)
		return
	}
	for t := 0; t < p.tasks; t++ {
		p.fn(0, t)
	}
}

// splitTasks splits n items of work each into at most parMaxTasks tasks of
// equal size (the last may be shorter), or into one task when the whole is
// less than parMinWork: it returns the number of tasks and the items per
// task.
func splitTasks(n, work int) (tasks, per int) { return splitTasksFrom(n, work, parMinWork) }

// splitTasksFrom is splitTasks with least, not parMinWork, the least work
// worth splitting and the work of a task. An odd count of two or more is
// made even where the items allow: three equal tasks on two cores take two
// tasks' time, a third more than four tasks of a quarter.
func splitTasksFrom(n, work, least int) (tasks, per int) {
	if n <= 1 || n*work < least {
		return 1, max(n, 1)
	}
	tasks = min(n, parMaxTasks, max(2, n*work/least))
	if tasks%2 == 1 && tasks < min(n, parMaxTasks) {
		tasks++
	}
	per = (n + tasks - 1) / tasks
	return (n + per - 1) / per, per
}

// Tasks runs independent tasks on the worker pool for a caller outside
// this package that splits its work itself (the runtime's row regions):
// each task must compute the same results whichever goroutine runs it and
// whatever runs beside it. Run allocates nothing. A Tasks must not be run
// by two goroutines at once.
type Tasks struct{ p *parFor }

// NewTasks prepares fn(task) as tasks to run; fn is given each task once
// per Run.
func NewTasks(fn func(task int)) *Tasks {
	return &Tasks{p: newParFor(1, func(_, t int) { fn(t) })}
}

// Run runs tasks 0 to n-1 and returns when all are done: on up to
// GOMAXPROCS goroutines when the pool is free, else one after another on
// the caller. A task's panic is raised again on the caller.
func (t *Tasks) Run(n int) {
	t.p.tasks = n
	t.p.run()
}
