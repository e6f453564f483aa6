package dist

import (
	"fmt"
	"sync"
)

// NewLocal returns the n Comms of a job whose ranks are goroutines of this
// process (n from 1 to 4096): rank r uses the r-th. It is the transport of
// tests and of a job on one machine without MPI; its sums are bitwise
// those of MPI's (SumInOrderF32).
func NewLocal(n int) ([]Comm, error) {
	if n < 1 || n > 4096 {
		return nil, fmt.Errorf("dist: a local job needs 1 to 4096 ranks, got %d", n)
	}
	g := &group{n: n, parts32: make([][]float32, n), parts64: make([][]float64, n), joined: make([]bool, n), closed: make([]bool, n)}
	g.cond = sync.NewCond(&g.mu)
	cs := make([]Comm, n)
	for r := range cs {
		cs[r] = &local{g: g, rank: r}
	}
	return cs, nil
}

// group is the state the ranks of a local job share: the collective in
// progress (its kind, the buffers deposited, the ranks arrived) and the
// generation, which the last rank to arrive advances after computing the
// result.
type group struct {
	mu      sync.Mutex
	cond    *sync.Cond
	n       int
	gen     uint64
	arrived int
	kind    string
	length  int
	root    int
	parts32 [][]float32
	parts64 [][]float64
	res32   []float32
	res64   []float64
	failed  error  // the first *RankError, or a mismatch
	joined  []bool // the ranks in the collective in progress
	closed  []bool
}

type local struct {
	g    *group
	rank int
	done bool
}

func (c *local) Rank() int { return c.rank }
func (c *local) Size() int { return c.g.n }

func (c *local) AllreduceF32(buf []float32) error { return c.collective("allreduce f32", buf, nil, 0) }
func (c *local) AllreduceF64(buf []float64) error { return c.collective("allreduce f64", nil, buf, 0) }

func (c *local) BcastF32(buf []float32, root int) error {
	if err := checkRoot(root, c.g.n); err != nil {
		return err
	}
	return c.collective("bcast f32", buf, nil, root)
}

func (c *local) BcastF64(buf []float64, root int) error {
	if err := checkRoot(root, c.g.n); err != nil {
		return err
	}
	return c.collective("bcast f64", nil, buf, root)
}

func (c *local) Barrier() error { return c.collective("barrier", nil, nil, 0) }

// Abort records err as this rank's failure and wakes every rank waiting.
func (c *local) Abort(err error) {
	g := c.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed == nil {
		g.failed = &RankError{Rank: c.rank, Err: err}
	}
	g.cond.Broadcast()
}

// Close leaves the job: a collective still waiting for this rank fails.
func (c *local) Close() error {
	g := c.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if !c.done {
		c.done = true
		g.closed[c.rank] = true
		g.cond.Broadcast()
	}
	return nil
}

// collective deposits this rank's buffer, waits for the others and copies
// the result out; the last rank to arrive computes it.
func (c *local) collective(kind string, b32 []float32, b64 []float64, root int) error {
	g := c.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.done {
		return fmt.Errorf("dist: rank %d: %s after Close", c.rank, kind)
	}
	if g.failed != nil {
		return g.failed
	}
	length := len(b32) + len(b64)
	if g.arrived == 0 {
		g.kind, g.length, g.root = kind, length, root
	} else if g.kind != kind || g.length != length || g.root != root {
		g.failed = fmt.Errorf("dist: rank %d called %s of %d elements (root %d) while another called %s of %d (root %d)",
			c.rank, kind, length, root, g.kind, g.length, g.root)
		g.cond.Broadcast()
		return g.failed
	}
	g.parts32[c.rank], g.parts64[c.rank] = b32, b64
	g.joined[c.rank] = true
	g.arrived++
	gen := g.gen
	if g.arrived == g.n {
		g.finish()
	}
	for g.gen == gen && g.failed == nil {
		if r := g.missingClosed(); r >= 0 {
			g.failed = &RankError{Rank: r, Err: ErrLeft}
			g.cond.Broadcast()
			break
		}
		g.cond.Wait()
	}
	if g.gen == gen {
		return g.failed
	}
	switch {
	case g.res32 != nil:
		copy(b32, g.res32)
	case g.res64 != nil:
		copy(b64, g.res64)
	}
	return nil
}

// finish computes the result of the collective every rank has joined and
// starts the next generation.
func (g *group) finish() {
	g.res32, g.res64 = nil, nil
	switch g.kind {
	case "allreduce f32":
		g.res32 = make([]float32, g.length)
		SumInOrderF32(g.res32, g.parts32)
	case "allreduce f64":
		g.res64 = make([]float64, g.length)
		SumInOrderF64(g.res64, g.parts64)
	case "bcast f32":
		g.res32 = append([]float32{}, g.parts32[g.root]...)
	case "bcast f64":
		g.res64 = append([]float64{}, g.parts64[g.root]...)
	}
	clear(g.parts32)
	clear(g.parts64)
	clear(g.joined)
	g.arrived = 0
	g.gen++
	g.cond.Broadcast()
}

// missingClosed is a rank that closed its Comm while a collective is
// waiting for it, or -1.
func (g *group) missingClosed() int {
	if g.arrived == 0 {
		return -1
	}
	for r, closed := range g.closed {
		if closed && !g.joined[r] {
			return r
		}
	}
	return -1
}
