package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/dist"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// parallelStep runs the steps of data-parallel training (Parallel; see
// the comment in parallel.go).
type parallelStep struct {
	p      *Parallel
	n      int
	store  *runtime.Store
	micro  *bound
	apply  *bound
	accs   []string         // the gradient accumulators, in the micro graph's order
	states []string         // the model's states (the micro graph's other updates)
	outs   []*tensor.Tensor // the step's outputs: the loss, the others zeros
	loss   int
	// The summed buffers: f64 holds [rows, Σ n·loss, the f64 accumulators],
	// f32 the f32 accumulators, each accumulator's elements in turn.
	b32     []float32
	b64     []float64
	parts32 [][]float32 // the emulation's shards
	parts64 [][]float64
	arrays  map[string]*tensor.Tensor // a shard's rows
	times   ParallelTimes
	ov      *overlap // under a Comm: the sums during the backward pass (parallel_overlap.go)
}

// ParallelTimes is where the steps of data-parallel training spent their
// time on one rank.
type ParallelTimes struct {
	Steps int
	// Shards is the time of the micro graph on the rank's shards (all N
	// when emulated), Comm of the sums and broadcasts after it (the
	// collectives under a Comm, the sums in memory when emulated), Apply
	// of the updates. Buckets, under a Comm, is the time the gradients'
	// sums took, Overlapped the part of it before the backward pass ended
	// (the rest is in Comm).
	Shards, Comm, Apply, Buckets, Overlapped time.Duration
}

// newParallelStep binds the micro and apply graphs of cfg.StepOptions.
func newParallelStep(cfg *Config, loss int) (*parallelStep, error) {
	so := cfg.StepOptions
	p := so.Parallel
	if err := p.check(); err != nil {
		return nil, err
	}
	switch {
	case so.Micro == nil || p.Apply == nil:
		return nil, fmt.Errorf("train: data-parallel training needs the micro and apply graphs (build the step with the step options first)")
	case cfg.FullBatch:
		return nil, fmt.Errorf("train: full-batch data has one batch of the whole graph: it cannot be split into shards")
	case cfg.CheckNumerics || cfg.WarnGradNorm > 0:
		return nil, fmt.Errorf("train: the numerics checks and gradient-norm warnings are not available in data-parallel training")
	}
	d := &parallelStep{p: p, n: p.Size(), store: cfg.Store, loss: loss, arrays: map[string]*tensor.Tensor{}}
	var err error
	micro := so.Micro
	if p.Comm != nil {
		if micro, err = eagerUpdates(micro); err != nil { // parallel_overlap.go
			return nil, err
		}
	}
	if d.micro, err = bindGraph("micro-batch graph", micro, cfg.Store, cfg.Train); err != nil {
		return nil, err
	}
	if d.apply, err = bindGraph("apply graph", p.Apply, cfg.Store, cfg.Train); err != nil {
		return nil, err
	}
	if outputIndex(so.Micro, "loss") != 0 || len(so.Micro.Outputs) != 1 {
		return nil, fmt.Errorf("train: the micro graph's one output must be \"loss\"")
	}
	for _, u := range so.Micro.Updates {
		name := u.Target.Name()
		switch {
		case strings.HasSuffix(name, "/accum.grad"):
			d.accs = append(d.accs, name)
		case name != AccumRowsState:
			d.states = append(d.states, name)
		}
	}
	n32, n64 := 0, 2
	for _, name := range d.accs {
		t := cfg.Store.Get(name)
		if t == nil {
			return nil, fmt.Errorf("train: the store has no accumulator %s", name)
		}
		switch t.DType {
		case tensor.F32:
			n32 += t.Len()
		case tensor.F64:
			n64 += t.Len()
		default:
			return nil, fmt.Errorf("train: the accumulator %s is %v: want f32 or f64", name, t.DType)
		}
	}
	d.b32, d.b64 = make([]float32, n32), make([]float64, n64)
	if p.Comm != nil {
		d.ov = newOverlap(p.Comm, micro, cfg.Store, d.b32)
		d.micro.sess.SetUpdateHook(d.ov.hook)
	} else {
		d.parts32, d.parts64 = make([][]float32, d.n), make([][]float64, d.n)
		for r := range d.n {
			d.parts32[r], d.parts64[r] = make([]float32, n32), make([]float64, n64)
		}
	}
	zero := tensor.New(tensor.F64)
	d.outs = make([]*tensor.Tensor, len(cfg.Step.Outputs))
	for i := range d.outs {
		d.outs[i] = zero
	}
	d.outs[loss] = tensor.New(tensor.F64)
	return d, nil
}

