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
// A large one is split by output rows among the pool's goroutines (walkRun).
func TransposeRun[T any](t *Transpose, dst, src []T) {
	if len(t.out) == 0 {
		copy(dst, src[:1])
		return
	}
	walkRun(t.out, t.stride, 0, dst, src, t.idx)
}
