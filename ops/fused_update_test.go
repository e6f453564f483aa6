package ops

import (
	"strings"
	"testing"
)

// TestFusedUpdateOperandLayout: the operands the attributes lr_operand,
// decay_operand and masked add are checked: the rate and AdamW's factor
// are scalars of the parameter's element type, the mask has the
// parameter's type, the count follows the attributes, decay_operand needs
// decay "decoupled", and a non-bool attribute is an error, not a panic.
func TestFusedUpdateOperandLayout(t *testing.T) {
	p := Type{DType: F32, Shape: ShapeOf(3, 4)}
	s := Scalar(F32)
	cases := []struct {
		name  string
		op    *Op
		in    []Type
		attrs Attrs
		err   string // "" when valid
	}{
		{"sgd lr operand", FusedSGD, []Type{p, p, p, s}, Attrs{"lr_operand": true}, ""},
		{"sgd lr operand masked", FusedSGD, []Type{p, p, p, s, p}, Attrs{"lr_operand": true, "masked": true}, ""},
		{"sgd masked", FusedSGD, []Type{p, p, p, p}, Attrs{"masked": true}, ""},
		{"sgd lr not scalar", FusedSGD, []Type{p, p, p, p}, Attrs{"lr_operand": true}, "want a f32 scalar"},
		{"sgd lr f64", FusedSGD, []Type{p, p, p, Scalar(F64)}, Attrs{"lr_operand": true}, "want a f32 scalar"},
		{"sgd mask scalar", FusedSGD, []Type{p, p, p, s}, Attrs{"masked": true}, "the parameter is"},
		{"sgd operand missing", FusedSGD, []Type{p, p, p}, Attrs{"lr_operand": true}, "takes 4 operands"},
		{"sgd bad attr", FusedSGD, []Type{p, p, p, s}, Attrs{"lr_operand": 1.0}, "must be a bool"},
		{"adam decay operand masked", FusedAdam, []Type{p, p, p, p, s, s, s, p}, Attrs{"decay": "decoupled", "decay_operand": true, "masked": true}, ""},
		{"adam decay operand not decoupled", FusedAdam, []Type{p, p, p, p, s, s, s}, Attrs{"decay": "l2", "decay_operand": true}, "decoupled"},
		{"adam mask wrong shape", FusedAdam, []Type{p, p, p, p, s, s, {DType: F32, Shape: ShapeOf(4)}}, Attrs{"masked": true}, "the parameter is"},
	}
	for _, c := range cases {
		_, err := c.op.Infer(c.in, c.attrs)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.err)
		}
	}
}
