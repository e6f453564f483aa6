package codegen

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// copiedPackages are nnc's packages a standalone package holds a copy of,
// under internal/: the generated code imports ops, kernels and tensor, ops imports
// kernels and tensor, and none of them imports anything else of nnc.
var copiedPackages = []string{"ops", "kernels", "tensor"}

// maxSourceBytes bounds one copied file (nnc's largest is far smaller).
const maxSourceBytes = 4 << 20

// CheckModulePath accepts a module path the go command takes for a main
// module: slash-separated elements of letters, digits and ._~-, none
// empty, "." or "..".
func CheckModulePath(p string) error {
	if p == "" || len(p) > 200 {
		return fmt.Errorf("module path %q: empty or longer than 200 bytes", p)
	}
	for _, e := range strings.Split(p, "/") {
		if e == "" || e == "." || e == ".." || strings.HasPrefix(e, "-") {
			return fmt.Errorf("module path %q: element %q is not allowed", p, e)
		}
		for _, r := range e {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._~-", r)
			if !ok {
				return fmt.Errorf("module path %q: %q is not allowed in a module path", p, r)
			}
		}
	}
	return nil
}

// copySources adds to files, under internal/, the non-test Go, assembly
// and assembly header files of nnc's ops, kernels and tensor packages read
// from src,
// their imports of one another rewritten to module+"/internal/...", and
// nnc's LICENSE; and go.mod. A copied file that imports any other package
// of nnc is an error (the copy would not build).
func copySources(files Files, src fs.FS, module, goVersion string) error {
	if src == nil {
		return fmt.Errorf("a standalone package needs nnc's sources (Spec.Sources)")
	}
	rewrite := map[string]string{}
	for _, p := range copiedPackages {
		rewrite[ModulePath+"/"+p] = module + "/internal/" + p
	}
	for _, dir := range copiedPackages {
		entries, err := fs.ReadDir(src, dir)
		if err != nil {
			return fmt.Errorf("nnc's sources: %v", err)
		}
		n := 0
		for _, e := range entries {
			name := e.Name()
			isGo := strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
			if e.IsDir() || !isGo && !strings.HasSuffix(name, ".s") && !strings.HasSuffix(name, ".h") {
				continue
			}
			b, err := fs.ReadFile(src, path.Join(dir, name))
			if err != nil {
				return fmt.Errorf("nnc's sources: %v", err)
			}
			if len(b) > maxSourceBytes {
				return fmt.Errorf("nnc's sources: %s/%s: %d bytes", dir, name, len(b))
			}
			if generator(b) {
				continue // go run gemm_gen.go: a program, not part of the package
			}
			if isGo {
				if b, err = rewriteImports(dir+"/"+name, b, rewrite); err != nil {
					return err
				}
			}
			head := fmt.Sprintf("// Code copied by nnc build from %s/%s/%s. DO NOT EDIT.\n\n", ModulePath, dir, name)
			files["internal/"+dir+"/"+name] = append([]byte(head), b...)
			n++
		}
		if n == 0 {
			return fmt.Errorf("nnc's sources: no files in %s", dir)
		}
	}
	lic, err := fs.ReadFile(src, "LICENSE")
	if err != nil {
		return fmt.Errorf("nnc's sources: %v", err)
	}
	files["internal/LICENSE"] = lic
	files["go.mod"] = []byte(fmt.Sprintf("// Written by nnc build: a standalone model package, which needs nothing\n// but the Go standard library.\n\nmodule %s\n\ngo %s\n", module, goVersion))
	return nil
}

// generator reports whether a Go file's header has the constraint
// "//go:build ignore" (a program run by go generate).
func generator(src []byte) bool {
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if line == "//go:build ignore" {
			return true
		}
		if strings.HasPrefix(line, "package ") {
			return false
		}
	}
	return false
}

// rewriteImports rewrites the import paths of src found in rewrite, and
// refuses any other import of nnc's module.
func rewriteImports(name string, src []byte, rewrite map[string]string) ([]byte, error) {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
	if err != nil {
		return nil, fmt.Errorf("nnc's sources: %v", err)
	}
	var out []byte
	last := 0
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("nnc's sources: %s: %v", name, err)
		}
		if p != ModulePath && !strings.HasPrefix(p, ModulePath+"/") {
			continue
		}
		to, ok := rewrite[p]
		if !ok {
			return nil, fmt.Errorf("nnc's sources: %s imports %s, which a standalone package does not copy", name, p)
		}
		// A file parsed from position 1: offsets are Pos-1.
		start, end := int(imp.Path.Pos())-1, int(imp.Path.End())-1
		out = append(append(out, src[last:start]...), strconv.Quote(to)...)
		last = end
	}
	return append(out, src[last:]...), nil
}
