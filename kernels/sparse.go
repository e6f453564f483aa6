package kernels

// Products with a sparse matrix A in CSR form: row pointers ptr (rows+1
// entries, from 0, non-decreasing, to nnz), column indices col and values
// val (nnz entries each); row i holds the entries ptr[i] to ptr[i+1]-1.
// Dense operands are row-major matrices of f columns. Every kernel splits
// its result rows into tasks fixed by the shapes, each task writing only
// its own rows and summing in entry order, so results are bitwise the same
// for any number of goroutines (no racing scatter-adds: the transposed
// product sorts the entries by column first). The kernels read ptr and col
// as given: callers check them with CSRFault first.

// CSRFault checks a CSR structure whose matrix has cols columns. It
// returns at = -1 when ptr starts at 0, never decreases and ends at
// len(col), and every column index is in [0, cols); otherwise at is the
// position of the first faulty entry, part says which vector holds it (0:
// ptr, 1: col), v is its value and [lo, hi) the range it had to be in.
func CSRFault(ptr, col []int32, cols int) (at, part int, v, lo, hi int64) {
	nnz := int64(len(col))
	prev := int64(0)
	for i, p := range ptr {
		q := int64(p)
		switch {
		case i == 0 && q != 0:
			return 0, 0, q, 0, 1
		case i == len(ptr)-1 && q != nnz:
			return i, 0, q, nnz, nnz + 1
		case q < prev || q > nnz:
			return i, 0, q, prev, nnz + 1
		}
		prev = q
	}
	if len(ptr) == 0 {
		return 0, 0, 0, 0, 0
	}
	for k, c := range col {
		if c < 0 || int(c) >= cols {
			return k, 1, int64(c), 0, int64(cols)
		}
	}
	return -1, 0, 0, 0, 0
}

// rowTasks splits rows rows of about work element visits each into tasks.
func rowTasks(rows, nnz, f int) (tasks, per int) {
	work := max(1, f)
	if rows > 0 {
		work = max(1, (nnz+rows)*max(f, 1)/rows)
	}
	return splitTasks(rows, work)
}

// csrRows computes rows [lo, hi) of a product of a CSR matrix (ptr, col)
// with dense operands a and b of f columns into out.
type csrRows[T Float] func(out []T, ptr, col []int32, a, b []T, f, lo, hi int)

// csrProduct runs a csrRows function over all rows, in row-range tasks
// fixed by the shapes (so any thread count gives the same bits): the
// driver Spmm and Sddmm share.
type csrProduct[T Float] struct {
	rows, f   int
	per       int
	par       *parFor
	fn        csrRows[T]
	out, a, b []T
	ptr, col  []int32
}

func newCSRProduct[T Float](rows, f int, fn csrRows[T]) csrProduct[T] {
	return csrProduct[T]{rows: rows, f: f, fn: fn}
}

// start makes the parallel driver once the product has its final address.
func (s *csrProduct[T]) start(nnz int) {
	var tasks int
	tasks, s.per = rowTasks(s.rows, nnz, s.f)
	if tasks > 1 {
		s.par = newParFor(tasks, s.task)
	}
}

// Run computes out from a checked CSR structure and the dense operands.
func (s *csrProduct[T]) Run(out []T, ptr, col []int32, a, b []T) {
	if s.par == nil {
		s.fn(out, ptr, col, a, b, s.f, 0, s.rows)
		return
	}
	s.out, s.ptr, s.col, s.a, s.b = out, ptr, col, a, b
	s.par.run()
	s.out, s.ptr, s.col, s.a, s.b = nil, nil, nil, nil, nil
}

func (s *csrProduct[T]) task(_, t int) {
	lo := t * s.per
	s.fn(s.out, s.ptr, s.col, s.a, s.b, s.f, lo, min(lo+s.per, s.rows))
}

// Spmm computes out = A·X for A of rows rows (CSR) and X of f columns:
// row i of out is the sum, in entry order, of val[k]·X[col[k], :] over the
// entries k of row i (no entries: zeros). Run(out, ptr, col, val, x) takes
// out rows×f and x cols×f.
type Spmm[T Float] struct{ csrProduct[T] }

// NewSpmm prepares Spmm for A of rows rows and nnz entries and a dense
// operand of f columns.
func NewSpmm[T Float](rows, nnz, f int) *Spmm[T] {
	s := &Spmm[T]{newCSRProduct(rows, f, spmmRows[T])}
	s.start(nnz)
	return s
}

// spmmRows computes rows [lo, hi) of A·X.
func spmmRows[T Float](out []T, ptr, col []int32, val, x []T, f, lo, hi int) {
	for i := lo; i < hi; i++ {
		o := out[i*f : (i+1)*f]
		clear(o)
		for k := ptr[i]; k < ptr[i+1]; k++ {
			j := int(col[k])
			axpyRow(o, val[k], x[j*f:(j+1)*f])
		}
	}
}

