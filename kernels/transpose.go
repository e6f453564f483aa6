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
	row, s := t.out[r-1], t.stride[r-1]
	idx := t.idx[:r-1]
	clear(idx)
	base := 0
	for o := 0; o < n; o += row {
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
