package data

import (
	"context"
	"errors"
	"fmt"

	"github.com/nnclang/nnc/tensor"
)

// ExampleSource reads the examples of a data set too large for memory,
// one at a time, in file order (see OpenTextStream and OpenJSONLStream).
type ExampleSource interface {
	// Template is a dataset of one row that gives every array's name,
	// element type and row shape.
	Template() *Dataset
	// Len is the number of examples an epoch yields.
	Len() int
	// Open starts epoch e (from 0). next writes the next example into row
	// i of dst (arrays shaped as Template's, more rows) and reports false
	// at the end of the epoch; close releases the file.
	Open(epoch int) (next func(dst map[string]*tensor.Tensor, i int) (bool, error), close func(), err error)
}

// StreamOptions configures NewStream.
type StreamOptions struct {
	// PrefetchOptions gives the batch size, the seed of the shuffle
	// buffer's draws (with the epoch), how many batches are prepared
	// ahead and the Prep run on each. Shuffle false hands the examples out
	// in file order.
	PrefetchOptions
	// Buffer is the shuffle buffer's size in examples (at least 1).
	Buffer int
	// Bind, when not nil, runs on each filled batch before Prep; it may
	// replace the batch's Arrays (renamed, converted views of them). The
	// stream gives it the buffers in the source's names each time.
	Bind func(b *Batch) error
}

// Stream walks an ExampleSource in minibatches, epoch after epoch, with
// memory bounded by the shuffle buffer: a goroutine reads examples into a
// buffer of Buffer rows and fills each batch row with one drawn uniformly
// from the buffer (seeded by Seed and the epoch), refilling the freed row
// with the next example of the file. With a buffer at least as large as
// the epoch, the order is a uniform permutation; a smaller buffer mixes
// examples at most Buffer apart in the file. It has the methods of
// Prefetch the training loop uses, and prepares at most Ahead batches
// ahead of the consumer.
type Stream struct {
	src   ExampleSource
	o     StreamOptions
	size  int
	n     int
	buf   map[string]*tensor.Tensor // Buffer rows
	slots []map[string]*tensor.Tensor
	tails []map[string]*tensor.Tensor
	batch []Batch

	cancel    context.CancelFunc
	done      chan struct{}
	free      chan int
	ready     chan prefetched
	held      int
	cur       *Batch
	delivered int
	err       error

	// MaxHeld is the most examples the buffer held at once in the last
	// epoch (at most Buffer): tests read it.
	MaxHeld int
}

// NewStream prepares to stream src. It allocates the shuffle buffer and
// Ahead+1 batches once; no goroutine runs before Start.
func NewStream(src ExampleSource, o StreamOptions) (*Stream, error) {
	if o.Size <= 0 {
		return nil, fmt.Errorf("data: batch size must be positive, got %d", o.Size)
	}
	if o.Buffer < 1 {
		return nil, fmt.Errorf("data: the shuffle buffer must hold at least 1 example, got %d", o.Buffer)
	}
	if o.Ahead == 0 {
		o.Ahead = 2
	}
	if o.Ahead < 1 || o.Ahead > 2 {
		return nil, fmt.Errorf("data: prefetch ahead %d is not 1 or 2", o.Ahead)
	}
	n := src.Len()
	if n == 0 {
		return nil, fmt.Errorf("data: the stream has no examples")
	}
	tmpl := src.Template()
	s := &Stream{src: src, o: o, size: min(o.Size, n), n: n, held: -1}
	s.buf = buffers(tmpl, min(o.Buffer, n))
	for range o.Ahead + 1 {
		full := buffers(tmpl, s.size)
		s.slots = append(s.slots, full)
		var tail map[string]*tensor.Tensor
		if r := n % s.size; r > 0 {
			tail = make(map[string]*tensor.Tensor, len(full))
			for name, t := range full {
				tail[name] = firstRows(t, r)
			}
		}
		s.tails = append(s.tails, tail)
	}
	s.batch = make([]Batch, len(s.slots))
	return s, nil
}

// Len is the number of batches per epoch (the last may be partial).
func (s *Stream) Len() int { return (s.n + s.size - 1) / s.size }

// Size is the full batch size.
func (s *Stream) Size() int { return s.size }

// Order is nil: a stream has no row order to report.
func (s *Stream) Order() []int { return nil }

