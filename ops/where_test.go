package ops_test

import (
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// TestWhereConditionTypes: a bool, integer or float condition selects where
// it is nonzero, broadcasting against x and y.
func TestWhereConditionTypes(t *testing.T) {
	x := tensor.FromFloat64s(ops.F32, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	y := tensor.FromFloat64s(ops.F32, []int{1}, []float64{-1})
	for _, dt := range []ops.DType{ops.Bool, ops.I32, ops.I64, ops.F32, ops.F64} {
		cond := tensor.FromFloat64s(dt, []int{3}, []float64{1, 0, 1})
		checkValues(t, "where/"+dt.String(), run(t, "where", nil, 0, cond, x, y), []int{2, 3},
			[]float64{1, -1, 3, 4, -1, 6}, 0)
	}
	// A float 0/1 mask of another shape: [2, 1] picks rows.
	cond := tensor.FromFloat64s(ops.F64, []int{2, 1}, []float64{0, 1})
	xd := tensor.FromFloat64s(ops.F64, []int{3}, []float64{7, 8, 9})
	yd := tensor.FromFloat64s(ops.F64, nil, []float64{0.5})
	checkValues(t, "where rows", run(t, "where", nil, 0, cond, xd, yd), []int{2, 3},
		[]float64{0.5, 0.5, 0.5, 7, 8, 9}, 0)
}
