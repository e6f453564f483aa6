package ops

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Ops are named by their handles (ops.Relu) in code; a name is looked up
// only by the text formats that are parsed by name (ParseFused, the .nn
// front end in lang/, whose built-in names are user-facing). These tests
// keep it so: a pass or kernel that compares an op's name with a string,
// switches on it, or looks an op up by a literal name fails them.

// opNameUses reports, as "file:line: what", the places in src (a Go file)
// that name an op by a string: n.Op.Name or op.Name compared with a
// literal or switched on or tested with a strings function, and Lookup,
// MustLookup, Must or Apply called with a literal.
func opNameUses(fset *token.FileSet, file *ast.File) []string {
	var out []string
	at := func(n ast.Node, what string) {
		out = append(out, fset.Position(n.Pos()).String()+": "+what)
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) &&
				(isOpName(n.X) && isString(n.Y) || isOpName(n.Y) && isString(n.X)) {
				at(n, "an op's name compared with a string")
			}
		case *ast.SwitchStmt:
			if n.Tag != nil && isOpName(n.Tag) {
				at(n, "a switch on an op's name")
			}
		case *ast.CallExpr:
			name := calleeName(n.Fun)
			switch name {
			case "Lookup", "MustLookup", "Must", "Apply":
				if len(n.Args) > 0 && isString(n.Args[0]) {
					at(n, name+" of a literal op name")
				}
			case "HasPrefix", "HasSuffix", "Contains", "EqualFold":
				if len(n.Args) > 0 && isOpName(n.Args[0]) {
					at(n, "strings."+name+" of an op's name")
				}
			}
		}
		return true
	})
	return out
}

// isOpName reports whether e reads an op's name: X.Op.Name or op.Name.
func isOpName(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Name" {
		return false
	}
	switch x := sel.X.(type) {
	case *ast.SelectorExpr:
		return x.Sel.Name == "Op"
	case *ast.Ident:
		return x.Name == "op"
	}
	return false
}

// isString reports whether e is a string literal other than "" (which
// names no op).
func isString(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return false
	}
	v, err := strconv.Unquote(lit.Value)
	return err == nil && v != ""
}

// calleeName is the name of the function or method a call calls.
func calleeName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	case *ast.IndexExpr: // a generic function instantiated
		return calleeName(f.X)
	}
	return ""
}

// TestNoOpNamesOutsideTextFormats walks the module's Go files, tests and
// lang/ (the .nn front end, whose built-ins have user-facing names) left
// out, and fails on every place that names an op by a string.
func TestNoOpNamesOutsideTextFormats(t *testing.T) {
	root := filepath.Join("..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root is not at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "lang" || rel == "testdata" || strings.HasSuffix(rel, string(filepath.Separator)+"testdata") ||
				(rel != "." && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		for _, use := range opNameUses(fset, f) {
			t.Errorf("%s (name ops by their handles, ops.Relu)", use)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Errorf("walked only %d Go files under %s", files, root)
	}
}

// TestOpNameUsesFindsEach checks that the walk's checker finds each kind of
// name use, and none in code that uses handles.
func TestOpNameUsesFindsEach(t *testing.T) {
	src := `package p

func f(n *Node, op *Op) {
	if n.Op.Name == "relu" {}
	if "add" != op.Name {}
	switch n.Op.Name {
	}
	b.Must("exp", nil, x)
	b.Apply("mul", nil, x, y)
	MustLookup("tanh")
	_ = strings.HasPrefix(n.Op.Name, "conv")
	ops.Lookup("matmul")

	if n.Op == Relu || op == Add {}
	b.Must(Exp, nil, x)
	Lookup(name)
	if n.Name == "x" || op.Name == "" {}
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := opNameUses(fset, f)
	wantLines := []int{4, 5, 6, 8, 9, 10, 11, 12}
	if len(got) != len(wantLines) {
		t.Fatalf("found %d uses, want %d:\n%s", len(got), len(wantLines), strings.Join(got, "\n"))
	}
	for i, line := range wantLines {
		if !strings.HasPrefix(got[i], "p.go:"+strconv.Itoa(line)+":") {
			t.Errorf("use %d is %q, want one on line %d", i, got[i], line)
		}
	}
}
