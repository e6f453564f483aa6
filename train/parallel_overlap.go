package train

import (
	"fmt"
	"slices"
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
	busy    time.Duration  // the buckets' sums, this run
	spans   [][2]time.Time // when each bucket's sum began and ended
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
	if o.spans == nil {
		o.spans = make([][2]time.Time, len(o.buckets))
	}
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
			o.spans[k] = [2]time.Time{t, time.Now()}
			o.busy += o.spans[k][1].Sub(t)
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

// wait returns when every bucket is summed, with the time the sums spent
// before end, when the backward pass ended.
func (o *overlap) wait(end time.Time) (time.Duration, error) {
	if err := <-o.done; err != nil {
		return 0, err
	}
	var during time.Duration
	for _, s := range o.spans {
		stop := s[1]
		if end.Before(stop) {
			stop = end
		}
		if s[0].Before(stop) {
			during += stop.Sub(s[0])
		}
	}
	return during, nil
}

// stop ends a failed step: the goroutine leaves at the next bucket (or
// when the job's abort ends the collective it is in).
func (o *overlap) stop() { close(o.abort) }

// eagerUpdates returns a copy of the micro graph g whose nodes are in an
// order that computes the value of each accumulator's update as soon as
// its operands are there: the runtime runs a graph's nodes in their order,
// and the accumulators' sums, built after the whole backward pass, would
// otherwise all come last, leaving nothing for the buckets to overlap.
// A node moves when every node reading it moves too (it serves only the
// accumulators); the values computed are the same.
func eagerUpdates(g *ops.Graph) (*ops.Graph, error) {
	needed := g.Needed()
	eager := make([]bool, len(g.Nodes))
	readers := make([][]int, len(g.Nodes))
	for _, n := range g.Nodes {
		if needed[n.ID] {
			for _, x := range n.In {
				readers[x.ID] = append(readers[x.ID], n.ID)
			}
		}
	}
	kept := make([]bool, len(g.Nodes)) // outputs and other updates' values stay in place
	for _, o := range g.Outputs {
		kept[o.Node.ID] = true
	}
	for _, u := range g.Updates {
		if strings.HasSuffix(u.Target.Name(), "/accum.grad") {
			eager[u.Value.ID] = true
		} else {
			kept[u.Value.ID] = true
		}
	}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		if eager[i] || kept[i] || n.Op.Leaf || !needed[i] || len(readers[i]) == 0 {
			continue
		}
		all := true
		for _, r := range readers[i] {
			all = all && eager[r]
		}
		eager[i] = all
	}
	order := make([]*ops.Node, 0, len(g.Nodes))
	done := make([]bool, len(g.Nodes))
	var pending []*ops.Node
	emit := func(n *ops.Node) {
		order = append(order, n)
		done[n.ID] = true
	}
	value := make([]bool, len(g.Nodes))
	for _, u := range g.Updates {
		value[u.Value.ID] = true
	}
	ready := func(p *ops.Node) bool {
		for _, x := range p.In {
			if !done[x.ID] {
				return false
			}
		}
		return true
	}
	// flush emits the moving nodes whose operands are there, one at a time:
	// an update's value first, else the first in the graph's order.
	flush := func() {
		for {
			k := -1
			for i, p := range pending {
				if ready(p) && (k < 0 || value[p.ID] && !value[pending[k].ID]) {
					k = i
				}
			}
			if k < 0 {
				return
			}
			emit(pending[k])
			pending = slices.Delete(pending, k, k+1)
		}
	}
	for _, n := range g.Nodes {
		if eager[n.ID] {
			pending = append(pending, n)
		}
	}
	flush()
	for _, n := range g.Nodes {
		if !eager[n.ID] {
			emit(n)
			flush()
		}
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("train: ordering the micro graph: %d nodes left", len(pending))
	}
	nb, _, err := replay(g, replayRules{order: order})
	if err != nil {
		return nil, err
	}
	return nb.G, nil
}
