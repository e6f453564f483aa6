package main

import (
	"fmt"
	"io"
	"sort"

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
	var pf paramFlags
	pf.define(fs)
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}
	if *entry == "" {
		return usagef("--entry is required (a function f or a method Model.forward)")
	}
	if *outDir == "" {
		return usagef("-o DIR is required: the folder of the generated package")
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
	pkg, err := f.Build(nnc.BuildOptions{Shapes: shapes, Package: *pkgName, ExternalWeights: *external})
	if err != nil {
		return err
	}
	if err := pkg.Write(*outDir); err != nil {
		return err
	}
	names := make([]string, 0, len(pkg.Files))
	for name := range pkg.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintf(stdout, "package %s in %s:\n", pkg.Name, *outDir)
	for _, name := range names {
		fmt.Fprintf(stdout, "  %-16s %s\n", name, fmt.Sprintf("%d bytes", len(pkg.Files[name])))
	}
	return nil
}
