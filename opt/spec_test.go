package opt

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"golang.org/x/tools/txtar"
)

// TestSpecCases runs every conformance case's program (spec_tests/cases,
// except error cases) with and without optimization: its entry, and for an
// entry with one float scalar result its gradient with respect to every
// float input and param as well, on random values of the case's input
// shapes. Cases that expect an error (an "error" section) are left out.
func TestSpecCases(t *testing.T) {
	files, err := filepath.Glob("../spec_tests/cases/*/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no spec cases: %v", err)
	}
	ran := 0
	for _, f := range files {
		ar, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sec := map[string][]byte{}
		var inputs []string
		for _, fl := range ar.Files {
			sec[fl.Name] = fl.Data
			if name, ok := strings.CutPrefix(fl.Name, "in/"); ok {
				inputs = append(inputs, strings.TrimSuffix(name, ".json"))
			}
		}
		if _, isErr := sec["error"]; isErr || sec["main.nn"] == nil || sec["entry"] == nil {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".txtar")
		t.Run(name, func(t *testing.T) {
			m, err := lang.Load("main.nn", sec["main.nn"])
			if err != nil {
				return // an error case: nothing to optimize
			}
			low, err := m.Lower(strings.TrimSpace(string(sec["entry"])), lang.LowerOptions{})
			if err != nil {
				return
			}
			shapes := map[string][]int{}
			for _, in := range inputs {
				s, err := jsonShape(sec["in/"+in+".json"])
				if err != nil {
					t.Fatalf("in/%s.json: %v", in, err)
				}
				shapes[in] = s
			}
			for i, o := range low.Outputs {
				low.B.Output(fmt.Sprint("out", i), o)
			}
			if len(low.Outputs) == 1 && low.Outputs[0].Type.Shape.Rank() == 0 && low.Outputs[0].Type.DType.IsFloat() {
				var xs []*ops.Node
				for _, n := range append(append([]*ops.Node{}, low.Inputs...), low.Params...) {
					if n.Type.DType.IsFloat() {
						xs = append(xs, n)
					}
				}
				gs, err := autodiff.Grad(low.B, low.Outputs[0], xs)
				if err != nil {
					t.Fatal(err)
				}
				for i, g := range gs {
					low.B.Output("d/"+xs[i].Name(), g)
				}
			}
			diffGraphShapes(t, low.B.G, 1, shapes)
			ran++
		})
	}
	if ran < 50 {
		t.Errorf("only %d spec cases ran", ran)
	}
}

// jsonShape is the shape of a JSON number or nested array.
func jsonShape(data []byte) ([]int, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	var shape []int
	for {
		a, ok := v.([]any)
		if !ok {
			return shape, nil
		}
		shape = append(shape, len(a))
		if len(a) == 0 {
			return shape, nil
		}
		v = a[0]
	}
}