// start checks that every rank runs the same job and gives every rank
// rank 0's parameters and states.
func (d *parallelStep) start(cfg *Config, steps int) error {
	c := d.p.Comm
	if c == nil {
		return nil
	}
	names := d.store.Names()
	slices.Sort(names)
	elems := 0
	for _, name := range names {
		elems += d.store.Get(name).Len()
	}
	mine := []float64{float64(c.Size()), float64(cfg.Train.Len()), float64(cfg.BatchSize), float64(cfg.Epochs),
		float64(len(names)), float64(elems), float64(steps), float64(cfg.Seed % (1 << 52))}
	root := slices.Clone(mine)
	if err := c.BcastF64(root, 0); err != nil {
		return err
	}
	if !slices.Equal(mine, root) {
		return fmt.Errorf("train: rank %d's job differs from rank 0's: [ranks, training rows, batch, epochs, tensors, elements, steps done, seed] are %v, rank 0's %v",
			c.Rank(), mine, root)
	}
	return d.bcast(names)
}

// bcast copies rank 0's tensors of the given names to every rank (those
// of element type f32 and f64; the others are not numbers training
// changes).
func (d *parallelStep) bcast(names []string) error {
	var f32 []float32
	var f64 []float64
	for _, name := range names {
		t := d.store.Get(name)
		f32, f64 = append(f32, t.F32...), append(f64, t.F64...)
	}
	if err := d.p.Comm.BcastF32(f32, 0); err != nil {
		return err
	}
	if err := d.p.Comm.BcastF64(f64, 0); err != nil {
		return err
	}
	for _, name := range names {
		t := d.store.Get(name)
		f32, f64 = f32[copy(t.F32, f32):], f64[copy(t.F64, f64):]
	}
	return nil
}

// run is the step of the global batch b: the shards, the sum over the
// ranks, the update.
func (d *parallelStep) run(ctx context.Context, seed uint64, b *data.Batch) ([]*tensor.Tensor, error) {
	t0 := time.Now()
	var t1 time.Time
	if c := d.p.Comm; c != nil {
		d.ov.start()
		if err := d.shard(ctx, seed, b, c.Rank(), d.b32, d.b64); err != nil {
			d.ov.stop()
			return nil, err
		}
		t1 = time.Now()
		during, err := d.ov.wait(t1)
		if err != nil {
			return nil, err
		}
		d.times.Buckets += d.ov.busy
		d.times.Overlapped += during
		if err := c.AllreduceF64(d.b64); err != nil {
			return nil, err
		}
		if len(d.states) > 0 {
			if err := d.bcast(d.states); err != nil {
				return nil, err
			}
		}
	} else {
		var keep map[string]*tensor.Tensor // shard 0's states
		for r := range d.n {
			if err := d.shard(ctx, seed, b, r, d.parts32[r], d.parts64[r]); err != nil {
				return nil, err
			}
			if r == 0 && d.n > 1 && len(d.states) > 0 {
				keep = make(map[string]*tensor.Tensor, len(d.states))
				for _, name := range d.states {
					keep[name] = d.store.Get(name).Clone()
				}
			}
		}
		t1 = time.Now()
		for name, t := range keep {
			d.store.Get(name).CopyFrom(t)
		}
		dist.SumInOrderF32(d.b32, d.parts32)
		dist.SumInOrderF64(d.b64, d.parts64)
	}
	d.unpack()
	t2 := time.Now()
	if _, err := d.apply.run(ctx, seed, nil); err != nil {
		return nil, err
	}
	d.times.Steps++
	d.times.Shards += t1.Sub(t0)
	d.times.Comm += t2.Sub(t1)
	d.times.Apply += time.Since(t2)
	d.outs[d.loss].F64[0] = d.b64[1] / float64(b.Size)
	return d.outs, nil
}

