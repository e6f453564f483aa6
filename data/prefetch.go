package data

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nnclang/nnc/tensor"
)

// Prep prepares a filled batch of epoch in place (augments, scales) before
// it is handed out; Augment.Apply is one. An error stops the epoch.
type Prep func(b *Batch, epoch int) error

// PrefetchOptions configures NewPrefetch.
type PrefetchOptions struct {
	// Size is the batch size; Shuffle and Seed draw each epoch's order as
	// NewBatches does (the same order, batch for batch).
	Size    int
	Shuffle bool
	Seed    uint64
	// Ahead is how many batches may be prepared beyond the one in use, 1
	// or 2 (0 means 2). Each holds a batch's buffers.
	Ahead int
	// Prep, when not nil, runs on each batch after its rows are gathered
	// and converted, on the prefetching goroutine.
	Prep Prep
}

// Prefetch walks a dataset in minibatches as Batches does, but prepares
// them on a goroutine while the consumer works on the current one: it
// gathers the rows, converts byte arrays, and runs Prep, at most Ahead
// batches ahead. Batches come in order, the same as without prefetching.
// A batch is valid until the next call to Next, Start or Close.
//
//	p, _ := data.NewPrefetch(train, data.PrefetchOptions{Size: 64, Shuffle: true, Prep: aug.Apply})
//	defer p.Close()
//	for epoch := range epochs {
//		for p.Start(ctx, epoch); p.Next(); {
//			step(p.Batch())
//		}
//		if err := p.Err(); err != nil { ... }
//	}
//
// The goroutine runs from Start until the epoch's last batch is prepared,
// ctx is cancelled, Prep fails, or Start or Close stops it; Close (or a
// finished epoch) leaves no goroutine behind. A Prefetch is used by one
// goroutine.
type Prefetch struct {
	d     *Dataset
	o     PrefetchOptions
	size  int
	n     int
	perm  []int
	slots []Batch // Ahead+1 sets of full-size buffers
	tails []Batch // views of the slots' first rows for the last batch

	parent    context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	free      chan int
	ready     chan prefetched
	held      int // slot of the batch handed out, or −1
	cur       *Batch
	delivered int
	err       error
}

// prefetched is one prepared batch, or the error that ended the epoch.
type prefetched struct {
	slot int
	b    *Batch
	err  error
}

// NewPrefetch prepares to walk d in batches. No goroutine runs before
// Start.
func NewPrefetch(d *Dataset, o PrefetchOptions) (*Prefetch, error) {
	if o.Size <= 0 {
		return nil, fmt.Errorf("data: batch size must be positive, got %d", o.Size)
	}
	if o.Ahead == 0 {
		o.Ahead = 2
	}
	if o.Ahead < 1 || o.Ahead > 2 {
		return nil, fmt.Errorf("data: prefetch ahead %d is not 1 or 2", o.Ahead)
	}
	n := d.Len()
	if n == 0 {
		return nil, fmt.Errorf("data: the dataset is empty")
	}
	size := min(o.Size, n)
	p := &Prefetch{d: d, o: o, size: size, n: n, perm: make([]int, n), held: -1}
	for range o.Ahead + 1 {
		full := Batch{Size: size, Arrays: buffers(d, size)}
		p.slots = append(p.slots, full)
		tail := Batch{Size: n % size}
		if tail.Size > 0 {
			tail.Arrays = make(map[string]*tensor.Tensor, len(full.Arrays))
			for name, t := range full.Arrays {
				tail.Arrays[name] = firstRows(t, tail.Size)
			}
		}
		p.tails = append(p.tails, tail)
	}
	return p, nil
}

// firstRows is a view of the first r rows of t.
func firstRows(t *tensor.Tensor, r int) *tensor.Tensor {
	k := r * rowLen(t)
	v := &tensor.Tensor{DType: t.DType, Shape: append([]int{r}, t.Shape[1:]...)}
	switch t.DType {
	case tensor.F32:
		v.F32 = t.F32[:k]
	case tensor.F64:
		v.F64 = t.F64[:k]
	case tensor.I32:
		v.I32 = t.I32[:k]
	case tensor.I64:
		v.I64 = t.I64[:k]
	case tensor.Bool:
		v.Bool = t.Bool[:k]
	default:
		panic("data: invalid dtype")
	}
	return v
}

