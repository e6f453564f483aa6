package ops

import (
	"reflect"
	"strings"
	"testing"
)

// TestBuiltinSignatures checks every built-in signature against its op:
// operand counts and arity, defaults of the stored type, no name twice.
func TestBuiltinSignatures(t *testing.T) {
	ops := Builtins()
	if len(ops) < 60 {
		t.Fatalf("%d built-in ops; the language has more than 60", len(ops))
	}
	for _, op := range ops {
		if err := op.Builtin.validate(op); err != nil {
			t.Error(err)
		}
	}
}

// TestBuiltinValidateRejects shows that validate catches each kind of
// contradiction it is there for.
func TestBuiltinValidateRejects(t *testing.T) {
	un := &Op{Name: "u", Arity: 1}
	many := &Op{Name: "v", Arity: -1}
	cases := []struct {
		op   *Op
		b    Builtin
		want string
	}{
		{un, Builtin{}, "0 operands for an op of arity 1"},
		{un, Builtin{Operands: []Operand{{Name: "x"}, {Name: "w", Optional: true}}}, "arity -1, not 1"},
		{many, Builtin{Operands: []Operand{{Name: "w", Optional: true}, {Name: "x"}}}, "follows an optional one"},
		{many, Builtin{Operands: []Operand{{Name: "x"}, {Name: "xs", Kind: VariadicOperand}}}, "must be the only one"},
		{un, Builtin{Operands: []Operand{{Name: "x", Kind: LiteralOperand, Like: []int{3}}}}, "does not exist"},
		{un, Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{{Name: "x", Kind: IntAttr}}}, "declared twice"},
		{un, Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{{Name: "a", Kind: IntAttr, Default: 1.5}}}, "is a float64, not a int"},
		{un, Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{{Name: "a", Kind: IntAttr, Required: true, Default: 1}}}, "has a default"},
		{un, Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{{Name: "a", Kind: EnumAttr}}}, "only an enum has Values"},
		{un, Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{{Name: "a", Kind: BoolAttr, OmitDefault: true}}}, "omits a default"},
		{un, Builtin{Operands: []Operand{{Name: "x"}}, Attrs: []BuiltinAttr{{Name: "a", Kind: IntAttr, KeywordOnly: true, PositionalOnly: true}}}, "both keyword-only and positional-only"},
	}
	for _, c := range cases {
		err := c.b.validate(c.op)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error with %q", c.b, err, c.want)
		}
	}
}

// TestBuiltinParameters pins the positional and keyword parameters of a
// few built-ins as docs/language.md gives them.
func TestBuiltinParameters(t *testing.T) {
	Builtins()
	cases := []struct {
		op       *Op
		pos      int
		keywords []string
	}{
		{Relu, 1, nil},
		{Sum, 3, []string{"axis", "keepdims"}},
		{Var, 3, []string{"axis", "keepdims", "ddof"}},
		{CrossEntropy, 4, []string{"weights", "label_smoothing", "ignore_index"}},
		{AvgPool2D, 4, []string{"k", "stride", "pad", "ceil_mode", "count_include_pad", "dilation"}},
		{Concat, -1, []string{"axis"}},
		{OneHot, 3, []string{"dtype"}},
		{Normal, 3, []string{"mean", "std", "dtype"}},
		{Eye, 2, []string{"m", "dtype"}},
		{BroadcastTo, 2, nil},
	}
	for _, c := range cases {
		b := c.op.Builtin
		if b == nil {
			t.Errorf("%s has no built-in signature", c.op.Name)
			continue
		}
		if got := b.Positional(); got != c.pos {
			t.Errorf("%s: %d positional parameters, want %d", c.op.Name, got, c.pos)
		}
		if got := b.Keywords(); !reflect.DeepEqual(got, c.keywords) {
			t.Errorf("%s: keywords %q, want %q", c.op.Name, got, c.keywords)
		}
	}
	if Cast.Builtin.Identity([]Type{T(2)}, Attrs{"dtype": F64}) != true || Cast.Builtin.Identity([]Type{T(2)}, Attrs{"dtype": F32}) != false {
		t.Error("cast to the operand's own element type is not the identity")
	}
	if Matmul.Builtin != nil || Add.Builtin != nil {
		t.Error("matmul and add are operators, not built-in functions")
	}
}
