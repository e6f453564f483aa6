package lang

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/nnclang/nnc/ops"
)

// TestInfoEveryToken hovers every token that stands for an expression or a
// declaration in the code of models/*.nn and the design's examples
// (testdata/examples; train blocks aside: their settings are not
// expressions of the model) and requires a type for each: the checker's
// knowledge of every expression reaches the editor, not only a sample
// (TestInfoModels asserts the types themselves at chosen positions).
func TestInfoEveryToken(t *testing.T) {
	var files []string
	for _, pat := range []string{"../models/*.nn", "testdata/examples/*.nn"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d files: %v", len(files), files)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		a := Analyze(name, src)
		if len(a.Errors) != 0 {
			t.Fatalf("%s: %v", name, a.Errors)
		}
		qf := a.files[name]
		train := &queryFile{uses: map[ops.Pos]use{}}
		for _, tb := range qf.scope.ast.Trains {
			for _, fd := range tb.Fields {
				train.walkExpr(fd.Value, scopeCtx{}, nil)
			}
		}
		var n, missing int
		var where []string
		seen := map[string]bool{}
		for p := range qf.uses {
			seen[p.String()] = true
			if _, inTrain := train.uses[p]; inTrain {
				continue
			}
			n++
			info, ok := a.Info(name, p.Line, p.Col)
			if !ok || info.Type == "" {
				missing++
				where = append(where, p.String()+" "+exprString(qf.uses[p].e))
			}
		}
		for p := range qf.decls {
			if seen[p.String()] {
				continue
			}
			n++
			info, ok := a.Info(name, p.Line, p.Col)
			if !ok || info.Type == "" {
				missing++
				where = append(where, p.String()+" decl "+qf.decls[p].name)
			}
		}
		sort.Strings(where)
		if missing > 0 || n < 40 {
			t.Errorf("%s: %d tokens, %d without a type: %v", name, n, missing, where)
		}
	}
}
