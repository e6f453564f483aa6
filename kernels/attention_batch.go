package kernels

// AttentionBatch runs an Attention (forward or backward) over a batch of
// independent sets of queries, keys and values, the sets split among the
// worker pool's goroutines in a fixed partition (parallel.go): each set is
// computed whole by one goroutine with an Attention of its own (its
// scratch and products), so the results are bitwise the same for any
// number of goroutines (a Chunks of the sets). When the sets run in
// parallel the products inside each are made serial, so that the cores are
// not oversubscribed.
type AttentionBatch[T Float] struct {
	workers []*Attention[T]
	chunks  *Chunks // the sets, a chunk per task
}

// NewAttentionBatch prepares n sets of the sizes (as NewAttention). Run
// calls item(a, worker, i) once for each set i in [0, n), with the
// Attention a of the goroutine that runs it; worker, in [0,
// Participants()), tells the goroutines apart for any other per-goroutine
// state item keeps.
func NewAttentionBatch[T Float](n, tq, tk, d, dv int, scale float64, backward bool, item func(a *Attention[T], worker, set int)) *AttentionBatch[T] {
	b := &AttentionBatch[T]{}
	b.chunks = NewChunks(n, 1, attnWork(tq, tk, d, dv, backward), func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			item(b.workers[w], w, i)
		}
	})
	workers := b.chunks.Participants()
	for range workers {
		a := NewAttention[T](tq, tk, d, dv, scale, backward)
		if workers > 1 {
			a.makeSerial()
		}
		b.workers = append(b.workers, a)
	}
	return b
}

// attnWork is one set's work in element visits, roughly (splitTasks).
func attnWork(tq, tk, d, dv int, backward bool) int {
	w := tq * tk * (d + dv + 4)
	if backward {
		w *= 3
	}
	return w
}

// AttentionBatchWorkers is how many Attentions NewAttentionBatch prepares
// for the sizes (for the scratch they take: AttentionScratch each).
func AttentionBatchWorkers(n, tq, tk, d, dv int, backward bool) int {
	return ChunksWorkers(n, 1, attnWork(tq, tk, d, dv, backward))
}

// Participants is the number of goroutines (and Attentions) the batch may
// run on: item's worker is below it.
func (b *AttentionBatch[T]) Participants() int { return len(b.workers) }

// Run computes every set.
func (b *AttentionBatch[T]) Run() { b.chunks.Run() }

// makeSerial makes every product of a run on the calling goroutine alone.
func (a *Attention[T]) makeSerial() {
	for _, ps := range [][2][2]*GemmPlan[T]{a.qk, a.pv, a.gv, a.dsk, a.dsq, a.pg} {
		for _, row := range ps {
			for _, g := range row {
				if g != nil {
					g.makeSerial()
				}
			}
		}
	}
}