// Len is the number of batches per epoch (the last may be partial).
func (p *Prefetch) Len() int { return (p.n + p.size - 1) / p.size }

// Size is the full batch size (the dataset's length when that is smaller).
func (p *Prefetch) Size() int { return p.size }

// Start stops the previous epoch's goroutine, if any, draws the order of
// epoch e and starts preparing its batches. Cancelling ctx stops the
// epoch: Next then returns false and Err returns ctx's error.
func (p *Prefetch) Start(ctx context.Context, epoch int) {
	p.stop()
	for i := range p.perm {
		p.perm[i] = i
	}
	if p.o.Shuffle {
		newRNG(p.o.Seed, uint64(epoch)+1).shuffle(p.perm) // as Batches.Start
	}
	p.parent = ctx
	var run context.Context
	run, p.cancel = context.WithCancel(ctx)
	p.free = make(chan int, len(p.slots))
	for s := range p.slots {
		p.free <- s
	}
	p.ready = make(chan prefetched, len(p.slots))
	p.held, p.cur, p.delivered, p.err = -1, nil, 0, nil
	p.wg.Add(1)
	go p.produce(run, epoch, p.free, p.ready)
}

// produce fills batches in order into free slots and sends them on ready,
// which it closes when it returns.
func (p *Prefetch) produce(ctx context.Context, epoch int, free <-chan int, ready chan<- prefetched) {
	defer p.wg.Done()
	defer close(ready)
	for index, pos := 0, 0; pos < p.n; index++ {
		var s int
		select {
		case s = <-free:
		case <-ctx.Done():
			return
		}
		if ctx.Err() != nil {
			return
		}
		b := &p.slots[s]
		if p.n-pos < p.size {
			b = &p.tails[s]
		}
		p.fill(b, p.perm[pos:pos+b.Size])
		b.Index = index
		pos += b.Size
		var err error
		if p.o.Prep != nil {
			err = p.o.Prep(b, epoch)
		}
		// ready has room for every slot: the send never blocks.
		ready <- prefetched{slot: s, b: b, err: err}
		if err != nil {
			return
		}
	}
}

// fill copies rows of the dataset into b's buffers.
func (p *Prefetch) fill(b *Batch, rows []int) {
	for name, src := range p.d.Arrays {
		dst := b.Arrays[name]
		for i, j := range rows {
			copyRow(dst, i, src, j)
		}
	}
	for name, src := range p.d.Bytes {
		dst := b.Arrays[name]
		for i, j := range rows {
			src.copyRowTo(dst, i, j)
		}
	}
}

// errNotStarted is Err's error when Next is called before Start.
var errNotStarted = errors.New("data: Prefetch.Next called before Start (or after Close)")

// Next hands the previous batch's buffers back, waits for the next batch
// and reports whether there was one; false at the end of the epoch or on
// an error (see Err).
func (p *Prefetch) Next() bool {
	if p.ready == nil {
		if p.err == nil {
			p.err = errNotStarted
		}
		return false
	}
	if p.held >= 0 {
		p.free <- p.held // free has room for every slot
		p.held, p.cur = -1, nil
	}
	r, ok := <-p.ready
	switch {
	case !ok:
		if p.delivered < p.Len() && p.err == nil {
			p.err = p.parent.Err()
			if p.err == nil {
				p.err = errors.New("data: prefetching stopped")
			}
		}
		return false
	case r.err != nil:
		p.err = r.err
		p.stop()
		return false
	}
	p.held, p.cur = r.slot, r.b
	p.delivered++
	return true
}

// Batch is the batch the last Next moved to.
func (p *Prefetch) Batch() *Batch { return p.cur }

// Err is the error that ended the epoch early: ctx's, or Prep's.
func (p *Prefetch) Err() error { return p.err }

// Order is the row order of the current epoch (shared; do not modify).
func (p *Prefetch) Order() []int { return p.perm }

// Close stops the goroutine, if one runs, and waits for it. Next returns
// false afterwards, until Start.
func (p *Prefetch) Close() {
	p.stop()
}

// stop cancels the running epoch and waits for its goroutine.
func (p *Prefetch) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.wg.Wait()
	p.cancel = nil
	p.ready, p.free = nil, nil
	p.held, p.cur = -1, nil
}
