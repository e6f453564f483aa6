package lang

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// The std/nn layers against PyTorch: testdata/torch/gen_std.py sets each
// torch module's weights to deterministic values, runs it in float64 and
// writes std.json (weights in our layouts, inputs, output, gradients of
// sum(out * r)); here the same weights go into our layer (f32) and the
// results must agree to 1e-5 relative.

type torchArray struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type torchCase struct {
	Params map[string]torchArray `json:"params"`
	Inputs map[string]torchArray `json:"inputs"`
	Out    torchArray            `json:"out"`
	Grads  map[string]torchArray `json:"grads"`
	States map[string]torchArray `json:"states"`
}

// stdCase describes the wrapper model of one layer: its constructor, the
// forward call's inputs and result type, extra arguments of the call.
type stdCase struct {
	ctor, params, result, call string
	shapes                     map[string]int64
	training                   bool
}

var stdCases = map[string]stdCase{
	"dense":           {"nn.Dense(3, 4)", "x: f32[B, T, 3]", "f32[B, T, 4]", "l(x)", map[string]int64{"B": 2, "T": 5}, false},
	"mlp":             {"nn.MLP(3, 5, 2)", "x: f32[B, 3]", "f32[B, 2]", "l(x)", nil, false},
	"conv2d":          {"nn.Conv2D(2, 3, kernel = 3, stride = 2, pad = 1)", "x: f32[2, 2, 5, 6]", "f32[2, 3, 3, 3]", "l(x)", nil, false},
	"embedding":       {"nn.Embedding(5, 3)", "ids: i32[2, 3]", "f32[2, 3, 3]", "l(ids)", nil, false},
	"layernorm":       {"nn.LayerNorm(4)", "x: f32[2, 3, 4]", "f32[2, 3, 4]", "l(x)", nil, false},
	"batchnorm_eval":  {"nn.BatchNorm(3)", "x: f32[B, 3, 2, 3]", "f32[B, 3, 2, 3]", "l(x)", nil, false},
	"batchnorm_train": {"nn.BatchNorm(3)", "x: f32[B, 3, 2, 3]", "f32[B, 3, 2, 3]", "l(x)", nil, true},
	"lstm":            {"nn.LSTM(3, 4)", "x: f32[B, T, 3]", "f32[B, T, 4]", "l(x)", map[string]int64{"B": 2, "T": 3}, false},
	"gru":             {"nn.GRU(3, 4)", "x: f32[B, T, 3]", "f32[B, T, 4]", "l(x)", map[string]int64{"B": 2, "T": 3}, false},
	"mha":             {"nn.MultiHeadAttention(4, 2)", "x: f32[B, T, 4]", "f32[B, T, 4]", "l(x)", nil, false},
	"mha_causal":      {"nn.MultiHeadAttention(4, 2)", "x: f32[B, T, 4]", "f32[B, T, 4]", "l(x, causal = true)", nil, false},
	"block":           {"nn.TransformerBlock(4, 2, ff = 8)", "x: f32[B, T, 4]", "f32[B, T, 4]", "l(x)", nil, false},
	"block_causal":    {"nn.TransformerBlock(4, 2, ff = 8)", "x: f32[B, T, 4]", "f32[B, T, 4]", "l(x, causal = true)", nil, false},
}

func TestStdAgainstTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/torch/std.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]torchCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != len(stdCases) {
		t.Fatalf("std.json has %d cases, the test %d", len(cases), len(stdCases))
	}
	for name, sc := range stdCases {
		t.Run(name, func(t *testing.T) {
			tc, ok := cases[name]
			if !ok {
				t.Fatalf("no case %s in std.json", name)
			}
			var wrt []string
			for k := range tc.Grads {
				wrt = append(wrt, k)
			}
			sort.Strings(wrt)
			src := fmt.Sprintf(`import "std/nn"

model M() {
    l = %s

    fn forward(%s) -> %s {
        return %s
    }

    fn grads(%s, r: %s) {
        return grad(sum(%s * r), (%s))
    }
}
`, sc.ctor, sc.params, sc.result, sc.call, sc.params, sc.result, sc.call, strings.Join(wrt, ", "))
			m, err := Load("std_case.nn", []byte(src))
			if err != nil {
				t.Fatalf("Load: %v\n%s", err, src)
			}
			for _, entry := range []string{"M.forward", "M.grads"} {
				l, err := m.Lower(entry, LowerOptions{Training: sc.training, Shapes: sc.shapes})
				if err != nil {
					t.Fatalf("Lower %s: %v", entry, err)
				}
				vals := map[string]*tensor.Tensor{}
				leaves := append(append(append([]*ops.Node{}, l.Inputs...), l.Params...), l.States...)
				for _, n := range leaves {
					a, ok := tc.Inputs[n.Name()]
					if !ok {
						a, ok = tc.Params[n.Name()]
					}
					if !ok {
						t.Fatalf("%s: no value for %s in std.json", entry, n.Name())
					}
					vals[n.Name()] = tensor.FromFloat64s(n.Type.DType, a.Shape, a.Data)
				}
				res, err := ops.Evaluate(l.B.G, vals, nil)
				if err != nil {
					t.Fatalf("Evaluate %s: %v", entry, err)
				}
				if entry == "M.forward" {
					closeTo(t, name+" forward", res[l.Outputs[0]], tc.Out)
					for _, u := range l.B.G.Updates {
						want, ok := tc.States[u.Target.Name()]
						if !ok {
							t.Fatalf("unexpected update of %s", u.Target.Name())
						}
						closeTo(t, name+" update "+u.Target.Name(), res[u.Value], want)
					}
					if len(l.B.G.Updates) != len(tc.States) {
						t.Errorf("%d updates, want %d", len(l.B.G.Updates), len(tc.States))
					}
					continue
				}
				if len(l.Outputs) != len(wrt) {
					t.Fatalf("grads gives %d outputs, want %d", len(l.Outputs), len(wrt))
				}
				for k, w := range wrt {
					closeTo(t, name+" gradient for "+w, res[l.Outputs[k]], tc.Grads[w])
				}
			}
		})
	}
}

// closeTo compares a tensor with a reference to 1e-5 relative (with an
// absolute floor of 1e-5 for values near 0).
func closeTo(t *testing.T, what string, got *tensor.Tensor, want torchArray) {
	t.Helper()
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) && !(len(got.Shape) == 0 && len(want.Shape) == 0) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	g := got.Float64s()
	for k := range g {
		if d := math.Abs(g[k] - want.Data[k]); d > 1e-5*math.Max(1, math.Abs(want.Data[k])) {
			t.Fatalf("%s: element %d is %v, want %v (difference %.3g)", what, k, g[k], want.Data[k], d)
		}
	}
}
