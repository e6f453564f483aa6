package kernels

// FusedReduce is a sum or mean, over the last axis or over every axis, of
// the values of a fused elementwise program, computed without storing them:
// the program runs over a tile of whole rows (or a tile of one long row) and
// the tile is summed at once. The additions happen in the order SumTo's
// (each row by rowSum; a sum of every element is one row), and the
// mean's scaling is ScaleRow's, so the result is bitwise that of the
// unfused ops.
type FusedReduce[T Float] struct {
	F     *Fused[T] // the program; its inputs are set with F.SetInput
	row   int       // length of a reduced row: the program's last dimension
	rows  int
	all   bool
	mean  bool
	scale T
	buf   []T
}

// A long row is summed in pieces of FusedTile elements, which rowSum's
// lanes need to be a multiple of 16.
var _ = [1]struct{}{}[FusedTile%lnLanes]

// NewFusedReduce prepares the reduction of program prog (see NewFused) of
// shape shape, over its last axis or, with all, over every axis; with mean
// the sums are divided by the number of elements they add.
func NewFusedReduce[T Float](prog []FusedInstr, imms []float64, shape []int, in [][]int, all, mean bool) (*FusedReduce[T], error) {
	f, err := NewFused[T](prog, imms, shape, in)
	if err != nil {
		return nil, err
	}
	r := &FusedReduce[T]{F: f, all: all, mean: mean, row: 1, rows: 1}
	switch {
	case all:
		r.row = numElems(shape) // one row, as NewReduceBcast walks it
	case len(shape) > 0:
		r.row, r.rows = shape[len(shape)-1], numElems(shape[:len(shape)-1])
	}
	outElems := r.rows
	if all {
		outElems = 1
	}
	// As the mean kernel computes it: kept elements over all elements (an
	// empty reduction gives 0 * Inf = NaN).
	r.scale = T(float64(outElems) / float64(numElems(shape)))
	if r.row <= FusedTile {
		r.buf = make([]T, max(FusedTile/max(r.row, 1), 1)*r.row) // whole rows
	} else {
		r.buf = make([]T, FusedTile) // pieces of one row
	}
	return r, nil
}

// Run writes the reduction into out (one element per row, or one element).
func (r *FusedReduce[T]) Run(out []T) {
	var total, zero T
	row := r.row
	if row <= FusedTile {
		per := max(FusedTile/max(row, 1), 1)
		for first := 0; first < r.rows; first += per {
			k := min(per, r.rows-first)
			d := r.buf[:k*row]
			r.F.Range(d, first*row)
			for i := range k {
				acc := rowSum(d[i*row : (i+1)*row])
				if r.all {
					total += acc
				} else {
					out[first+i] = zero + acc
				}
			}
		}
	} else {
		for rr := range r.rows {
			// Pieces of FusedTile elements, a multiple of 16, give
			// rowSum's lanes.
			var lanes [lnLanes]float64
			var rest []T
			for c := 0; c < row; c += len(r.buf) {
				d := r.buf[:min(len(r.buf), row-c)]
				r.F.Range(d, rr*row+c)
				rest = addLanes(&lanes, d)
			}
			acc := T(endLanes(&lanes, rest))
			if r.all {
				total += acc
			} else {
				out[rr] = zero + acc
			}
		}
	}
	if r.all {
		out[0] = total
	}
	if r.mean {
		for i := range out {
			out[i] *= r.scale
		}
	}
}
