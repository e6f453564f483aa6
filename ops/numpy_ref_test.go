package ops_test

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// Forward values of elementwise ops, reductions and shape ops against NumPy and
// PyTorch: testdata/numpy_ref.py writes the inputs and expected outputs to
// testdata/numpy_ref.json.

type refArray struct {
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Data  []any  `json:"data"`
}

type refCase struct {
	Op     string         `json:"op"`
	Attrs  map[string]any `json:"attrs"`
	Inputs []refArray     `json:"inputs"`
	Want   refArray       `json:"want"`
}

func (a refArray) tensor(t *testing.T, dt ops.DType) *tensor.Tensor {
	t.Helper()
	if d, ok := tensor.ParseDType(a.DType); ok && !d.IsFloat() {
		dt = d
	}
	v := make([]float64, len(a.Data))
	for i, x := range a.Data {
		switch x := x.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				t.Fatal(err)
			}
			v[i] = f
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = f
		}
	}
	return tensor.FromFloat64s(dt, a.Shape, v)
}

// refAttrs converts JSON attributes to the types ops expect.
func refAttrs(t *testing.T, m map[string]any) ops.Attrs {
	t.Helper()
	a := ops.Attrs{}
	for k, v := range m {
		switch v := v.(type) {
		case json.Number:
			if strings.ContainsAny(v.String(), ".eE") {
				f, _ := v.Float64()
				a[k] = f
			} else {
				i, _ := v.Int64()
				a[k] = int(i)
			}
		case bool, string:
			a[k] = v
		case []any:
			ints := make([]int, len(v))
			for i, x := range v {
				if x == nil {
					ints[i] = ops.SliceNone
					continue
				}
				n, _ := x.(json.Number).Int64()
				ints[i] = int(n)
			}
			if k == "shape" {
				a[k] = ops.ShapeOf(ints...)
			} else {
				a[k] = ints
			}
		default:
			t.Fatalf("attribute %s: unexpected %T", k, v)
		}
	}
	return a
}

func TestOps2AgainstReferences(t *testing.T) {
	f, err := os.Open("testdata/numpy_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var cases []refCase
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("%d reference cases", len(cases))
	}
	for i, c := range cases {
		for _, dt := range []ops.DType{ops.F64, ops.F32} {
			var args []*tensor.Tensor
			for _, in := range c.Inputs {
				args = append(args, in.tensor(t, dt))
			}
			got := run(t, c.Op, refAttrs(t, c.Attrs), 0, args...)
			want := c.Want.tensor(t, dt)
			tol := 1e-12
			if dt == ops.F32 {
				tol = 2e-6
			}
			what := c.Op + "#" + strconv.Itoa(i) + "/" + dt.String()
			if got.DType != want.DType {
				t.Errorf("%s: result type %v, want %v", what, got.DType, want.DType)
			}
			checkValues(t, what, got, want.Shape, want.Float64s(), tol)
		}
	}
}
