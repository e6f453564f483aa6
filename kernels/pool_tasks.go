package kernels

import "sync/atomic"

// taskDealer deals a parallel kernel's tasks [lo, hi) to its participants:
// participant j owns the j-th of par equal runs of them and takes its own
// tasks first, in order, then those left in the other runs. Each run's
// position is a counter on a cache line of its own, so a participant
// taking its own tasks touches no line another core holds, where one
// counter shared by all moved between the cores at every task (about
// 450 ns a move on the guest of gemm_pool.go). Participant j also gets the
// same part of the work from kernel to kernel, so what it wrote in one
// kernel is often what it reads in the next. Which participant runs a task
// never changes a result (see parallel.go).
type taskDealer struct {
	runs   []dealRun
	epoch  uint32 // of the current call; 0 is never current
	lo, hi int
	par    int
}

// dealRun is a run's next task, tagged with the call it belongs to: a
// position from an earlier call reads as the start of the run.
type dealRun struct {
	v atomic.Uint64 // epoch<<32 | next task
	_ [120]byte
}

// newTaskDealer makes room for n participants.
func newTaskDealer(n int) taskDealer { return taskDealer{runs: make([]dealRun, max(n, 1))} }

// begin starts a call: tasks [lo, hi) for par participants (at most the
// room made). It must not run while a participant of the last call may
// still take tasks.
func (d *taskDealer) begin(lo, hi, par int) {
	if par < 1 || par > len(d.runs) || lo < 0 || hi < lo || hi >= 1<<31 {
		panic("kernels: taskDealer.begin out of range")
	}
	d.epoch++
	if d.epoch == 0 { // wrapped: clear every tag, so none can match again
		for i := range d.runs {
			d.runs[i].v.Store(0)
		}
		d.epoch = 1
	}
	d.lo, d.hi, d.par = lo, hi, par
}

// take returns participant id's next task, or -1 when none is left.
func (d *taskDealer) take(id int) int {
	for k := range d.par {
		j := id + k
		if j >= d.par {
			j -= d.par
		}
		if t := d.takeFrom(j); t >= 0 {
			return t
		}
	}
	return -1
}

// takeFrom takes the next task of run j, or returns -1 when it has none.
func (d *taskDealer) takeFrom(j int) int {
	n := d.hi - d.lo
	lo, hi := d.lo+n*j/d.par, d.lo+n*(j+1)/d.par
	tag := uint64(d.epoch) << 32
	r := &d.runs[j].v
	for {
		v := r.Load()
		next := lo
		if v&^(1<<32-1) == tag {
			next = int(uint32(v))
		}
		if next >= hi {
			return -1
		}
		if r.CompareAndSwap(v, tag|uint64(next+1)) {
			return next
		}
	}
}
