package docs_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/nnclang/nnc"

// TestImportTable: the package table of internals.md lists, for every
// package of the module, exactly the module's packages it imports (its
// non-test files, any build tags), and each package imports only packages
// listed above it: the folders read in the order of the imports.
func TestImportTable(t *testing.T) {
	text, err := os.ReadFile("internals.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(text), "<!-- imports: begin -->")
	table, _, ok2 := strings.Cut(rest, "<!-- imports: end -->")
	if !ok || !ok2 {
		t.Fatal("internals.md has no imports table markers")
	}
	row := regexp.MustCompile("^\\| `([^`]+)`[^|]*\\|(.*)\\|$")
	tick := regexp.MustCompile("`([^`]+)`")
	var order []string
	doc := map[string][]string{}
	for _, line := range strings.Split(table, "\n") {
		m := row.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		var imps []string
		for _, x := range tick.FindAllStringSubmatch(m[2], -1) {
			imps = append(imps, x[1])
		}
		order = append(order, m[1])
		doc[m[1]] = imps
	}
	code := moduleImports(t, "..")
	var names []string
	for p := range code {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		want, listed := doc[p]
		if !listed {
			t.Errorf("package %s imports %v but is not in the table", p, code[p])
			continue
		}
		if strings.Join(want, " ") != strings.Join(code[p], " ") {
			t.Errorf("package %s: the table says it imports %v; it imports %v", p, want, code[p])
		}
	}
	pos := map[string]int{}
	for i, p := range order {
		pos[p] = i
		if _, ok := code[p]; !ok {
			t.Errorf("the table lists %s, which is not a package of the module (or imports nothing and is not a leaf the table needs)", p)
		}
	}
	for _, p := range order {
		for _, q := range code[p] {
			if qi, ok := pos[q]; ok && qi >= pos[p] {
				t.Errorf("%s imports %s, which the table lists below it: an upward arrow", p, q)
			}
		}
	}
}

// moduleImports parses the non-test Go files under root and returns, for
// every package that imports module packages or is imported by one, the
// sorted module packages it imports (root-relative; the root package is
// "nnc"). Tools and test-only packages without such imports are left out.
func moduleImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	sets := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" && !strings.HasPrefix(filepath.ToSlash(path), "../cmd/") {
			return nil // tools such as internal/sizecheck
		}
		pkg := pkgName(filepath.Dir(path), root)
		if sets[pkg] == nil {
			sets[pkg] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if p == module {
				sets[pkg]["nnc"] = true
			} else if rel, ok := strings.CutPrefix(p, module+"/"); ok {
				sets[pkg][rel] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	used := map[string]bool{}
	for _, s := range sets {
		for q := range s {
			used[q] = true
		}
	}
	for p, s := range sets {
		if len(s) == 0 && !used[p] {
			continue
		}
		imps := []string{}
		for q := range s {
			imps = append(imps, q)
		}
		sort.Strings(imps)
		out[p] = imps
	}
	return out
}

// pkgName is dir relative to root, "nnc" for the root itself.
func pkgName(dir, root string) string {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." {
		return "nnc"
	}
	return filepath.ToSlash(rel)
}
