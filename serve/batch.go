package serve

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/tensor"
)

// Model is what a Server serves: one entry of a program, described by
// nnc.NewServeModel (or made by hand: its specs and a Run function).
type Model = nnc.ServeModel

// Spec is one input or output of a Model.
type Spec = nnc.TensorSpec

// request is one inference request waiting for a batch.
type request struct {
	ctx  context.Context
	in   map[string]*tensor.Tensor
	rows int    // the batch axis's length (0 for an unbatched model)
	key  string // requests join only with those of the same key
	done chan result
}

type result struct {
	out []*tensor.Tensor
	err error
	// rows is the size of the batch the request ran in.
	rows int
}

// batcher runs requests on workers, joining those that arrive within
// maxDelay of each other into one run of at most maxBatch rows.
type batcher struct {
	m        *Model
	maxBatch int
	maxDelay time.Duration
	queue    chan *request
	stop     chan struct{}
	runCtx   context.Context // cancelled when the server stops hard
	wg       sync.WaitGroup
	observe  func(rows, requests int)
}

func newBatcher(m *Model, o *Options, runCtx context.Context, observe func(rows, requests int)) *batcher {
	b := &batcher{
		m: m, maxBatch: o.MaxBatch, maxDelay: o.MaxDelay,
		queue:   make(chan *request, o.MaxQueue),
		stop:    make(chan struct{}),
		runCtx:  runCtx,
		observe: observe,
	}
	if !m.Batched {
		b.maxBatch = 1
	}
	for range o.Workers {
		b.wg.Add(1)
		go b.worker()
	}
	return b
}

// close stops the workers once they are idle and waits for them.
func (b *batcher) close() {
	close(b.stop)
	b.wg.Wait()
}

// shapeKey is the shapes of a request's inputs past the batch axis:
// requests join only when these agree.
func shapeKey(m *Model, in map[string]*tensor.Tensor) (string, int) {
	var key []byte
	rows := 0
	for _, s := range m.Inputs {
		t := in[s.Name]
		if len(t.Shape) > 0 {
			rows = t.Shape[0]
		}
		for _, d := range t.Shape[1:] {
			key = strconv.AppendInt(key, int64(d), 10)
			key = append(key, ',')
		}
		key = append(key, ';')
	}
	return string(key), rows
}

// errClosed answers requests that come after Close.
var errClosed = errors.New("the server is shutting down")

// submit queues r, or gives up when its context is done first.
func (b *batcher) submit(r *request) error {
	select {
	case b.queue <- r:
		return nil
	case <-b.stop:
		return errClosed
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

func (b *batcher) worker() {
	defer b.wg.Done()
	var carry *request
	for {
		first := carry
		carry = nil
		if first == nil {
			// Queued requests are answered before a stop is obeyed.
			select {
			case first = <-b.queue:
			default:
				select {
				case first = <-b.queue:
				case <-b.stop:
					return
				}
			}
		}
		if first.ctx.Err() != nil {
			first.done <- result{err: first.ctx.Err()}
			continue
		}
		batch, rows := []*request{first}, first.rows
		if b.maxBatch > 1 && rows < b.maxBatch {
			batch, rows, carry = b.gather(batch, rows)
		}
		b.run(batch, rows)
	}
}

// gather adds queued requests of the first one's key to the batch until it
// has maxBatch rows or maxDelay has passed; a request that does not fit is
// returned to start the next batch.
func (b *batcher) gather(batch []*request, rows int) ([]*request, int, *request) {
	timer := time.NewTimer(b.maxDelay)
	defer timer.Stop()
	for rows < b.maxBatch {
		select {
		case r := <-b.queue:
			if r.ctx.Err() != nil {
				r.done <- result{err: r.ctx.Err()}
				continue
			}
			if r.key != batch[0].key || rows+r.rows > b.maxBatch {
				return batch, rows, r
			}
			batch = append(batch, r)
			rows += r.rows
		case <-timer.C:
			return batch, rows, nil
		}
	}
	return batch, rows, nil
}

// run evaluates one batch and answers its requests.
func (b *batcher) run(batch []*request, rows int) {
	b.observe(rows, len(batch))
	if len(batch) == 1 {
		r := batch[0]
		out, err := b.safeRun(r.in)
		r.done <- result{out: out, err: err, rows: rows}
		return
	}
	in := make(map[string]*tensor.Tensor, len(b.m.Inputs))
	for _, s := range b.m.Inputs {
		parts := make([]*tensor.Tensor, len(batch))
		for i, r := range batch {
			parts[i] = r.in[s.Name]
		}
		in[s.Name] = joinRows(parts, rows)
	}
	out, err := b.safeRun(in)
	if err == nil {
		for _, t := range out {
			if len(t.Shape) == 0 || t.Shape[0] != rows {
				err = fmt.Errorf("a batch of %d rows gave a result of shape %v", rows, t.Shape)
				break
			}
		}
	}
	start := 0
	for _, r := range batch {
		if err != nil {
			r.done <- result{err: err, rows: rows}
			continue
		}
		res := make([]*tensor.Tensor, len(out))
		for i, t := range out {
			res[i] = rowRange(t, start, start+r.rows)
		}
		start += r.rows
		r.done <- result{out: res, rows: rows}
	}
}

// safeRun is the model's Run, a panic in it an error (nnc's own Run
// returns its internal errors; a Model made by hand may panic).
func (b *batcher) safeRun(in map[string]*tensor.Tensor) (out []*tensor.Tensor, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("internal error: %v", p)
		}
	}()
	return b.m.Run(b.runCtx, in)
}

// joinRows stacks tensors of the same type and trailing shape along their
// first axis.
func joinRows(parts []*tensor.Tensor, rows int) *tensor.Tensor {
	shape := append([]int{rows}, parts[0].Shape[1:]...)
	t := tensor.New(parts[0].DType, shape...)
	start := 0
	for _, p := range parts {
		rowRange(t, start, start+p.Shape[0]).CopyFrom(p)
		start += p.Shape[0]
	}
	return t
}

// rowRange is rows [a, b) of t, sharing its elements.
func rowRange(t *tensor.Tensor, a, b int) *tensor.Tensor {
	r := tensor.NumElems(t.Shape[1:])
	out := &tensor.Tensor{DType: t.DType, Shape: append([]int{b - a}, t.Shape[1:]...)}
	switch t.DType {
	case tensor.F32:
		out.F32 = t.F32[a*r : b*r]
	case tensor.F64:
		out.F64 = t.F64[a*r : b*r]
	case tensor.I32:
		out.I32 = t.I32[a*r : b*r]
	case tensor.I64:
		out.I64 = t.I64[a*r : b*r]
	case tensor.Bool:
		out.Bool = t.Bool[a*r : b*r]
	}
	return out
}
