// Command sizecheck keeps the tree's structure as it is: it fails when a
// non-test, non-generated Go file is longer than 800 lines or a function
// longer than 120 lines. A package's init function that only registers ops
// (a table) is exempt, as are files marked generated ("Code generated ...
// DO NOT EDIT."). .ci/run runs it from the repository root:
//
//	go run ./internal/sizecheck
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// The budgets.
const (
	maxFileLines = 800
	maxFuncLines = 120
)

var generated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	problems, err := check(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sizecheck:", err)
		os.Exit(2)
	}
	sort.Strings(problems)
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "sizecheck: %d over budget (files %d lines, functions %d lines)\n", len(problems), maxFileLines, maxFuncLines)
		os.Exit(1)
	}
}

// check walks root and returns one line per file or function over budget.
func check(root string) ([]string, error) {
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if generated.Match(src) {
			return nil
		}
		if n := bytes.Count(src, []byte("\n")); n > maxFileLines {
			out = append(out, fmt.Sprintf("%s: %d lines (budget %d)", path, n, maxFileLines))
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || isOpTable(fn) {
				continue
			}
			start, end := fset.Position(fn.Pos()).Line, fset.Position(fn.End()).Line
			if n := end - start + 1; n > maxFuncLines {
				out = append(out, fmt.Sprintf("%s:%d: func %s: %d lines (budget %d)", path, start, funcName(fn), n, maxFuncLines))
			}
		}
		return nil
	})
	return out, err
}

// isOpTable reports an init function that registers ops (calls a function
// named Register or register...): a table of declarations, exempt from the function budget.
func isOpTable(fn *ast.FuncDecl) bool {
	if fn.Name.Name != "init" || fn.Recv != nil {
		return false
	}
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return !found
		}
		name := ""
		switch f := call.Fun.(type) {
		case *ast.Ident:
			name = f.Name
		case *ast.SelectorExpr:
			name = f.Sel.Name
		}
		found = strings.HasPrefix(strings.ToLower(name), "register")
		return !found
	})
	return found
}

// funcName is Recv.Name or Name.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if g, ok := t.(*ast.IndexExpr); ok {
		t = g.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}
