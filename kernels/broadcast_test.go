package kernels

import "testing"

// TestBcastMergedWalk checks newBcastMerged's offsets against index
// arithmetic (source, below) for every output element, and
// that it merges the axes it should.
func TestBcastMergedWalk(t *testing.T) {
	cases := []struct {
		out, a, b []int
		row, rows int // the merged walk's rows
	}{
		{[]int{4, 3, 5, 6}, []int{3, 1, 1}, []int{4, 3, 5, 6}, 30, 12},   // a bias over planes
		{[]int{4, 3, 5, 6}, []int{1, 3, 5, 6}, []int{4, 3, 5, 6}, 90, 4}, // whole trailing block
		{[]int{2, 4, 3}, []int{2, 1, 3}, []int{4, 1}, 3, 8},
		{[]int{2, 1, 4}, []int{1, 1, 4}, []int{2, 1, 1}, 4, 2},
		{[]int{3, 1}, []int{3, 1}, []int{1, 1}, 3, 1},
		{[]int{1, 1}, []int{1}, []int{1, 1}, 1, 1},
		{[]int{2, 3, 4, 5}, []int{3, 1, 5}, []int{2, 1, 1, 1}, 5, 24},
	}
	for _, c := range cases {
		p := newBcastMerged(c.out, c.a, c.b)
		idx, off := p.Scratch(), make([]int, 2)
		n := numElems(c.out)
		if p.Rows*p.Row != n || p.Row != c.row || p.Rows != c.rows {
			t.Fatalf("%v: %d rows of %d, want %d of %d", c.out, p.Rows, p.Row, c.rows, c.row)
		}
		for r := range p.Rows {
			p.Offsets(r, idx, off)
			for j := range p.Row {
				o := r*p.Row + j
				for k, s := range [][]int{c.a, c.b} {
					got := off[k] + j*p.Inner[k]
					if want := source(o, c.out, s); got != want {
						t.Fatalf("%v: output %d reads operand %d at %d, want %d", c.out, o, k, got, want)
					}
				}
			}
		}
	}
}

// TestBcastWalk checks NewBcast's offsets against index arithmetic: for
// every output element, the operand element it reads.
func TestBcastWalk(t *testing.T) {
	cases := []struct{ out, a, b []int }{
		{[]int{2, 4, 3}, []int{2, 1, 3}, []int{4, 1}},
		{[]int{3, 4}, []int{4}, []int{3, 4}},
		{[]int{2, 3}, []int{}, []int{2, 3}},
		{[]int{5}, []int{5}, []int{5}},
		{[]int{2, 1, 4}, []int{1, 1, 4}, []int{2, 1, 1}},
		{[]int{}, []int{}, []int{}},
	}
	for _, c := range cases {
		p := NewBcast(c.out, c.a, c.b)
		idx, off := p.Scratch(), make([]int, 2)
		n := numElems(c.out)
		if p.Rows*p.Row != n {
			t.Fatalf("%v: %d rows of %d for %d elements", c, p.Rows, p.Row, n)
		}
		for r := range p.Rows {
			p.Offsets(r, idx, off)
			for j := range p.Row {
				o := r*p.Row + j
				for k, s := range [][]int{c.a, c.b} {
					got := off[k] + j*p.Inner[k]
					if want := source(o, c.out, s); got != want {
						t.Fatalf("%v: output %d reads operand %d at %d, want %d", c, o, k, got, want)
					}
				}
			}
		}
	}
}

// source is the flat index in shape s of the element that output element o
// of shape out reads under broadcasting.
func source(o int, out, s []int) int {
	idx := make([]int, len(out))
	for i := len(out) - 1; i >= 0; i-- {
		idx[i] = o % out[i]
		o /= out[i]
	}
	f := 0
	for i, d := range s {
		v := idx[i+len(out)-len(s)]
		if d == 1 {
			v = 0
		}
		f = f*d + v
	}
	return f
}

// TestBinaryEmpty: an empty output (an axis of size 0 anywhere) computes
// nothing and reads nothing; it used to slice an empty operand at [0:1].
func TestBinaryEmpty(t *testing.T) {
	for _, c := range [][3][]int{
		{{2, 0, 4}, {2, 0, 4}, {2, 0, 4}},
		{{2, 0, 4}, {1}, {2, 0, 4}},
		{{0, 3}, {0, 3}, {3}},
	} {
		p := newBcastMerged(c[0], c[1], c[2])
		a, b := make([]float32, numElems(c[1])), make([]float32, numElems(c[2]))
		called := false
		Binary(p, []float32{}, a, b, p.Scratch(), make([]int, 2), func(dst, x, y []float32) { called = true })
		if called {
			t.Errorf("%v: a row was computed for an empty output", c[0])
		}
	}
}
