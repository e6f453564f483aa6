package ops_test

import (
	"errors"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestGRUCellInfer: gru_cell and gru_cell_grad on symbolic shapes (B and H
// variables, xw [B, 3*H]), and InferErrors for operands whose sizes are
// not tied as the cell needs.
func TestGRUCellInfer(t *testing.T) {
	dH := ops.DimVar("H")
	h3 := c(3).Mul(dH)
	planes := f32(c(5), dB, dH)
	for _, tc := range []struct {
		op   *ops.Op
		in   []ops.Type
		want ops.Type // zero: an InferError
	}{
		{ops.GRUCell, []ops.Type{f32(dB, h3), f32(dB, h3), f32(dB, dH)}, planes},
		{ops.GRUCellGrad, []ops.Type{planes, f32(dB, dH), planes}, f32(c(7).Mul(dB), dH)},
		{ops.GRUCellGrad, []ops.Type{planes, f32(dB, dH), f32(dB, dH)}, f32(c(7).Mul(dB), dH)},
		{ops.GRUCell, []ops.Type{f32(dB, c(4).Mul(dH)), f32(dB, c(4).Mul(dH)), f32(dB, dH)}, ops.Type{}},
		{ops.GRUCell, []ops.Type{f32(dB, h3), f32(c(2), h3), f32(dB, dH)}, ops.Type{}},
		{ops.GRUCell, []ops.Type{f32(dB, h3), f32(dB, h3), f32(dH)}, ops.Type{}},
		{ops.GRUCell, []ops.Type{f32(c(2), c(6)), f32(c(2), c(6)), f32(c(3), c(2))}, ops.Type{}},
		{ops.GRUCellGrad, []ops.Type{f32(c(7), dB, dH), f32(dB, dH), f32(dB, dH)}, ops.Type{}},
		{ops.GRUCellGrad, []ops.Type{planes, f32(dB, dH), f32(c(4), dB, dH)}, ops.Type{}},
		{ops.GRUCellGrad, []ops.Type{planes, f32(dB, dH), f32(dH, dB)}, ops.Type{}},
	} {
		b := ops.NewBuilder()
		in := make([]*ops.Node, len(tc.in))
		for i, ty := range tc.in {
			in[i] = b.Input(argName(i), ty)
		}
		n, err := b.Apply(tc.op, nil, in...)
		var ie *ops.InferError
		switch {
		case tc.want.Shape == nil && !errors.As(err, &ie):
			t.Errorf("%s%v: got %v, want an InferError", tc.op.Name, tc.in, err)
		case tc.want.Shape != nil && err != nil:
			t.Errorf("%s%v: %v", tc.op.Name, tc.in, err)
		case tc.want.Shape != nil && !n.Type.Shape.Equal(tc.want.Shape):
			t.Errorf("%s%v is %v, want %v", tc.op.Name, tc.in, n.Type, tc.want)
		}
	}
}
