package ops_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
)

func f32(dims ...ops.Dim) ops.Type { return ops.Type{DType: ops.F32, Shape: ops.Shape(dims)} }

var (
	dB = ops.DimVar("B")
	c  = ops.DimConst
)

// acceptsInts lists ops whose operands may be integers.
var acceptsInts = map[string]bool{"cast": true, "reshape": true, "transpose": true, "size": true,
	"one_hot": true, "broadcast_to": true, "sum_to": true}

// TestInferRejectsWrongOperands: wrong operand counts are errors for every
// op, and so are integer or mixed element types for float ops.
func TestInferRejectsWrongOperands(t *testing.T) {
	for _, op := range ops.All() {
		if op.Leaf {
			continue
		}
		if op.Arity >= 0 {
			b := ops.NewBuilder()
			in := make([]*ops.Node, op.Arity+1)
			for i := range in {
				in[i] = b.Input(argName(i), f32(c(3)))
			}
			if _, err := b.Apply(op, nil, in...); err == nil {
				t.Errorf("%s accepts %d operands", op.Name, op.Arity+1)
			}
		}
		for _, cs := range op.Check {
			for i, ty := range cs.In {
				if !ty.DType.IsFloat() || acceptsInts[op.Name] {
					continue
				}
				for _, bad := range []ops.DType{ops.I32, ops.F32} {
					if bad == ops.F32 && (len(cs.In) < 2 || !allFloat(cs.In)) {
						continue // mixing float types needs two float operands
					}
					b := ops.NewBuilder()
					in := make([]*ops.Node, len(cs.In))
					for k, tk := range cs.In {
						if k == i {
							tk.DType = bad
						}
						in[k] = b.Input(argName(k), tk)
					}
					_, err := b.Apply(op, cs.Attrs, in...)
					var ie *ops.InferError
					if !errors.As(err, &ie) {
						t.Errorf("%s with operand %d of type %v: got %v, want an InferError", op.Name, i, bad, err)
					}
				}
			}
		}
	}
}

// TestInferNeverPanics applies every op to awkward operand types with the
// attributes of its check cases: the rules must answer with errors.
func TestInferNeverPanics(t *testing.T) {
	types := []ops.Type{
		f32(), f32(c(3)), f32(c(2), c(3)), f32(dB, c(3)), f32(c(4), dB, c(3)),
		{DType: ops.I32, Shape: ops.Shape{c(3)}}, {DType: ops.I64}, {DType: ops.Bool, Shape: ops.Shape{c(2)}},
	}
	for _, op := range ops.All() {
		if op.Leaf {
			continue
		}
		attrs := []ops.Attrs{nil}
		for _, cs := range op.Check {
			attrs = append(attrs, cs.Attrs)
		}
		var combos [][]ops.Type
		switch op.Arity {
		case 0:
			combos = [][]ops.Type{nil}
		case 1:
			for _, x := range types {
				combos = append(combos, []ops.Type{x})
			}
		default:
			for _, x := range types {
				for _, y := range types {
					combos = append(combos, []ops.Type{x, y})
				}
			}
		}
		for _, a := range attrs {
			for _, in := range combos {
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s%v with %v panics: %v", op.Name, in, a, r)
						}
					}()
					b := ops.NewBuilder()
					nodes := make([]*ops.Node, len(in))
					for i, ty := range in {
						nodes[i] = b.Input(argName(i), ty)
					}
					b.Apply(op, a, nodes...)
				}()
			}
		}
	}
}

// TestInferMessages pins the messages users see, with source names put in.
func TestInferMessages(t *testing.T) {
	i32 := func(dims ...ops.Dim) ops.Type { return ops.Type{DType: ops.I32, Shape: dims} }
	tests := []struct {
		op    string
		attrs ops.Attrs
		in    []ops.Type
		want  string
	}{
		{"matmul", nil, []ops.Type{f32(dB, c(64)), f32(c(32), c(128))},
			"matmul: inner dimensions differ: x is f32[B, 64], W is f32[32, 128]"},
		{"matmul", nil, []ops.Type{f32(c(2), c(3), c(4)), f32(c(5), c(4), c(6))},
			"matmul: batch dimensions do not broadcast: x is f32[2, 3, 4], W is f32[5, 4, 6]"},
		{"add", nil, []ops.Type{f32(dB, c(3)), f32(c(4))},
			"add: shapes do not broadcast: x is f32[B, 3], W is f32[4] (cannot broadcast [B, 3] with [4]: axis 1 is 3 against 4)"},
		{"mul", nil, []ops.Type{f32(c(3)), {DType: ops.F64, Shape: ops.Shape{c(3)}}},
			"mul: element types differ: x is f32[3], W is f64[3]"},
		{"exp", nil, []ops.Type{i32(c(3))},
			"exp: needs an f32 or f64 operand, x is i32[3]"},
		{"cross_entropy", nil, []ops.Type{f32(dB, c(10)), i32(c(5))},
			"cross_entropy: batch sizes differ: x is f32[B, 10], W is i32[5]"},
		{"cross_entropy", nil, []ops.Type{f32(dB, c(10)), f32(dB)},
			"cross_entropy: labels must be i32 or i64 [N]: W is f32[B]"},
		{"sum", ops.Attrs{"axes": []int{2}}, []ops.Type{f32(dB, c(3))},
			"sum: axis 2 is out of range for x of type f32[B, 3]"},
		{"reshape", ops.Attrs{"shape": ops.ShapeOf(4, 2)}, []ops.Type{f32(dB, c(3))},
			"reshape: cannot reshape x of type f32[B, 3] to [4, 2]: 3*B elements against 8"},
		{"transpose", ops.Attrs{"perm": []int{0, 0}}, []ops.Type{f32(dB, c(3))},
			"transpose: [0 0] is not a permutation of the axes of x, which is f32[B, 3]"},
		{"softmax", ops.Attrs{"axis": 1}, []ops.Type{f32(c(3))},
			"softmax: axis 1 is out of range for x of type f32[3]"},
	}
	for _, tt := range tests {
		b := ops.NewBuilder()
		nodes := make([]*ops.Node, len(tt.in))
		for i, ty := range tt.in {
			nodes[i] = b.Input(argName(i), ty)
		}
		_, err := b.Apply(ops.MustLookup(tt.op), tt.attrs, nodes...)
		var ie *ops.InferError
		if !errors.As(err, &ie) {
			t.Errorf("%s%v: got %v, want an InferError", tt.op, tt.in, err)
			continue
		}
		if got := ie.Format([]string{"x", "W"}); got != tt.want {
			t.Errorf("%s%v:\n got %s\nwant %s", tt.op, tt.in, got, tt.want)
		}
	}
}

