package codegen

import (
	"go/constant"
	"go/token"
	"go/types"
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// TestFloatExprRoundTrips: the Go compiler reads floatExpr's text back to
// the same bits (here go/types evaluates the constant as the compiler
// does); -0, the infinities and NaN are written as their bits.
func TestFloatExprRoundTrips(t *testing.T) {
	for _, x := range []float64{0, 1, -2.5, 0.1, 1.0 / 3, 1e-300, 5e-324, math.MaxFloat64, 123456789012345678} {
		e := floatExpr(x)
		tv, err := types.Eval(token.NewFileSet(), nil, token.NoPos, e)
		if err != nil {
			t.Fatalf("%v: %s: %v", x, e, err)
		}
		got, _ := constant.Float64Val(tv.Value)
		if math.Float64bits(got) != math.Float64bits(x) {
			t.Errorf("%v: %s reads back as %v", x, e, got)
		}
	}
	for _, x := range []float64{math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN()} {
		if e := floatExpr(x); !strings.HasPrefix(e, "math.Float64frombits(") {
			t.Errorf("%v: %s, want its bits", x, e)
		}
	}
}

// TestGoIdent: .nn names become distinct Go identifiers that are no
// keyword and no name the generated code uses.
func TestGoIdent(t *testing.T) {
	used := map[string]bool{"m": true, "err": true}
	for _, c := range []struct {
		name string
		out  bool
		want string
	}{
		{"x", false, "x"}, {"A.indptr", false, "aIndptr"}, {"A.indices", false, "aIndices"},
		{"type", false, "type2"}, {"m", false, "m2"}, {"2d", false, "v2d"}, {"x", false, "x2"},
		{"out", true, "out"}, {"out", true, "out2"}, {"logits", true, "outLogits"}, {"len", false, "len2"},
	} {
		if got := goIdent(c.name, c.out, used); got != c.want {
			t.Errorf("goIdent(%q, %v) = %q, want %q", c.name, c.out, got, c.want)
		}
	}
}

// smallPlan is the plan of exp(x) + W for x: f32[2, 3].
func smallPlan(t *testing.T, extra ops.Attrs) (*runtime.Plan, map[string]*tensor.Tensor) {
	t.Helper()
	b := ops.NewBuilder()
	ty := ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2, 3)}
	x := b.Input("x", ty)
	w := b.Param("W", ty, ops.Attrs{"init": "zeros"})
	e := b.Must(ops.Exp, nil, x)
	for k, v := range extra {
		e.Attrs = e.Attrs.With(k, v)
	}
	b.Output("out", b.Must(ops.Add, nil, e, w))
	p, err := runtime.NewPlan(b.G, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p, map[string]*tensor.Tensor{"W": tensor.New(tensor.F32, 2, 3)}
}

// TestGenerateSmall: the files are written, the steps appear as calls, and
// the weights hold the param's bytes.
func TestGenerateSmall(t *testing.T) {
	p, params := smallPlan(t, nil)
	params["W"].F32[4] = 1.5
	files, err := Generate(Spec{Package: "small", Plan: p, Params: params, Source: "s.nn", Entry: "f"})
	if err != nil {
		t.Fatal(err)
	}
	src := string(files["model.go"])
	for _, want := range []string{"package small", `op: "exp"`, `op: "add"`, "r.k[0](c, ", "r.k[1](c, ",
		"func (m *Model) Predict(x []float32) (out []float32, err error)", "//go:embed weights.bin"} {
		if !strings.Contains(src, want) {
			t.Errorf("model.go lacks %q", want)
		}
	}
	if w := files[WeightsFile]; len(w) != 24 || math.Float32frombits(uint32(w[16])|uint32(w[17])<<8|uint32(w[18])<<16|uint32(w[19])<<24) != 1.5 {
		t.Errorf("weights.bin: %v", w)
	}
	for _, name := range []string{"model_test.go", "example_test.go"} {
		if len(files[name]) == 0 {
			t.Errorf("no %s", name)
		}
	}
	ext, err := Generate(Spec{Package: "small", Plan: p, Params: params, External: true})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(ext["model.go"]); strings.Contains(s, "go:embed") || strings.Contains(s, "func New()") {
		t.Errorf("external weights: model.go embeds them")
	}
}

// TestGenerateErrors: what cannot be generated is an error naming the
// node, not a package.
func TestGenerateErrors(t *testing.T) {
	p, params := smallPlan(t, ops.Attrs{"weights": []float64{1, 2}})
	_, err := Generate(Spec{Package: "small", Plan: p, Params: params})
	if err == nil || !strings.Contains(err.Error(), "exp") || !strings.Contains(err.Error(), "attribute weights") {
		t.Errorf("an attribute of type []float64: %v", err)
	}
	p, params = smallPlan(t, nil)
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{Package: "func", Plan: p, Params: params}, "not a Go identifier"},
		{Spec{Package: "a-b", Plan: p, Params: params}, "not a Go identifier"},
		{Spec{Package: "small", Plan: p}, "W has no value"},
		{Spec{Package: "small", Plan: p, Params: map[string]*tensor.Tensor{"W": tensor.New(tensor.F32, 3, 2)}}, "the plan wants"},
	} {
		if _, err := Generate(c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.spec.Package, err, c.want)
		}
	}
	b := ops.NewBuilder()
	ty := ops.Type{DType: ops.F32, Shape: ops.ShapeOf(2)}
	s := b.State("s", ty, ops.Attrs{"init": "zeros"})
	b.Update(s, b.Must(ops.Exp, nil, s))
	b.Output("out", s)
	up, err := runtime.NewPlan(b.G, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(Spec{Package: "x", Plan: up, Params: map[string]*tensor.Tensor{"s": tensor.New(tensor.F32, 2)}}); err == nil || !strings.Contains(err.Error(), "inference entries only") {
		t.Errorf("a graph with updates: %v", err)
	}
}
