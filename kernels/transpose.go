package kernels

// Transpose is a prepared permutation of axes: out's axis i is in's axis
// perm[i].
type Transpose struct {
	out    []int // output shape, size-1 axes dropped and axes contiguous in both merged
	stride []int // per output axis, the stride of that axis in the input
	idx    []int // scratch: the index of the current output row
}

// NewTranspose prepares the permutation perm of a tensor of shape in.
func NewTranspose(in []int, perm []int) *Transpose {
	r := len(in)
	st := make([]int, r)
	acc := 1
	for i := r - 1; i >= 0; i-- {
		st[i] = acc
		acc *= in[i]
	}
	t := &Transpose{idx: make([]int, r)}
	for _, p := range perm {
		n, s := in[p], st[p]
		switch k := len(t.out) - 1; {
		case n == 1:
			continue // a size-1 axis moves nothing
		case k >= 0 && t.stride[k] == s*n:
			// Contiguous with the previous output axis in the input too:
			// one axis of their joint size.
			t.out[k] *= n
			t.stride[k] = s
			continue
		}
		t.out = append(t.out, n)
		t.stride = append(t.stride, s)
	}
	if numElems(in) == 0 {
		t.out, t.stride = []int{0}, []int{1}
	}
	return t
}

// TransposeRun writes the permutation of src into dst. Runs that are
// contiguous in src (the permutation keeps the last axes) are copied whole.
// A large one is split by output rows among the pool's goroutines (each
// element is copied, so the result is the same however it is split).
func TransposeRun[T any](t *Transpose, dst, src []T) {
	r := len(t.out)
	if r == 0 {
		copy(dst, src[:1])
		return
	}
	n := numElems(t.out)
	if n == 0 {
		return
	}
	rows := n / t.out[r-1]
	if tasks, per := splitTasks(rows, t.out[r-1]*transposeCost(t)/transposeUnit+1); tasks > 1 {
		tr := getTransposeRunner[T](r)
		tr.t, tr.dst, tr.src, tr.rows, tr.per, tr.par.tasks = t, dst, src, rows, per, tasks
		tr.par.run()
		tr.t, tr.dst, tr.src = nil, nil, nil
		putRunner(tr)
		return
	}
	transposeRows(t, dst, src, t.idx[:r-1], 0, rows)
}

// transposeUnit and transposeCost: an element gathered from a stride costs
// about a unit of parMinWork's work, one copied in a contiguous run a
// quarter of it.
const transposeUnit = 4

func transposeCost(t *Transpose) int {
	if t.stride[len(t.stride)-1] == 1 {
		return 1
	}
	return transposeUnit
}

// transposeRows writes output rows [lo, hi) (rows of t.out's last axis);
// idx is scratch of len(t.out)-1.
func transposeRows[T any](t *Transpose, dst, src []T, idx []int, lo, hi int) {
	r := len(t.out)
	row, s := t.out[r-1], t.stride[r-1]
	base := 0
	for i, q := r-2, lo; i >= 0; i-- {
		idx[i] = q % t.out[i]
		q /= t.out[i]
		base += idx[i] * t.stride[i]
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
			base += t.stride[i]
			if idx[i] < t.out[i] {
				break
			}
			base -= idx[i] * t.stride[i]
			idx[i] = 0
		}
	}
}

// transposeRunner is the prepared state of a parallel TransposeRun, kept
// in a free list per element type (as rowRunner).
type transposeRunner[T any] struct {
	par       *parFor
	t         *Transpose
	dst, src  []T
	rows, per int
	idx       [][]int // per participant: the odometer
}

// getTransposeRunner returns an idle runner for T whose odometers hold rank
// axes.
func getTransposeRunner[T any](rank int) *transposeRunner[T] {
	r := takeRunner[transposeRunner[T]]()
	if r == nil {
		r = &transposeRunner[T]{}
		r.par = newParFor(0, r.task)
		r.idx = make([][]int, r.par.participants())
	}
	for w := range r.idx {
		if len(r.idx[w]) < rank {
			r.idx[w] = make([]int, rank)
		}
	}
	return r
}

func (r *transposeRunner[T]) task(w, k int) {
	transposeRows(r.t, r.dst, r.src, r.idx[w][:len(r.t.out)-1], k*r.per, min((k+1)*r.per, r.rows))
}
