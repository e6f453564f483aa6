package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/ops"
)

// exampleStatus records, for each design example, what the checker says:
// "" when it loads cleanly. Every example must parse.
var exampleStatus = map[string]string{
	"gcn.nn":                  "",
	"char_lstm.nn":            "",
	"lenet.nn":                "",
	"matrix_factorization.nn": "",
	"tiny_gpt.nn":             "",
}

// exampleShapes are the shape variables and model arguments given when the
// examples' entries are lowered.
var exampleShapes = map[string]int64{"B": 2, "T": 3, "N": 4}

var exampleArgs = map[string]map[string]any{
	"matrix_factorization.nn": {"users": 5, "items": 6},
	"gcn.nn":                  {"features": 8},
	"char_lstm.nn":            {"hidden": 8, "dim": 4},
	"tiny_gpt.nn":             {"d": 8, "heads": 2, "layers": 2, "ctx": 5},
}

func TestExamples(t *testing.T) {
	files, err := filepath.Glob("testdata/examples/*.nn")
	if err != nil || len(files) != len(exampleStatus) {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if _, err := parse(name, src); err != nil {
			t.Errorf("%s does not parse: %v", name, err)
			continue
		}
		_, err = Load(name, src)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if want := exampleStatus[name]; got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
		}
		if err == nil {
			m, _ := Load(name, src)
			for _, entry := range m.Entries() {
				for _, training := range []bool{false, true} {
					md, _, _ := strings.Cut(entry, ".")
					opts := LowerOptions{Training: training, Shapes: exampleShapes}
					if m.file.models[md] != nil {
						opts.ModelArgs = exampleArgs[name]
					}
					l, err := m.Lower(entry, opts)
					if err != nil {
						t.Errorf("%s: lowering %s (training %v): %v", name, entry, training, err)
						continue
					}
					if training && strings.HasSuffix(entry, ".loss") {
						// The training step differentiates the loss with
						// respect to every param: every op used has a VJP.
						if _, err := autodiff.Grad(l.B, l.Outputs[0], l.Params); err != nil {
							t.Errorf("%s: grad of %s: %v", name, entry, err)
						}
					}
					if err := ops.Verify(l.B.G); err != nil {
						t.Errorf("%s: %s: %v", name, entry, err)
					}
					for _, n := range l.Inputs {
						if _, ok := n.Type.Shape.Concrete(); !ok {
							t.Errorf("%s: %s: input %s is %v with Shapes given", name, entry, n.Name(), n.Type)
						}
					}
				}
			}
		}
		if list, ok := err.(ErrorList); ok {
			for _, e := range list {
				if e.Code != CodeUnsupported {
					t.Errorf("%s: %v has code %s; only unsupported features may stop an example", name, e, e.Code)
				}
			}
		}
	}
}
