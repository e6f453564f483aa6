package kernels

import "runtime"

// Chunks runs a function over the range [0, n) cut into a fixed partition
// of chunks that start at multiples of an alignment, on the worker pool
// when the work pays (parallel.go). The partition depends on n, the
// alignment and the work alone, never on GOMAXPROCS, so a caller whose
// chunks compute each element the same way wherever an aligned chunk
// starts gets bitwise the same results however many goroutines run them.
// A Chunks must not be run by two goroutines at once.
type Chunks struct {
	par    *parFor // nil: one chunk, run on the caller
	n, per int
	fn     func(worker, lo, hi int)
}

// NewChunks prepares the partition of n elements of work units each
// (about a nanosecond, parMinWork's unit) into chunks of whole multiples of
// align elements; Run calls fn(worker, lo, hi) for each chunk, worker in
// [0, Participants()) telling the goroutines apart for the state each
// needs of its own.
func NewChunks(n, align, work int, fn func(worker, lo, hi int)) *Chunks {
	c := &Chunks{n: n, per: max(n, 1), fn: fn}
	if tasks, per := chunkTasks(n, align, work); tasks > 1 {
		c.per = per
		c.par = newParFor(tasks, c.task)
	}
	return c
}

// chunkTasks is splitTasks with chunks of whole multiples of align.
func chunkTasks(n, align, work int) (tasks, per int) {
	tasks, per = splitTasks(n, work)
	if tasks > 1 {
		align = max(align, 1)
		per = (per + align - 1) / align * align
		tasks = (n + per - 1) / per
	}
	return tasks, per
}

// ChunksWorkers is the Participants of NewChunks(n, align, work, ...).
func ChunksWorkers(n, align, work int) int {
	tasks, _ := chunkTasks(n, align, work)
	if tasks < 2 {
		return 1
	}
	return min(max(runtime.GOMAXPROCS(0), runtime.NumCPU()), tasks)
}

// Participants is the number of goroutines the chunks may run on.
func (c *Chunks) Participants() int {
	if c.par == nil {
		return 1
	}
	return min(c.par.participants(), c.par.tasks)
}

// Run calls fn for every chunk and returns when all are done.
func (c *Chunks) Run() {
	if c.par == nil {
		if c.n > 0 {
			c.fn(0, 0, c.n)
		}
		return
	}
	c.par.run()
}

func (c *Chunks) task(worker, t int) {
	lo := t * c.per
	c.fn(worker, lo, min(lo+c.per, c.n))
}
