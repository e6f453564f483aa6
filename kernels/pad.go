package kernels

// PadMap is a padding that reads every output element from an input
// element: reflect (x[1], x[0] | x[0], ..., x[n-1] | x[n-2], ...) or edge
// (x[0], x[0] | ... | x[n-1], x[n-1]), given by each axis's map from output
// index to input index, scaled by the input's strides.
type PadMap struct {
	in, out []int
	offs    [][]int // offs[a][j]: the input offset along axis a of output index j
}

// NewPadMap prepares the padding of shape in to shape out with lo elements
// before each axis; reflect picks reflection, else the edge is repeated.
// The caller has checked that each axis is long enough: reflection needs
// lo and the padding after below the axis's size, the edge a size of 1 or
// more (or no padding).
func NewPadMap(in, out, lo []int, reflect bool) *PadMap {
	r := len(in)
	p := &PadMap{in: in, out: out, offs: make([][]int, r)}
	stride := 1
	for a := r - 1; a >= 0; a-- {
		n := in[a]
		m := make([]int, out[a])
		for j := range m {
			i := j - lo[a]
			switch {
			case reflect && i < 0:
				i = -i
			case reflect && i >= n:
				i = 2*(n-1) - i
			case i < 0:
				i = 0
			case i >= n:
				i = n - 1
			}
			m[j] = i * stride
		}
		p.offs[a] = m
		stride *= n
	}
	return p
}

// walk calls row(o, base, offs) for each row of the output: o is the
// output offset of the row, base the input offset of its leading indices,
// offs the last axis's map.
func (p *PadMap) walk(row func(o, base int, offs []int)) {
	r := len(p.out)
	if r == 0 {
		row(0, 0, []int{0})
		return
	}
	for _, d := range p.out {
		if d == 0 {
			return
		}
	}
	idx := make([]int, r-1)
	last := p.offs[r-1]
	for o := 0; ; o += len(last) {
		base := 0
		for a, j := range idx {
			base += p.offs[a][j]
		}
		row(o, base, last)
		a := r - 2
		for ; a >= 0; a-- {
			idx[a]++
			if idx[a] < p.out[a] {
				break
			}
			idx[a] = 0
		}
		if a < 0 {
			return
		}
	}
}

// PadGather computes out = the padding of x.
func PadGather[T Float](p *PadMap, out, x []T) {
	p.walk(func(o, base int, offs []int) {
		d := out[o : o+len(offs)]
		for j, off := range offs {
			d[j] = x[base+off]
		}
	})
}

// PadScatter computes dx, the adjoint of PadGather: each element of g
// adds into the input element it was read from.
func PadScatter[T Float](p *PadMap, dx, g []T) {
	clear(dx)
	p.walk(func(o, base int, offs []int) {
		s := g[o : o+len(offs)]
		for j, off := range offs {
			dx[base+off] += s[j]
		}
	})
}
