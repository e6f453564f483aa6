package kernels

// The fused recurrent cells (lstm.go, gru.go) share one way of running a
// call: rows are independent and split into tasks fixed by the shape (so
// results are bitwise the same for any number of threads), each task with
// its own temporaries, on a pooled runner that steady calls reuse without
// allocating.

// cellMaxPlanes is the most planes a cell's result has (the LSTM's seven).
const cellMaxPlanes = LSTMPlanes

// cellCall is one call of a cell's forward or backward: dst the result,
// a, b and c its operands (which ones a cell uses, and for what, is its
// own), g the gradients of its result's planes (all nil in a forward; nil
// for a plane whose gradient is zero in a backward).
type cellCall[T Float] struct {
	dst, a, b, c []T
	g            [cellMaxPlanes][]T
	rows, h      int
}

// cellBody selects the rows a cellRunner runs (a value, not a func: a
// generic function's value would allocate on every call).
type cellBody int

const (
	lstmBody cellBody = iota // lstmRows
	gruBody                  // gruRows
)

// cellRunner is a pooled runner of cell calls: task t runs its body's rows
// [t·per, (t+1)·per) with the temporaries buf[t·scratch:].
type cellRunner[T Float] struct {
	par          *parFor
	body         cellBody
	call         cellCall[T]
	buf          []T
	v            lstmVec[T]
	per, scratch int
}

// cellMinWork is the least work a cell call splits: a quarter of
// parMinWork, since a recurrent cell runs right after its step's product,
// which left the pool's helpers spinning (0.3 µs to start one, against 9
// µs parked: BenchmarkParallelOverhead); an LSTM cell of 32 rows of 128
// units (19 µs on one core) then runs on two.
const cellMinWork = parMinWork / 4

// runCell runs body over k's rows: work is the cost of one hidden unit of
// one row in parMinWork's units, scratch the temporaries a task needs.
func runCell[T Float](body cellBody, work, scratch int, k cellCall[T]) {
	if k.rows <= 0 || k.h <= 0 {
		return
	}
	tasks, per := splitTasksFrom(k.rows, k.h*work, cellMinWork)
	r := takeRunner[cellRunner[T]]()
	if r == nil {
		r = &cellRunner[T]{}
		r.par = newParFor(0, r.task)
	}
	if need := tasks * scratch; len(r.buf) < need {
		r.buf = make([]T, need) // the first calls of a runner with more tasks
	}
	r.body, r.call, r.v, r.per, r.scratch = body, k, newLSTMVec[T](), per, scratch
	r.par.tasks = tasks
	if tasks < 2 {
		r.task(0, 0)
	} else {
		r.par.run()
	}
	r.call = cellCall[T]{}
	putRunner(r)
}

func (r *cellRunner[T]) task(_, t int) {
	tmp := r.buf[t*r.scratch : (t+1)*r.scratch]
	lo, hi := t*r.per, min((t+1)*r.per, r.call.rows)
	switch r.body {
	case lstmBody:
		lstmRows(r.v, &r.call, tmp, lo, hi)
	case gruBody:
		gruRows(r.v, &r.call, tmp, lo, hi)
	}
}

// CellKind names one of the fused cell kernels, for CellPart.
type CellKind int

// The cell kernels, with their operands in CellPart.Run's order.
const (
	CellLSTM      CellKind = iota // LSTMCell: gates, c
	CellLSTMGrad                  // LSTMCellGrad: y, c, g
	CellLSTMGrad2                 // LSTMCellGrad2: y, c, dh, dc
	CellGRU                       // GRUCell: xw, hw, hp
	CellGRUGrad                   // GRUCellGrad: y, hp, g
	CellGRUGradH                  // GRUCellGradH: y, hp, dh
)

// cellCallOf is the call of kind's kernel with the operands x in its
// function's order, for rows rows of h units.
func cellCallOf[T Float](kind CellKind, dst []T, rows, h int, x ...[]T) cellCall[T] {
	k := cellCall[T]{dst: dst, rows: rows, h: h}
	planes := func(g []T, n int) {
		for p := range n {
			k.g[p] = g[p*rows*h : (p+1)*rows*h]
		}
	}
	switch kind {
	case CellLSTM:
		k.a, k.c = x[0], x[1]
	case CellLSTMGrad:
		k.a, k.c = x[0], x[1]
		planes(x[2], LSTMPlanes)
	case CellLSTMGrad2:
		k.a, k.c, k.g[0], k.g[1] = x[0], x[1], x[2], x[3]
	case CellGRU:
		k.a, k.b, k.c = x[0], x[1], x[2]
	case CellGRUGrad:
		k.a, k.c = x[0], x[1]
		planes(x[2], GRUPlanes)
	case CellGRUGradH:
		k.a, k.c, k.g[0] = x[0], x[1], x[2]
	default:
		panic("kernels: unknown cell kind")
	}
	return k
}

// CellPart runs ranges of rows of the cell kernels on the calling
// goroutine, for a caller that splits the rows itself (the runtime's row
// regions); each goroutine running ranges at once needs its own. A row's
// result is the same whichever range computes it.
type CellPart[T Float] struct {
	v   lstmVec[T]
	tmp []T
}

// CellPartScratch is the elements of a CellPart's temporaries.
const CellPartScratch = max(lstmScratch, gruScratch)

// NewCellPart returns a CellPart with its temporaries.
func NewCellPart[T Float]() *CellPart[T] {
	return &CellPart[T]{v: newLSTMVec[T](), tmp: make([]T, CellPartScratch)}
}

// Run computes rows [lo, hi) of kind's kernel for rows rows of h units,
// with the operands x in the order of its function (LSTMCell's gates and c,
// and so on: CellKind).
func (p *CellPart[T]) Run(kind CellKind, dst []T, rows, h, lo, hi int, x ...[]T) {
	if lo < 0 || hi > rows || lo > hi {
		panic("kernels.CellPart.Run: rows out of range")
	}
	k := cellCallOf(kind, dst, rows, h, x...)
	if kind <= CellLSTMGrad2 {
		lstmRows(p.v, &k, p.tmp, lo, hi)
	} else {
		gruRows(p.v, &k, p.tmp, lo, hi)
	}
}
