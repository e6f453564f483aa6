package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc"
)

// cmdBuild is nnc build: the inference plan of an entry as a Go package
// (docs/deploy.md).
func cmdBuild(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("build")
	shapes := shapesFlag{}
	fs.Var(shapes, "shapes", "values of the entry's shape variables, e.g. B=1 (all are needed: the package runs these shapes)")
	entry := fs.String("entry", "", "the function or method to compile (M.forward)")
	params := fs.String("params", "", "the parameters (.safetensors); without it the package holds the seed-0 initialization")
	pkgName := fs.String("package", "", "the Go package's name (default: the file's base name)")
	outDir := fs.String("o", "", "the folder to write the package into (required)")
	external := fs.Bool("external-weights", false, "do not embed weights.bin: the package reads it at run time (Load)")
	standalone := fs.Bool("standalone", false, "write a module of its own (go.mod) that imports nothing from nnc: nnc's ops, kernels and tensor copied under internal/")
	module := fs.String("module", "", "the module path of a --standalone package (default: the package's name)")
	target := fs.String("target", "go", "go: a Go package; wasm: a web module (model.wasm, wasm_exec.js, nnc_model.js, src/), compiled with the go command on PATH")
	dynamic := fs.String("dynamic", "", "NAME=MAX: leave the shape variable NAME (B) symbolic; Predict takes any value from 1 to MAX, planned at its first use")
	var pf paramFlags
	pf.define(fs)
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	if *entry == "" {
		return usagef("--entry is required (a function f or a method Model.forward)")
	}
	if *outDir == "" {
		return usagef("-o DIR is required: the folder of the generated package")
	}
	dynName, dynMax := "", 0
	if *dynamic != "" {
		name, max, ok := strings.Cut(*dynamic, "=")
		n, err := strconv.Atoi(max)
		if !ok || err != nil || n < 1 || !shapeName.MatchString(name) {
			return usagef("--dynamic %q: want NAME=MAX, a shape variable and its largest value from 1 (B=64)", *dynamic)
		}
		dynName, dynMax = name, n
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	f, err := p.Func(*entry)
	if err != nil {
		return err
	}
	if *params != "" {
		if err := pf.load(f, *params); err != nil {
			return err
		}
	}
	pkg, err := f.Build(nnc.BuildOptions{Shapes: shapes, Package: *pkgName, ExternalWeights: *external,
		Standalone: *standalone, Module: *module, Target: *target, Dynamic: dynName, MaxDynamic: dynMax})
	if err != nil {
		return err
	}
	if pkg.Target == "wasm" {
		return writeWasm(pkg, *outDir, stdout)
	}
	if err := pkg.Write(*outDir); err != nil {
		return err
	}
	names := make([]string, 0, len(pkg.Files))
	copied, copiedBytes := 0, 0
	for name, b := range pkg.Files {
		if strings.HasPrefix(name, "internal/") {
			copied, copiedBytes = copied+1, copiedBytes+len(b)
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintf(stdout, "package %s in %s:\n", pkg.Name, *outDir)
	for _, name := range names {
		fmt.Fprintf(stdout, "  %-16s %s\n", name, fmt.Sprintf("%d bytes", len(pkg.Files[name])))
	}
	if copied > 0 {
		fmt.Fprintf(stdout, "  %-16s %d files, %d bytes: nnc's ops, kernels and tensor\n", "internal/", copied, copiedBytes)
	}
	return nil
}

// writeWasm compiles a --target wasm package into dir and lists what it
// wrote.
func writeWasm(pkg *nnc.GoPackage, dir string, stdout io.Writer) error {
	if err := pkg.WriteWasm(context.Background(), dir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "web module %s in %s:\n", pkg.Name, dir)
	for _, name := range nnc.WasmFiles {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %-16s %d bytes\n", name, st.Size())
	}
	fmt.Fprintf(stdout, "  %-16s the Go module model.wasm is compiled from (%d files)\n", "src/", len(pkg.Files))
	return nil
}
