package ops

import (
	"github.com/nnclang/nnc/kernels"
	"github.com/nnclang/nnc/tensor"
)

// Row splits. Some steps compute each row of their result (a row of a
// batch) from the same row of their operands alone: a matrix product by a
// weight, a recurrent cell. A runtime that finds many such steps in a row
// (an unrolled recurrence: a product and a cell per time step) runs each
// range of rows through all of them on one core, with no hand-off between
// the steps, instead of splitting every small step across the cores. A
// RowSplit tells it where each row lies in the step's result and operands,
// so that it can check that a range only ever reads what the same range
// wrote, and runs the step's rows.

// RowRun is one run of a row's elements in a value, as a flat index: row r
// holds elements [Off + r·Stride, Off + r·Stride + Len).
type RowRun struct{ Off, Stride, Len int }

// RowMap lists where each row of a value lies, one RowRun per run of
// elements (the planes of a cell's result are several runs). A nil RowMap
// stands for the whole value, which every row reads.
type RowMap []RowRun

// RowFunc computes rows [lo, hi) of a step's result o from its operands
// in; ws lends memory it needs only while it runs.
type RowFunc func(ws *kernels.Workspace, o *tensor.Tensor, in []*tensor.Tensor, lo, hi int)

// RowSplit is a step prepared to run by ranges of its rows: row r of the
// result (Out) is computed from row r of each operand (In[k]; nil: the
// whole operand) and nothing else, and every element of the result belongs
// to exactly one row. A row's result does not depend on which range
// computes it.
type RowSplit struct {
	Rows int
	Out  RowMap
	In   []RowMap
	// Workspace is the elements of the step's dtype that a part borrows
	// from its RowFunc's workspace, for any range.
	Workspace int
	// Prepare, when not nil, runs once a run, on one goroutine, before any
	// range of the step (a product packs its weight).
	Prepare func(ctx *Ctx, in []*tensor.Tensor)
	// Part returns a RowFunc with state of its own: one for each goroutine
	// that runs ranges at once.
	Part func() RowFunc
	// PartBytes bounds the memory a RowFunc of Part keeps (its
	// temporaries; the plan counts it with its scratch).
	PartBytes int64
}

// rowsOf is the RowMap of a value whose first axis is the rows.
func rowsOf(shape []int) RowMap {
	w := 1
	for _, d := range shape[1:] {
		w *= d
	}
	return RowMap{{0, w, w}}
}

// planeRows is the RowMap of p planes of [rows, w]: row r is one run in
// each plane.
func planeRows(p, rows, w int) RowMap {
	m := make(RowMap, p)
	for k := range m {
		m[k] = RowRun{k * rows * w, w, w}
	}
	return m
}

// floatRows returns f32 or f64's part maker for n's element type.
func floatRows(n *Node, f32, f64 func() RowFunc) func() RowFunc {
	if n.Type.DType == F64 {
		return f64
	}
	return f32
}

// cellRows is the RowSplit of a recurrent cell kernel of kind, for rows
// rows of h units, whose result and operands lie as out and in say.
func cellRows(n *Node, kind kernels.CellKind, rows, h int, out RowMap, in ...RowMap) *RowSplit {
	if n.Type.DType != F32 && n.Type.DType != F64 {
		return nil
	}
	return &RowSplit{Rows: rows, Out: out, In: in, Part: floatRows(n,
		cellPart(kind, rows, h, func(t *tensor.Tensor) []float32 { return t.F32 }),
		cellPart(kind, rows, h, func(t *tensor.Tensor) []float64 { return t.F64 })),
		PartBytes: kernels.MulBytes(kernels.CellPartScratch, int64(n.Type.DType.Size()))}
}

// cellPart makes cellRows' RowFuncs for element type T, get the data of a
// tensor.
func cellPart[T kernels.Float](kind kernels.CellKind, rows, h int, get func(*tensor.Tensor) []T) func() RowFunc {
	return func() RowFunc {
		p := kernels.NewCellPart[T]()
		var x [4][]T
		return func(_ *kernels.Workspace, o *tensor.Tensor, in []*tensor.Tensor, lo, hi int) {
			for k, t := range in {
				x[k] = get(t)
			}
			p.Run(kind, get(o), rows, h, lo, hi, x[:len(in)]...)
		}
	}
}
