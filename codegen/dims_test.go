package codegen

import (
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestDimExpr: symbolic dimensions read back, through their printed form,
// as the same ops.Dim (dimExpr checks it), sums, products, negative
// coefficients and floor quotients included.
func TestDimExpr(t *testing.T) {
	b, tt := ops.DimVar("B"), ops.DimVar("T")
	q, err := b.Sub(ops.DimConst(1)).Div(ops.DimConst(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		d    ops.Dim
		want string
	}{
		{b, `ops.DimVar("B")`},
		{b.Mul(ops.DimConst(784)), `ops.DimConst(784).Mul(ops.DimVar("B"))`},
		{b.Mul(tt).Add(ops.DimConst(3)), ""},
		{ops.DimConst(5).Sub(b), ""},
		{q.Add(ops.DimConst(1)), "divDim("},
		{q.Mul(tt), "divDim("},
		{ops.DimConst(7), "ops.DimConst(7)"},
	} {
		e, err := dimExpr(c.d)
		if err != nil {
			t.Errorf("%v: %v", c.d, err)
			continue
		}
		if !strings.Contains(e, c.want) {
			t.Errorf("%v: %s, want %s in it", c.d, e, c.want)
		}
	}
}