// SpmmT computes out = Aᵀ·G for A of rows rows and cols columns (CSR)
// and G of rows rows and f columns: row j of out is the sum of
// val[k]·G[row(k), :] over the entries k in column j, in entry order. It
// sorts the entries by column (a stable counting sort into buffers kept
// from call to call) and then computes each output row on its own.
type SpmmT[T Float] struct {
	rows, cols, f int
	tasks, per    int
	par           *parFor
	tptr          []int32 // cols+1 pointers into trow and tsrc
	trow, tsrc    []int32 // per entry sorted by column: its row and its index
	out, val, g   []T
}

// SpmmTScratch is the bytes of the buffers SpmmT keeps for a matrix of
// cols columns and nnz entries.
func SpmmTScratch(cols, nnz int) int64 {
	return AddBytes(bufBytes(int64(cols)+1, 4), 2*bufBytes(int64(nnz), 4))
}

// NewSpmmT prepares SpmmT for A of rows×cols with nnz entries and a dense
// operand of f columns.
func NewSpmmT[T Float](rows, cols, nnz, f int) *SpmmT[T] {
	s := &SpmmT[T]{rows: rows, cols: cols, f: f,
		tptr: make([]int32, cols+1), trow: make([]int32, nnz), tsrc: make([]int32, nnz)}
	s.tasks, s.per = rowTasks(cols, nnz, f)
	if s.tasks > 1 {
		s.par = newParFor(s.tasks, s.task)
	}
	return s
}

// Run computes out (cols×f) from a checked CSR structure, its values and
// g (rows×f).
func (s *SpmmT[T]) Run(out []T, ptr, col []int32, val, g []T) {
	tp := s.tptr
	clear(tp)
	for _, c := range col {
		tp[c+1]++
	}
	for j := 1; j <= s.cols; j++ {
		tp[j] += tp[j-1]
	}
	for i := range s.rows {
		for k := ptr[i]; k < ptr[i+1]; k++ {
			c := col[k]
			p := tp[c]
			s.trow[p], s.tsrc[p] = int32(i), k
			tp[c]++
		}
	}
	// tp[j] is now the end of column j: shift it back to the starts.
	copy(tp[1:], tp[:s.cols])
	tp[0] = 0
	if s.par == nil {
		s.rowsOf(out, val, g, 0, s.cols)
		return
	}
	s.out, s.val, s.g = out, val, g
	s.par.run()
	s.out, s.val, s.g = nil, nil, nil
}

func (s *SpmmT[T]) task(_, t int) {
	lo := t * s.per
	s.rowsOf(s.out, s.val, s.g, lo, min(lo+s.per, s.cols))
}

// rowsOf computes rows [lo, hi) of Aᵀ·G from the sorted entries.
func (s *SpmmT[T]) rowsOf(out, val, g []T, lo, hi int) {
	f := s.f
	for j := lo; j < hi; j++ {
		o := out[j*f : (j+1)*f]
		clear(o)
		for p := s.tptr[j]; p < s.tptr[j+1]; p++ {
			i := int(s.trow[p])
			axpyRow(o, val[s.tsrc[p]], g[i*f:(i+1)*f])
		}
	}
}

// Sddmm computes, for every entry k of A (rows rows, CSR), out[k] =
// G[row(k), :]·X[col[k], :] with G of rows rows and X of cols rows, both of
// f columns: A's pattern sampled from G·Xᵀ (the gradient of A·X with
// respect to A's values). Run(out, ptr, col, g, x) takes out of nnz.
type Sddmm[T Float] struct{ csrProduct[T] }

// NewSddmm prepares Sddmm for A of rows rows and nnz entries and dense
// operands of f columns.
func NewSddmm[T Float](rows, nnz, f int) *Sddmm[T] {
	s := &Sddmm[T]{newCSRProduct(rows, f, sddmmRows[T])}
	s.start(nnz)
	return s
}

// sddmmRows computes the entries of rows [lo, hi) of G·Xᵀ sampled at A.
func sddmmRows[T Float](out []T, ptr, col []int32, g, x []T, f, lo, hi int) {
	for i := lo; i < hi; i++ {
		gi := g[i*f : (i+1)*f]
		for k := ptr[i]; k < ptr[i+1]; k++ {
			j := int(col[k])
			out[k] = dotRow(gi, x[j*f:(j+1)*f])
		}
	}
}

// axpyRow adds a·x to dst (len(x) ≥ len(dst)), four elements a step.
func axpyRow[T Float](dst []T, a T, x []T) {
	x = x[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d, s := dst[i:i+4:i+4], x[i:i+4:i+4]
		d[0] += a * s[0]
		d[1] += a * s[1]
		d[2] += a * s[2]
		d[3] += a * s[3]
	}
	for ; i < len(dst); i++ {
		dst[i] += a * x[i]
	}
}

// dotRow is a·b (len(b) ≥ len(a)) in four partial sums added in a fixed
// order.
func dotRow[T Float](a, b []T) T {
	b = b[:len(a)]
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
