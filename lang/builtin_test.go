package lang

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// languageBuiltins are the built-in functions of docs/language.md; the
// registry and the hand-written table must give each of them.
var languageBuiltins = strings.Fields(`
	abs exp log log1p sqrt rsqrt square sin cos tanh sigmoid relu silu softplus mish sign erf neg
	leaky_relu elu gelu clip maximum minimum pow where cast stop_gradient
	sum mean max min prod var std norm logsumexp argmax argmin
	reshape transpose squeeze unsqueeze broadcast_to concat stack split pad flatten take gather
	zeros ones full arange eye one_hot normal uniform
	softmax log_softmax conv1d conv2d conv3d max_pool2d avg_pool2d max_pool3d avg_pool3d layer_norm batch_norm dropout embedding attention
	cross_entropy binary_cross_entropy binary_cross_entropy_with_logits mse huber l1 l2
	grad jvp vjp hvp scan`)

// TestBuiltinNames checks the set of built-ins: every one of the language
// is defined, every one defined is documented in docs/language.md, and no
// hand-written built-in shadows an op's signature.
func TestBuiltinNames(t *testing.T) {
	for _, n := range languageBuiltins {
		if !isBuiltin(n) {
			t.Errorf("built-in %s is not defined", n)
		}
	}
	doc, err := os.ReadFile("../docs/language.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range builtinNames() {
		if !regexp.MustCompile("[`( ]" + n + "[`( ]").Match(doc) {
			t.Errorf("built-in %s is not in docs/language.md", n)
		}
	}
	for n := range specials {
		if op, ok := ops.Lookup(n); ok && op.Builtin != nil {
			t.Errorf("built-in %s is written by hand and has a signature on its op", n)
		}
	}
	for _, n := range []string{"matmul", "add", "slice", "fused_elementwise", "param"} {
		if isBuiltin(n) {
			t.Errorf("op %s is a built-in function; it has no signature", n)
		}
	}
}

