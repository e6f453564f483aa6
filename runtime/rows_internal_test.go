package runtime

import (
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// TestRowConflict: rowConflict finds the first step of a candidate region
// at which a range of rows could read or overwrite another range's
// elements: a value read whole after a step of the region wrote it, and a
// buffer reused with another layout of its rows while a step of the region
// read it; it finds none where every element keeps its row.
func TestRowConflict(t *testing.T) {
	run := func(off, stride, n int) ops.RowRun { return ops.RowRun{Off: off, Stride: stride, Len: n} }
	rows := ops.RowMap{run(0, 4, 4)}                 // [2, 4], row r at 4r
	planes := ops.RowMap{run(0, 2, 2), run(4, 2, 2)} // two planes [2, 2, 2]
	cases := []struct {
		name string
		read ops.RowMap // how step 1 reads x
		outZ ops.RowMap // how step 2 writes z, in x's buffer
		want int
	}{
		{"same rows", rows, rows, -1},
		{"x read whole", nil, rows, 1},
		{"z rows laid out as planes over x", rows, planes, 2},
	}
	for _, c := range cases {
		x := &ops.Node{ID: 0, Op: ops.Add}
		y := &ops.Node{ID: 1, Op: ops.Add, In: []*ops.Node{x}}
		z := &ops.Node{ID: 2, Op: ops.Add, In: []*ops.Node{y}}
		p := &Plan{
			shapes:  [][]int{{2, 4}, {2, 4}, {2, 4}},
			Buffers: []Buffer{{DType: tensor.F32, Offset: 0, Cap: 8}, {DType: tensor.F32, Offset: 8, Cap: 8}},
			bufOf:   []int{0, 1, 0}, // z reuses x's buffer
			offset:  []int{0, 0, 0},
			Steps:   []Step{{Node: x}, {Node: y}, {Node: z}},
		}
		splits := []*ops.RowSplit{
			{Rows: 2, Out: rows},
			{Rows: 2, Out: rows, In: []ops.RowMap{c.read}},
			{Rows: 2, Out: c.outZ, In: []ops.RowMap{rows}},
		}
		if got := p.rowConflict(splits, 0, 3); got != c.want {
			t.Errorf("%s: conflict at step %d, want %d", c.name, got, c.want)
		}
	}
	// A map that leaves its value's elements ends the region there.
	x := &ops.Node{ID: 0, Op: ops.Add}
	p := &Plan{shapes: [][]int{{2, 4}}, Buffers: []Buffer{{DType: tensor.F32, Cap: 8}}, bufOf: []int{0}, offset: []int{0}, Steps: []Step{{Node: x}}}
	if got := p.rowConflict([]*ops.RowSplit{{Rows: 2, Out: ops.RowMap{run(0, 5, 4)}}}, 0, 1); got != 0 {
		t.Errorf("a row map past the value: conflict at step %d, want 0", got)
	}
}
