package train

import (
	"strings"
	"time"

	"github.com/nnclang/nnc/dist"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// bucketElems is the least number of elements of a bucket (1 MB of f32),
// but for the last.
var bucketElems = 1 << 18 // a variable for the tests

// overlap sums a rank's f32 gradient accumulators over the ranks in
// buckets while its micro graph runs: the runtime calls hook as soon as
// an accumulator's new value is computed (runtime.Session.SetUpdateHook),
// hook copies it into the summed buffer, and a goroutine sums each
// bucket once all its accumulators are in, in a fixed order (the last
// parameters first, as the backward pass computes them), so that every
// rank calls the same collectives in the same order whatever its own
// order of steps. Each element is summed as the whole buffer would be:
// the result is bitwise that of summing after the backward pass.
type overlap struct {
	c       dist.Comm
	b32     []float32
	off     []int    // by micro-graph update: offset in b32, -1 for the other updates
	bucket  []int    // by update: its bucket
	buckets [][2]int // ranges of b32, in the order they are summed
	need    []int    // accumulators per bucket
	left    []int    // per bucket, this step: accumulators not yet computed
	ready   []chan struct{}
	abort   chan struct{}
	done    chan error
	busy    time.Duration // the buckets' sums, this run
}

// newOverlap plans the buckets of the micro graph g's f32 accumulators,
// laid out in b32 in the order of g's updates (as newParallelStep lays
// them out).
func newOverlap(c dist.Comm, g *ops.Graph, store *runtime.Store, b32 []float32) *overlap {
	o := &overlap{c: c, b32: b32, off: make([]int, len(g.Updates)), bucket: make([]int, len(g.Updates))}
	type acc struct{ u, off int }
	var list []acc
	at := 0
	for i, u := range g.Updates {
		o.off[i], o.bucket[i] = -1, -1
		name := u.Target.Name()
		if t := store.Get(name); strings.HasSuffix(name, "/accum.grad") && t != nil && t.DType == tensor.F32 {
			list = append(list, acc{i, at})
			o.off[i] = at
			at += t.Len()
		}
	}
	hi, count := at, 0
	for k := len(list) - 1; k >= 0; k-- {
		o.bucket[list[k].u] = len(o.buckets)
		count++
		if lo := list[k].off; hi-lo >= bucketElems || k == 0 {
			o.buckets = append(o.buckets, [2]int{lo, hi})
			o.need = append(o.need, count)
			hi, count = lo, 0
		}
	}
	o.left = make([]int, len(o.buckets))
	return o
}

// start begins a step: the goroutine waits for each bucket in turn.
func (o *overlap) start() {
	copy(o.left, o.need)
	o.ready = make([]chan struct{}, len(o.buckets))
	for k := range o.ready {
		o.ready[k] = make(chan struct{}, 1)
	}
	o.abort, o.done, o.busy = make(chan struct{}), make(chan error, 1), 0
	ready, abort, done := o.ready, o.abort, o.done
	go func() {
		for k, r := range o.buckets {
			select {
			case <-ready[k]:
			case <-abort:
				done <- nil
				return
			}
			t := time.Now()
			if err := o.c.AllreduceF32(o.b32[r[0]:r[1]]); err != nil {
				done <- err
				return
			}
			o.busy += time.Since(t)
		}
		done <- nil
	}()
}

// hook receives the value of the micro graph's update i.
func (o *overlap) hook(i int, v *tensor.Tensor) {
	off := o.off[i]
	if off < 0 {
		return
	}
	copy(o.b32[off:], v.F32)
	k := o.bucket[i]
	if o.left[k]--; o.left[k] == 0 {
		o.ready[k] <- struct{}{}
	}
}

// allReady releases every bucket (a rank whose shard is empty: b32 holds
// zeros).
func (o *overlap) allReady() {
	for k := range o.ready {
		if o.left[k] > 0 {
			o.left[k] = 0
			o.ready[k] <- struct{}{}
		}
	}
}

// wait returns when every bucket is summed.
func (o *overlap) wait() error { return <-o.done }

// stop ends a failed step: the goroutine leaves at the next bucket (or
// when the job's abort ends the collective it is in).
func (o *overlap) stop() { close(o.abort) }