// lowerOne lowers fn f of src and returns its single output.
func lowerOne(t *testing.T, src string) (*ops.Node, *Lowered) {
	t.Helper()
	m, err := Load("b.nn", []byte(src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	l, err := m.Lower("f", LowerOptions{})
	if err != nil {
		t.Fatalf("Lower: %v", err)
	}
	if len(l.Outputs) != 1 {
		t.Fatalf("%d outputs", len(l.Outputs))
	}
	return l.Outputs[0], l
}

// TestGenericBuiltinAttrs checks the attributes the generic lowering gives
// each kind of signature: defaults set, omitted or left out, keywords and
// positions, attribute keys that differ from the keyword.
func TestGenericBuiltinAttrs(t *testing.T) {
	cases := []struct {
		expr  string
		op    string
		attrs ops.Attrs
	}{
		{"relu(x)", "relu", ops.Attrs{}},
		{"sum(x, 1)", "sum", ops.Attrs{"axes": []int{1}}},
		{"sum(x, axis = [0, 1], keepdims = false)", "sum", ops.Attrs{"axes": []int{0, 1}}},
		{"mean(x, keepdims = true)", "mean", ops.Attrs{"keepdims": true}},
		{"logsumexp(x)", "logsumexp", ops.Attrs{"axes": []int{-1}}},
		{"var(x, ddof = 0)", "var", ops.Attrs{}},
		{"std(x, 0, ddof = 1)", "std", ops.Attrs{"axes": []int{0}, "ddof": 1}},
		{"argmax(x, 1)", "argmax", ops.Attrs{"axis": 1}},
		{"softmax(x)", "softmax", ops.Attrs{"axis": -1}},
		{"log_softmax(x, 0)", "log_softmax", ops.Attrs{"axis": 0}},
		{"leaky_relu(x, 0.01)", "leaky_relu", ops.Attrs{"slope": 0.01}},
		{"leaky_relu(x)", "leaky_relu", ops.Attrs{}},
		{"clip(x, hi = 2)", "clip", ops.Attrs{"hi": 2.0}},
		{"gelu(x, approximate = \"none\")", "gelu", ops.Attrs{}},
		{"gelu(x, \"tanh\")", "gelu", ops.Attrs{"approximate": "tanh"}},
		{"squeeze(unsqueeze(x, 0))", "squeeze", ops.Attrs{}},
		{"unsqueeze(x, axis = [0, 2])", "unsqueeze", ops.Attrs{"axes": []int{0, 2}}},
		{"concat(x, x)", "concat", ops.Attrs{"axis": 0}},
		{"stack([x, x], axis = 1)", "stack", ops.Attrs{"axis": 1}},
		{"cast(x, f64)", "cast", ops.Attrs{"dtype": ops.F64}},
		{"one_hot(ids, 5)", "one_hot", ops.Attrs{"n": 5, "dtype": ops.F32}},
		{"take(x, ids)", "take", ops.Attrs{}},
		{"gather(x, [[0], [1]])", "gather", ops.Attrs{"axis": -1}},
		{"eye(3, dtype = f64)", "eye", ops.Attrs{"n": 3, "dtype": ops.F64}},
		{"broadcast_to(x, [4, 2, 3])", "broadcast_to", ops.Attrs{"shape": ops.ShapeOf(4, 2, 3)}},
		{"huber(x, x)", "huber", ops.Attrs{"delta": 1.0}},
		{"cross_entropy(x, ids, label_smoothing = 0)", "cross_entropy", ops.Attrs{}},
		{"cross_entropy(x, ids, [1, 2, 3], 0.1)", "cross_entropy", ops.Attrs{"label_smoothing": 0.1}},
		{"avg_pool2d(y, 2, count_include_pad = true)", "avg_pool2d", ops.Attrs{"k": 2}},
		{"max_pool2d(y, k = [2, 1], stride = 1)", "max_pool2d", ops.Attrs{"k": []int{2, 1}, "stride": 1}},
		{"conv2d(y, y, pad = [1, 0], groups = 1)", "conv2d", ops.Attrs{"pad": []int{1, 0}, "groups": 1}},
	}
	for _, c := range cases {
		src := "fn f(x: f32[2, 3], ids: i32[2], y: f32[1, 1, 4, 4]) {\n    return " + c.expr + "\n}\n"
		n, _ := lowerOne(t, src)
		if n.Op.Name != c.op {
			t.Errorf("%s: op %s, want %s", c.expr, n.Op.Name, c.op)
			continue
		}
		if n.Attrs.Key() != c.attrs.Key() {
			t.Errorf("%s: attributes %v, want %v", c.expr, n.Attrs.Key(), c.attrs.Key())
		}
	}
}

// TestGenericBuiltinOperands checks the operand kinds: literals take the
// element type of their Like operand, weak scalars that of the tensor,
// cast to the same type is the operand itself, and each call of a random
// op gets its own seed.
func TestGenericBuiltinOperands(t *testing.T) {
	n, _ := lowerOne(t, "fn f(x: f64[3]) {\n    return where(x > 0.0, x, [1, 2, 3])\n}\n")
	if n.Op.Name != "where" || n.In[2].Type.String() != "f64[3]" {
		t.Errorf("where's list literal: %v %v", n.Op.Name, n.In[2].Type)
	}
	n, _ = lowerOne(t, "fn f(x: f64[3]) {\n    return where(x > 0.0, 2, x)\n}\n")
	if n.In[1].Type.String() != "f64" {
		t.Errorf("where's number takes the later operand's type: %v", n.In[1].Type)
	}
	n, _ = lowerOne(t, "fn f(x: f64[3]) {\n    return pow(2, x)\n}\n")
	if n.Op.Name != "pow" || n.In[0].Type.String() != "f64" {
		t.Errorf("pow's weak scalar: %v %v", n.Op.Name, n.In[0].Type)
	}
	n, _ = lowerOne(t, "fn f(x: f64[2, 3], y: i32[2]) {\n    return take(x, [1, 0])\n}\n")
	if n.In[1].Type.String() != "i32[2]" {
		t.Errorf("take's ids literal is %v, want i32[2]", n.In[1].Type)
	}
	n, l := lowerOne(t, "fn f(x: f64[2, 3]) {\n    return cast(x, f64)\n}\n")
	if n != l.Inputs[0] {
		t.Errorf("cast to the same type made %s", n.Op.Name)
	}
	n, _ = lowerOne(t, "fn f(x: f32[2]) {\n    return normal([2]) + normal([2], 0.0, 1.0)\n}\n")
	a, b := n.In[0].Attrs, n.In[1].Attrs
	if a["seed"] == b["seed"] || a.Shape("shape").String() != "[2]" || a.Float("std", 0) != 1 || a.DType("dtype", 0) != ops.F32 {
		t.Errorf("normal's attributes: %v and %v", a.Key(), b.Key())
	}
}

// TestGenericBuiltinErrors states the errors of the generic lowering, each
// as the hand-written built-ins reported it (code and message).
func TestGenericBuiltinErrors(t *testing.T) {
	cases := []struct{ expr, want string }{
		{"relu(x, x)", "b.nn:2:12: E204: relu takes 1 arguments, got 2"},
		{"sum(x, 0, true, 1)", "b.nn:2:12: E204: sum takes 1 to 3 arguments, got 4"},
		{"sum(x, axes = 0)", `b.nn:2:19: E204: sum has no argument axes; did you mean "axis"?`},
		{"concat()", "b.nn:2:12: E204: concat takes at least 1 arguments, got 0"},
		{"max_pool2d(y)", "b.nn:2:12: E204: max_pool2d takes 2 to 4 arguments, got 1"},
		{"one_hot(x, n = 3)", "b.nn:2:12: E204: one_hot takes 2 to 3 arguments, got 1"},
		{"cast(x)", "b.nn:2:12: E204: cast: missing the element type (cast(x, f64))"},
		{"unsqueeze(x)", "b.nn:2:12: E204: unsqueeze: missing axis (unsqueeze(x, axis = 0))"},
		{"one_hot(x, 2.5)", "b.nn:2:23: E205: one_hot: the number of classes must be a constant int, got a float"},
		{"softmax(x, axis = 0.5)", "b.nn:2:23: E205: softmax: axis must be a compile-time int, got a float"},
		{"elu(x, alpha = true)", "b.nn:2:19: E205: elu: alpha must be a compile-time number, got a bool"},
		{"sum(x, keepdims = 1)", "b.nn:2:19: E304: sum: keepdims must be a compile-time bool, got an int"},
		{"one_hot(x, 3, dtype = 1)", "b.nn:2:26: E304: one_hot: dtype must be an element type (f32, f64, i32, i64, bool), got an int"},
		{`gelu(x, approximate = "fast")`, `b.nn:2:20: E308: gelu: approximate must be "tanh" or "none", got a string`},
		{"eye(x)", "b.nn:2:16: E205: eye: n must be a compile-time int, got a tensor of type f32[2, 3]"},
		{"sum(x, axis = x)", "b.nn:2:19: E205: sum: axis must be an int or a list of ints, got a tensor of type f32[2, 3]"},
		{"sum(x, axis = true)", "b.nn:2:19: E304: sum: axis must be an int or a list of ints, got a bool"},
		{"broadcast_to(x, 1.5)", "b.nn:2:28: E304: broadcast_to: a shape is a list of ints, got a float"},
		{"maximum(1, 2)", "b.nn:2:12: E304: maximum needs a tensor operand"},
		{"relu(true)", "b.nn:2:17: E304: relu: true must be a tensor, got a bool"},
		{"cross_entropy(x, x, weights = 2)", "b.nn:2:32: E304: cross_entropy: weights must be a tensor, got an int"},
		{"concat(x, 1)", "b.nn:2:22: E304: concat: 1 must be a tensor, got an int"},
		{"mse(x, true)", "b.nn:2:19: E304: mse: true must be a tensor, got a bool"},
		{"conv2d(x, true, 1.5)", "b.nn:2:22: E304: conv2d: true must be a tensor, got a bool\nb.nn:2:28: E304: conv2d: stride must be an int or a list of ints, got a float"},
	}
	for _, c := range cases {
		src := "fn f(x: f32[2, 3], y: f32[1, 1, 4, 4]) {\n    return " + c.expr + "\n}\n"
		_, err := Load("b.nn", []byte(src))
		got := ""
		if err != nil {
			var lines []string
			for _, e := range err.(ErrorList) {
				lines = append(lines, e.Pos.String()+": "+e.Code+": "+e.Msg)
			}
			got = strings.Join(lines, "\n")
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.expr, got, c.want)
		}
	}
}

// TestSplitManyParts: split of an empty axis into 10^12 parts spends a
// step per part and stops at the step budget (E308) instead of making a
// tuple of 10^12 slices.
func TestSplitManyParts(t *testing.T) {
	_, err := Load("s.nn", []byte("fn f(x: f32[0]) {\n    a = split(x, 1000000000000)\n    return x\n}\n"))
	list, _ := err.(ErrorList)
	if len(list) != 1 || list[0].Code != CodeValue || list[0].Pos.String() != "s.nn:2:18" || !strings.Contains(list[0].Msg, "too large to unroll") {
		t.Fatalf("got %v, want one E308 at s.nn:2:18: the program is too large to unroll", err)
	}
}
