package kernels

// Strided walks: a tensor of shape shape, row-major, whose element
// (i0, i1, ...) sits at base + Σ ik·stride[k] in another tensor's data. A
// Transpose and a View's Gather copy through one. A large walk splits its
// rows (rows of its last axis) among the pool's goroutines in runs of
// consecutive rows, so that each goroutine writes one part of the result
// and, when the source was split by rows too (the product before a split
// of heads, say), reads what it wrote itself: on the two-vCPU guest of
// gemm_pool.go a line another core wrote costs many times a local one.
// Each element is copied, so the result is the same however the rows are
// split.

// dataMinWork is the least work (parMinWork's units) a data movement
// splits when its rows keep the source's order (outerFirst): a quarter of
// parMinWork, since such a step mostly runs between parallel products,
// whose helpers are still spinning (0.3 µs to start, as cellMinWork), and
// copying what the other core wrote is what costs most. A walk that
// reorders the outer axes (an LSTM's [B, T] to [T, B]) reads every part of
// its source from every run of rows, so splitting it moves lines between
// the cores whoever wrote them: it splits from parMinWork (a paired
// comparison of the LSTM step at two threads ran 3% slower with such
// transposes split from dataMinWork).
const dataMinWork = parMinWork / 4

// outerFirst says whether the walk's first axis is also the outermost in
// its source: its stride spans all the inner axes', so that a run of the
// walk's rows reads one run of the source (a slice of whole rows, a
// transpose that keeps the batch axis first).
func outerFirst(shape, stride []int) bool {
	s0 := absInt(stride[0])
	for k := 1; k < len(shape); k++ {
		if s0 < absInt(stride[k])*shape[k] {
			return false
		}
	}
	return true
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// walkUnit: an element gathered from a stride costs about a unit of
// parMinWork's work, one copied in a contiguous run a quarter of it.
const walkUnit = 4

// walkRun copies the walk (shape, stride, base) of src into dst, in tasks
// when that pays; idx is scratch of len(shape)-1 for a serial run.
func walkRun[T any](shape, stride []int, base int, dst, src []T, idx []int) {
	r := len(shape)
	n := numElems(shape)
	if n == 0 {
		return
	}
	row := shape[r-1]
	rows := n / row
	cost := walkUnit
	if stride[r-1] == 1 {
		cost = 1
	}
	least := parMinWork
	if outerFirst(shape, stride) {
		least = dataMinWork
	}
	if tasks, per := splitTasksFrom(rows, row*cost/walkUnit+1, least); tasks > 1 {
		w := getWalkRunner[T](r)
		w.shape, w.stride, w.base = shape, stride, base
		w.dst, w.src, w.rows, w.per, w.par.tasks = dst, src, rows, per, tasks
		w.par.run()
		w.shape, w.stride, w.dst, w.src = nil, nil, nil, nil
		putRunner(w)
		return
	}
	walkRows(shape, stride, base, dst, src, idx[:r-1], 0, rows)
}

// walkRows copies rows [lo, hi) of the walk into dst; idx is scratch of
// len(shape)-1.
func walkRows[T any](shape, stride []int, base int, dst, src []T, idx []int, lo, hi int) {
	r := len(shape)
	row, s := shape[r-1], stride[r-1]
	for i, q := r-2, lo; i >= 0; i-- {
		idx[i] = q % shape[i]
		q /= shape[i]
		base += idx[i] * stride[i]
	}
	for o := lo * row; o < hi*row; o += row {
		d := dst[o : o+row]
		if s == 1 {
			copy(d, src[base:base+row])
		} else {
			for j, k := 0, base; j < row; j, k = j+1, k+s {
				d[j] = src[k]
			}
		}
		// Advance the outer index like an odometer, keeping base in step.
		for i := r - 2; i >= 0; i-- {
			idx[i]++
			base += stride[i]
			if idx[i] < shape[i] {
				break
			}
			base -= idx[i] * stride[i]
			idx[i] = 0
		}
	}
}

// walkRunner is the prepared state of a parallel walk, kept in a free list
// per element type (as rowRunner).
type walkRunner[T any] struct {
	par           *parFor
	shape, stride []int
	base          int
	dst, src      []T
	rows, per     int
	idx           [][]int // per participant: the odometer
}

// getWalkRunner returns an idle runner for T whose odometers hold rank
// axes.
func getWalkRunner[T any](rank int) *walkRunner[T] {
	w := takeRunner[walkRunner[T]]()
	if w == nil {
		w = &walkRunner[T]{}
		w.par = newParFor(0, w.task)
		w.idx = make([][]int, w.par.participants())
	}
	for p := range w.idx {
		if len(w.idx[p]) < rank {
			w.idx[p] = make([]int, rank)
		}
	}
	return w
}

func (w *walkRunner[T]) task(p, k int) {
	walkRows(w.shape, w.stride, w.base, w.dst, w.src, w.idx[p][:len(w.shape)-1], k*w.per, min((k+1)*w.per, w.rows))
}

// concatRunner is the prepared state of a parallel Concat.
type concatRunner[T any] struct {
	par        *parFor
	dst        []T
	srcs       [][]T
	rows       []int
	width, per int
	outer      int
	parts      int // not 0: the tasks copy parts of every operand (a single outer row)
}

// concatRows copies the operands' outer rows [lo, hi) into dst, whose rows
// are width long.
func concatRows[T any](dst []T, srcs [][]T, rows []int, width, lo, hi int) {
	o := lo * width
	for i := lo; i < hi; i++ {
		for k, s := range srcs {
			n := rows[k]
			copy(dst[o:o+n], s[i*n:(i+1)*n])
			o += n
		}
	}
}

func (c *concatRunner[T]) task(_, k int) {
	if c.parts == 0 {
		concatRows(c.dst, c.srcs, c.rows, c.width, k*c.per, min((k+1)*c.per, c.outer))
		return
	}
	// part k of each operand: whole 64-byte lines where the operand allows
	part := func(n, k int) int {
		if k >= c.parts {
			return n
		}
		return k * n / c.parts &^ 15
	}
	o := 0
	for s, src := range c.srcs {
		n := c.rows[s]
		lo, hi := part(n, k), part(n, k+1)
		copy(c.dst[o+lo:o+hi], src[lo:hi])
		o += n
	}
}