// shard runs the micro graph on shard r of b and leaves its sums in f32
// and f64, with the accumulators zero again.
func (d *parallelStep) shard(ctx context.Context, seed uint64, b *data.Batch, r int, f32 []float32, f64 []float64) error {
	lo, hi := ShardRows(b.Size, d.n, r)
	clear(f32)
	clear(f64)
	if lo == hi {
		if d.ov != nil {
			d.ov.allReady()
		}
		return nil
	}
	for name, t := range b.Arrays {
		v, err := rowView(t, lo, hi, b.Size)
		if err != nil {
			return fmt.Errorf("train: shard %d: array %q: %w", r, name, err)
		}
		d.arrays[name] = v
	}
	if err := SetBatchRows(d.store, hi-lo); err != nil {
		return err
	}
	out, err := d.micro.run(ctx, ShardSeed(seed, r), d.arrays)
	if err != nil {
		return d.shardErr(r, lo, hi, err)
	}
	loss := out[0].At(0)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return d.shardErr(r, lo, hi, fmt.Errorf("the loss is %v", loss))
	}
	rows := d.store.Get(AccumRowsState)
	f64[0], f64[1] = rows.F64[0], loss*float64(hi-lo)
	rows.F64[0] = 0
	i32, i64 := 0, 2
	for _, name := range d.accs {
		t := d.store.Get(name)
		if d.ov == nil { // else the hook has copied them
			i32 += copy(f32[i32:], t.F32)
		}
		i64 += copy(f64[i64:], t.F64)
		t.Zero()
	}
	return nil
}

// shardErr names the shard (and under a Comm, the rank) that failed.
func (d *parallelStep) shardErr(r, lo, hi int, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	who := fmt.Sprintf("shard %d of %d (rows %d to %d of the batch)", r, d.n, lo, hi-1)
	if d.p.Comm != nil {
		who = fmt.Sprintf("rank %d of %d (rows %d to %d of the batch)", r, d.n, lo, hi-1)
	}
	return fmt.Errorf("%s: %w", who, err)
}

// unpack writes the sums into the accumulators and AccumRowsState.
func (d *parallelStep) unpack() {
	d.store.Get(AccumRowsState).F64[0] = d.b64[0]
	i32, i64 := 0, 2
	for _, name := range d.accs {
		t := d.store.Get(name)
		i32 += copy(t.F32, d.b32[i32:])
		i64 += copy(t.F64, d.b64[i64:])
	}
}

// rowView is rows [lo, hi) of t, whose first axis has rows rows, sharing
// t's elements.
func rowView(t *tensor.Tensor, lo, hi, rows int) (*tensor.Tensor, error) {
	if len(t.Shape) == 0 || t.Shape[0] != rows {
		return nil, fmt.Errorf("shape %v has no batch axis of %d rows to split", t.Shape, rows)
	}
	per := tensor.NumElems(t.Shape[1:])
	v := &tensor.Tensor{DType: t.DType, Shape: append([]int{hi - lo}, t.Shape[1:]...)}
	a, z := lo*per, hi*per
	switch t.DType {
	case tensor.F32:
		v.F32 = t.F32[a:z]
	case tensor.F64:
		v.F64 = t.F64[a:z]
	case tensor.I32:
		v.I32 = t.I32[a:z]
	case tensor.I64:
		v.I64 = t.I64[a:z]
	case tensor.Bool:
		v.Bool = t.Bool[a:z]
	default:
		return nil, fmt.Errorf("element type %v", t.DType)
	}
	return v, nil
}

// runStep runs the step of batch b: data-parallel, or the step graph
// (or the micro graph of a batch that only accumulates).
func (l *loop) runStep(seed uint64, b *data.Batch) ([]*tensor.Tensor, error) {
	if l.par != nil {
		return l.par.run(l.ctx, seed, b)
	}
	return l.hooks.run(l.ctx, l.num.run, l.num.loss, seed, b)
}

// abortParallel ends the job of a data-parallel run that failed with err
// (dist.Comm.Abort names this rank and err to the others), unless err
// is ctx's cancellation (every rank is stopped by its own signal) or
// another rank's failure, which ended the job already.
func abortParallel(ctx context.Context, cfg *Config, err error) {
	so := cfg.StepOptions
	if so == nil || so.Parallel == nil || so.Parallel.Comm == nil {
		return
	}
	var re *dist.RankError
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) || errors.As(err, &re) {
		return
	}
	so.Parallel.Comm.Abort(err)
}
