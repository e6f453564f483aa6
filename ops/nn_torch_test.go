package ops_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// The network ops against PyTorch: testdata/torch/gen.py (run with
// /usr/bin/python3, torch 1.13) wrote each case's inputs, result and the
// gradients of sum(result * r) for a random r, and second derivatives (the
// gradient of Σᵢ sum(gradᵢ · sᵢ) for random sᵢ), in float64. Each case runs
// in f64 (to 1e-9) and in f32 (to 1e-4).

type torchTensor struct {
	DType string    `json:"dtype"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type torchCase struct {
	Name      string         `json:"name"`
	Op        string         `json:"op"`
	Attrs     map[string]any `json:"attrs"`
	Inputs    []torchTensor  `json:"inputs"`
	Cotangent torchTensor    `json:"cotangent"`
	Output    torchTensor    `json:"output"`
	Grads     []*torchTensor `json:"grads"`
	S         []torchTensor  `json:"s"`      // one per float input
	Grads2    []torchTensor  `json:"grads2"` // d/d input of Σ sum(grad_i · s_i)
}

// torchFloatAttrs are the attributes that are float64 in nnc; other numbers
// are ints.
var torchFloatAttrs = map[string]bool{"eps": true, "scale": true, "delta": true, "label_smoothing": true}

func torchAttrs(m map[string]any) ops.Attrs {
	a := ops.Attrs{}
	for k, v := range m {
		switch x := v.(type) {
		case []any:
			ints := make([]int, len(x))
			for i, e := range x {
				ints[i] = int(e.(float64))
			}
			a[k] = ints
		case float64:
			if torchFloatAttrs[k] {
				a[k] = x
			} else {
				a[k] = int(x)
			}
		default:
			a[k] = x
		}
	}
	return a
}

func loadTorchCases(t *testing.T) []torchCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/torch/nn.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []torchCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Cases
}

func torchDType(s string, float ops.DType) ops.DType {
	switch s {
	case "f64":
		return float
	case "i64":
		return ops.I64
	case "bool":
		return ops.Bool
	}
	panic("unknown dtype " + s)
}

func TestTorchReferences(t *testing.T) {
	cases := loadTorchCases(t)
	if len(cases) < 20 {
		t.Fatalf("only %d cases in testdata/torch/nn.json", len(cases))
	}
	for _, c := range cases {
		for _, dt := range []ops.DType{ops.F64, ops.F32} {
			t.Run(c.Name+"/"+dt.String(), func(t *testing.T) {
				tol := 1e-9
				if dt == ops.F32 {
					tol = 1e-4
				}
				runTorchCase(t, c, dt, tol)
			})
		}
	}
}

func runTorchCase(t *testing.T, c torchCase, dt ops.DType, tol float64) {
	b := ops.NewBuilder()
	vals := map[string]*tensor.Tensor{}
	var ins, floats []*ops.Node
	var floatIdx []int
	for i, x := range c.Inputs {
		ty := ops.Type{DType: torchDType(x.DType, dt), Shape: ops.ShapeOf(x.Shape...)}
		name := fmt.Sprintf("in%d", i)
		n := b.Input(name, ty)
		ins = append(ins, n)
		vals[name] = tensor.FromFloat64s(ty.DType, x.Shape, x.Data)
		if ty.DType.IsFloat() {
			floats = append(floats, n)
			floatIdx = append(floatIdx, i)
		}
	}
	y, err := b.Apply(ops.MustLookup(c.Op), torchAttrs(c.Attrs), ins...)
	if err != nil {
		t.Fatal(err)
	}
	r := b.Input("r", y.Type)
	vals["r"] = tensor.FromFloat64s(dt, c.Cotangent.Shape, c.Cotangent.Data)
	loss := b.Must(ops.Sum, nil, b.Must(ops.Mul, nil, y, r))
	grads, err := autodiff.Grad(b, loss, floats)
	if err != nil {
		t.Fatal(err)
	}
	var grads2 []*ops.Node
	if len(c.Grads2) > 0 {
		var f *ops.Node
		for k, g := range grads {
			name := fmt.Sprintf("s%d", k)
			s := b.Input(name, g.Type)
			vals[name] = tensor.FromFloat64s(dt, c.S[k].Shape, c.S[k].Data)
			term := b.Must(ops.Sum, nil, b.Must(ops.Mul, nil, g, s))
			if f == nil {
				f = term
			} else {
				f = b.Must(ops.Add, nil, f, term)
			}
		}
		if grads2, err = autodiff.Grad(b, f, floats); err != nil {
			t.Fatal(err)
		}
	}
	res, err := ops.Evaluate(b.G, vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	compareTorch(t, "result", res[y], c.Output, tol)
	for k, i := range floatIdx {
		if want := c.Grads[i]; want != nil {
			compareTorch(t, fmt.Sprintf("gradient of input %d", i), res[grads[k]], *want, tol)
		}
	}
	for k, g := range grads2 {
		compareTorch(t, fmt.Sprintf("second derivative for input %d", floatIdx[k]), res[g], c.Grads2[k], tol)
	}
}

func compareTorch(t *testing.T, what string, got *tensor.Tensor, want torchTensor, tol float64) {
	t.Helper()
	if !slicesEqual(got.Shape, want.Shape) {
		t.Errorf("%s: shape %v, PyTorch %v", what, got.Shape, want.Shape)
		return
	}
	bad := 0
	for i, w := range want.Data {
		g := got.At(i)
		if math.Abs(g-w) > tol*math.Max(math.Abs(g), math.Abs(w))+tol || math.IsNaN(g) != math.IsNaN(w) {
			if bad++; bad <= 5 {
				t.Errorf("%s[%d] = %.12g, PyTorch %.12g", what, i, g, w)
			}
		}
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
