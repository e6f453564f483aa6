package kernels

// Comparisons and logical ops giving bool tensors, with broadcasting, and
// the any/all reductions over bools.

// Ordered is the element types comparisons take.
type Ordered interface {
	~float32 | ~float64 | ~int32 | ~int64
}

// Compare writes dst = x <op> y elementwise with broadcasting (p walks dst
// over x and y; idx and off come from p.Scratch and make([]int, 2)). op is
// one of "eq", "ne", "lt", "le", "gt", "ge"; a NaN compares unequal to
// everything (IEEE 754, as NumPy).
func Compare[T Ordered](p *Bcast, op string, dst []bool, x, y []T, idx, off []int) {
	n := p.Row
	if n == 0 {
		return
	}
	for r := 0; r < p.Rows; r++ {
		p.Offsets(r, idx, off)
		d := dst[r*n : (r+1)*n]
		a, b := x[off[0]:], y[off[1]:]
		sa, sb := p.Inner[0], p.Inner[1]
		switch op {
		case "eq":
			for i := range d {
				d[i] = a[i*sa] == b[i*sb]
			}
		case "ne":
			for i := range d {
				d[i] = a[i*sa] != b[i*sb]
			}
		case "lt":
			for i := range d {
				d[i] = a[i*sa] < b[i*sb]
			}
		case "le":
			for i := range d {
				d[i] = a[i*sa] <= b[i*sb]
			}
		case "gt":
			for i := range d {
				d[i] = a[i*sa] > b[i*sb]
			}
		case "ge":
			for i := range d {
				d[i] = a[i*sa] >= b[i*sb]
			}
		}
	}
}

// EqualBool writes dst = (x == y) (or x != y when ne) on bools with broadcasting.
func EqualBool(p *Bcast, ne bool, dst, x, y []bool, idx, off []int) {
	Binary(p, dst, x, y, idx, off, func(d, a, b []bool) {
		sa, sb := min(1, len(a)-1), min(1, len(b)-1)
		if len(d) == 1 {
			sa, sb = 0, 0
		}
		for i := range d {
			d[i] = (a[i*sa] == b[i*sb]) != ne
		}
	})
}

// Logical writes dst = x && y (or x || y when or) with broadcasting.
func Logical(p *Bcast, or bool, dst, x, y []bool, idx, off []int) {
	Binary(p, dst, x, y, idx, off, func(d, a, b []bool) {
		sa, sb := min(1, len(a)-1), min(1, len(b)-1)
		if len(d) == 1 {
			sa, sb = 0, 0
		}
		for i := range d {
			if or {
				d[i] = a[i*sa] || b[i*sb]
			} else {
				d[i] = a[i*sa] && b[i*sb]
			}
		}
	})
}

// Not writes dst = !x.
func Not(dst, x []bool) {
	for i, v := range x {
		dst[i] = !v
	}
}

// AnyAll reduces x of shape s over the axes marked in reduced into dst (the
// shape s with those axes removed, row-major): any when all is false, all
// otherwise. An empty reduction gives false for any and true for all
// (NumPy). idx is scratch of len(s).
func AnyAll(dst, x []bool, s []int, reduced []bool, all bool, idx []int) {
	for i := range dst {
		dst[i] = all
	}
	if len(x) == 0 {
		return
	}
	clear(idx)
	for _, v := range x {
		o := 0
		for k, d := range s {
			if !reduced[k] {
				o = o*d + idx[k]
			}
		}
		if v != all {
			dst[o] = v
		}
		for k := len(s) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < s[k] {
				break
			}
			idx[k] = 0
		}
	}
}