// TestInferShapes checks result types on symbolic shapes.
func TestInferShapes(t *testing.T) {
	dT := ops.DimVar("T")
	tests := []struct {
		op    string
		attrs ops.Attrs
		in    []ops.Type
		want  string
	}{
		{"matmul", nil, []ops.Type{f32(dB, c(64)), f32(c(64), c(128))}, "f32[B, 128]"},
		{"matmul", nil, []ops.Type{f32(dB, dT, c(4)), f32(c(4), c(5))}, "f32[B, T, 5]"},
		{"matmul", nil, []ops.Type{f32(c(2), c(1), c(3), c(4)), f32(c(7), c(4), c(5))}, "f32[2, 7, 3, 5]"},
		{"matmul", nil, []ops.Type{f32(c(4)), f32(dB, c(4), c(5))}, "f32[B, 5]"},
		{"matmul", nil, []ops.Type{f32(dB, c(3), c(4)), f32(c(4))}, "f32[B, 3]"},
		{"matmul", nil, []ops.Type{f32(c(4)), f32(c(4))}, "f32"},
		{"sum", nil, []ops.Type{f32(dB, c(3))}, "f32"},
		{"mean", ops.Attrs{"axes": []int{-1}, "keepdims": true}, []ops.Type{f32(dB, c(3))}, "f32[B, 1]"},
		{"max", ops.Attrs{"axes": []int{0}}, []ops.Type{f32(dB, c(3))}, "f32[3]"},
		{"transpose", nil, []ops.Type{f32(dB, dT, c(3))}, "f32[3, T, B]"},
		{"reshape", ops.Attrs{"shape": ops.Shape{dB.Mul(dT), c(3)}}, []ops.Type{f32(dB, dT, c(3))}, "f32[B*T, 3]"},
		{"cross_entropy", nil, []ops.Type{f32(dB, c(10)), {DType: ops.I64, Shape: ops.Shape{dB}}}, "f32"},
		{"one_hot", ops.Attrs{"n": 10, "dtype": ops.F64}, []ops.Type{{DType: ops.I32, Shape: ops.Shape{dB}}}, "f64[B, 10]"},
		{"cast", ops.Attrs{"dtype": ops.I32}, []ops.Type{f32(dB)}, "i32[B]"},
		{"dropout_mask", ops.Attrs{"p": 0.5, "seed": 1, "shape": ops.Shape{dB}, "dtype": ops.F32}, nil, "f32[B]"},
		{"greater", nil, []ops.Type{f32(dB, c(3)), f32()}, "f32[B, 3]"},
	}
	for _, tt := range tests {
		b := ops.NewBuilder()
		nodes := make([]*ops.Node, len(tt.in))
		for i, ty := range tt.in {
			nodes[i] = b.Input(argName(i), ty)
		}
		n, err := b.Apply(ops.MustLookup(tt.op), tt.attrs, nodes...)
		if err != nil {
			t.Errorf("%s%v: %v", tt.op, tt.in, err)
			continue
		}
		if got := n.Type.String(); got != tt.want {
			t.Errorf("%s%v = %s, want %s", tt.op, tt.in, got, tt.want)
		}
	}
}

func TestDropoutHelper(t *testing.T) {
	b := ops.NewBuilder()
	x := b.Input("x", f32(dB, c(4)))
	if ops.Dropout(b, x, 0) != x {
		t.Error("Dropout with p=0 is not the identity")
	}
	y1, y2 := ops.Dropout(b, x, 0.5), ops.Dropout(b, x, 0.5)
	if y1 == y2 {
		t.Error("two dropouts share one mask")
	}
	if y1.Op != ops.Mul || !y1.Type.Equal(x.Type) {
		t.Errorf("Dropout gives %s %v", y1.Op.Name, y1.Type)
	}
	s := fmt.Sprint(b.G)
	if !strings.Contains(s, "dropout_mask") {
		t.Errorf("graph has no mask:\n%s", s)
	}
}

func allFloat(ts []ops.Type) bool {
	for _, t := range ts {
		if !t.DType.IsFloat() {
			return false
		}
	}
	return true
}