// Start stops the previous epoch, if any, and starts reading epoch e.
func (s *Stream) Start(ctx context.Context, e int) {
	s.stop()
	var run context.Context
	run, s.cancel = context.WithCancel(ctx)
	s.free = make(chan int, len(s.slots))
	for i := range s.slots {
		s.free <- i
	}
	s.ready = make(chan prefetched, len(s.slots))
	s.done = make(chan struct{})
	s.held, s.cur, s.delivered, s.err = -1, nil, 0, nil
	go s.produce(run, e, s.free, s.ready, s.done)
}

// produce reads the epoch through the shuffle buffer into batches.
func (s *Stream) produce(ctx context.Context, epoch int, free <-chan int, ready chan<- prefetched, done chan<- struct{}) {
	defer close(done)
	defer close(ready)
	next, closeSrc, err := s.src.Open(epoch)
	if err != nil {
		ready <- prefetched{err: err}
		return
	}
	defer closeSrc()
	r := newRNG(s.o.Seed^0x5eed5eed, uint64(epoch)+1)
	cap := s.buf[firstName(s.buf)].Shape[0]
	if !s.o.Shuffle {
		cap = 1
	}
	held, read, eof := 0, 0, false
	s.MaxHeld = 0
	for index, pos := 0, 0; pos < s.n; index++ {
		var k int
		select {
		case k = <-free:
		case <-ctx.Done():
			return
		}
		b := &s.batch[k]
		b.Arrays, b.Size = s.slots[k], s.size
		if s.n-pos < s.size {
			b.Arrays, b.Size = s.tails[k], s.n-pos
		}
		for i := range b.Size {
			for !eof && held < cap {
				ok, err := next(s.buf, held)
				if err != nil {
					ready <- prefetched{slot: k, err: err}
					return
				}
				if !ok {
					eof = true
					break
				}
				held++
				read++
				s.MaxHeld = max(s.MaxHeld, held)
			}
			if held == 0 {
				ready <- prefetched{slot: k, err: fmt.Errorf("data: the stream ended after %d of its %d examples (did the file change?)", read, s.n)}
				return
			}
			j := held - 1 // in order: the buffer holds one example
			if s.o.Shuffle {
				j = r.intn(held)
			}
			for name, t := range s.buf {
				copyRow(b.Arrays[name], i, t, j)
				if j != held-1 {
					copyRow(t, j, t, held-1)
				}
			}
			held--
		}
		b.Index = index
		pos += b.Size
		var err error
		if s.o.Bind != nil {
			err = s.o.Bind(b)
		}
		if err == nil && s.o.Prep != nil {
			err = s.o.Prep(b, epoch)
		}
		ready <- prefetched{slot: k, b: b, err: err}
		if err != nil {
			return
		}
	}
	if !eof {
		if ok, err := next(s.buf, 0); err == nil && ok {
			ready <- prefetched{err: fmt.Errorf("data: the stream has more than its %d examples (did the file change?)", s.n)}
		}
	}
}

// firstName is any key of m.
func firstName(m map[string]*tensor.Tensor) string {
	for k := range m {
		return k
	}
	return ""
}

// Next hands the previous batch back, waits for the next one and reports
// whether there was one; false at the end of the epoch or on an error.
func (s *Stream) Next() bool {
	if s.ready == nil {
		if s.err == nil {
			s.err = errNotStarted
		}
		return false
	}
	if s.held >= 0 {
		s.free <- s.held
		s.held, s.cur = -1, nil
	}
	r, ok := <-s.ready
	switch {
	case !ok:
		if s.delivered < s.Len() && s.err == nil {
			s.err = errors.New("data: streaming stopped")
		}
		return false
	case r.err != nil:
		s.err = r.err
		s.stop()
		return false
	case r.b == nil:
		return false
	}
	s.held, s.cur = r.slot, r.b
	s.delivered++
	return true
}

// Batch is the batch the last Next moved to.
func (s *Stream) Batch() *Batch { return s.cur }

// Err is the error that ended the epoch early, or nil.
func (s *Stream) Err() error { return s.err }

// Close stops the goroutine, if one runs, and waits for it.
func (s *Stream) Close() { s.stop() }

func (s *Stream) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	for range s.ready {
		// drain, so that the goroutine is never blocked
	}
	<-s.done
	s.cancel = nil
	s.ready, s.free = nil, nil
	s.held, s.cur = -1, nil
}
