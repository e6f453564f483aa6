package codegen

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// sources is a small tree laid out as nnc's repository.
func sources(opsSrc string) fstest.MapFS {
	return fstest.MapFS{
		"LICENSE":              {Data: []byte("license text\n")},
		"ops/a.go":             {Data: []byte(opsSrc)},
		"ops/a_test.go":        {Data: []byte("package ops\n")},
		"kernels/k.go":         {Data: []byte("//go:build amd64 && !noasm\n\npackage kernels\n")},
		"kernels/k_amd64.s":    {Data: []byte("//go:build amd64 && !noasm\n\n#include \"textflag.h\"\n")},
		"kernels/gen.go":       {Data: []byte("// A generator.\n\n//go:build ignore\n\npackage main\n")},
		"kernels/notes.py":     {Data: []byte("print(1)\n")},
		"tensor/t.go":          {Data: []byte("package tensor\n\nimport \"fmt\"\n\nvar _ = fmt.Sprint\n")},
		"tensor/testdata/x.go": {Data: []byte("package x\n")},
	}
}

// TestCopySources: the copies' imports of ops, kernels and tensor point
// under the module's internal/ (strings elsewhere untouched), tests,
// generators and other files stay out, build constraints stay first, and
// an import of another nnc package is refused.
func TestCopySources(t *testing.T) {
	ops := "// Package ops.\npackage ops\n\nimport (\n\t\"fmt\"\n\tk \"github.com/nnclang/nnc/kernels\"\n\t\"github.com/nnclang/nnc/tensor\"\n)\n\nconst s = \"github.com/nnclang/nnc/kernels\"\n"
	files := Files{}
	if err := copySources(files, sources(ops), "example.com/m", "1.26.0"); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	want := "go.mod internal/LICENSE internal/kernels/k.go internal/kernels/k_amd64.s internal/ops/a.go internal/tensor/t.go"
	if got := strings.Join(slices.Sorted(slices.Values(names)), " "); got != want {
		t.Fatalf("files %s, want %s", got, want)
	}
	a := string(files["internal/ops/a.go"])
	for _, s := range []string{"k \"example.com/m/internal/kernels\"", "\t\"example.com/m/internal/tensor\"\n", "const s = \"github.com/nnclang/nnc/kernels\""} {
		if !strings.Contains(a, s) {
			t.Errorf("ops/a.go lacks %q:\n%s", s, a)
		}
	}
	if k := string(files["internal/kernels/k.go"]); !strings.Contains(k, "DO NOT EDIT.\n\n//go:build amd64 && !noasm\n\npackage") {
		t.Errorf("kernels/k.go's constraint is not in its header:\n%s", k)
	}
	if m := string(files["go.mod"]); !strings.Contains(m, "\nmodule example.com/m\n\ngo 1.26.0\n") {
		t.Errorf("go.mod:\n%s", m)
	}
	bad := "package ops\n\nimport \"github.com/nnclang/nnc/lang\"\n"
	if err := copySources(Files{}, sources(bad), "m", "1.26.0"); err == nil || !strings.Contains(err.Error(), "imports github.com/nnclang/nnc/lang") {
		t.Errorf("an import of lang: %v", err)
	}
	for _, p := range []string{"", "a//b", "../x", "a b", "-x", "a/./b", "ü"} {
		if err := CheckModulePath(p); err == nil {
			t.Errorf("module path %q accepted", p)
		}
	}
	for _, p := range []string{"digits", "example.com/app/digits", "x.y/v2"} {
		if err := CheckModulePath(p); err != nil {
			t.Errorf("module path %q: %v", p, err)
		}
	}
}
