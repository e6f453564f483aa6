package nnc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nnclang/nnc/codegen"
)

// buildTarget fills spec's standalone and target settings from opts.
func buildTarget(spec *codegen.Spec, opts BuildOptions) error {
	switch opts.Target {
	case "", "go":
	case "wasm":
		if opts.ExternalWeights {
			return &OptionError{Option: "BuildOptions.Target", Value: `"wasm"`, Msg: "a web module embeds its weights: drop the external weights"}
		}
		spec.Target = "wasm"
	default:
		return &OptionError{Option: "BuildOptions.Target", Value: fmt.Sprintf("%q", opts.Target), Msg: "want go or wasm"}
	}
	if !opts.Standalone && spec.Target == "" {
		if opts.Module != "" {
			return &OptionError{Option: "BuildOptions.Module", Value: fmt.Sprintf("%q", opts.Module), Msg: "only a standalone package has a module path"}
		}
		return nil
	}
	spec.Standalone, spec.Module, spec.Sources = true, opts.Module, nncSources
	if spec.Module == "" {
		spec.Module = spec.Package
	}
	if err := codegen.CheckModulePath(spec.Module); err != nil {
		return &OptionError{Option: "BuildOptions.Module", Value: fmt.Sprintf("%q", spec.Module), Msg: err.Error()}
	}
	v, err := goVersion()
	if err != nil {
		return err
	}
	spec.GoVersion = v
	return nil
}

// WasmFiles are the files WriteWasm leaves in its folder besides src/.
var WasmFiles = []string{"model.wasm", "wasm_exec.js", "nnc_model.js"}

// WriteWasm writes a package built with Target "wasm" into dir as a web
// module: src/, the standalone Go module; model.wasm, its program
// compiled by the go command (found on PATH; GOOS=js GOARCH=wasm,
// -trimpath, symbols stripped); wasm_exec.js, the Go release's support
// script, copied from the toolchain's GOROOT; and nnc_model.js, which
// loads model.wasm and gives a page nncLoadModel(url) (docs/deploy.md).
// It fails, saying why, without the go command.
func (g *GoPackage) WriteWasm(ctx context.Context, dir string) (err error) {
	defer recoverInternal(&err)
	if g == nil || g.Target != "wasm" {
		return fmt.Errorf("nnc build: WriteWasm needs a package built with Target wasm")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("nnc build --target wasm compiles with the go command (Go %s or later), which is not on PATH: %v", g.goVersion(), err)
	}
	src := filepath.Join(dir, "src")
	if err := g.Write(src); err != nil {
		return err
	}
	out, err := filepath.Abs(filepath.Join(dir, "model.wasm"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	env := append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOFLAGS=", "GOWORK=off", "CGO_ENABLED=0")
	if _, err := goOutput(ctx, src, gobin, env, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./wasm"); err != nil {
		return err
	}
	root, err := goOutput(ctx, src, gobin, env, "env", "GOROOT")
	if err != nil {
		return err
	}
	var glue []byte
	for _, p := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} {
		if glue, err = os.ReadFile(filepath.Join(strings.TrimSpace(root), filepath.FromSlash(p))); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("nnc build: the go command's GOROOT has no wasm_exec.js: %v", err)
	}
	if err := WriteFile(filepath.Join(dir, "wasm_exec.js"), glue); err != nil {
		return err
	}
	return WriteFile(filepath.Join(dir, "nnc_model.js"), g.Files["wasm/nnc_model.js"])
}

// goVersion is the go line of the package's go.mod.
func (g *GoPackage) goVersion() string {
	for _, line := range strings.Split(string(g.Files["go.mod"]), "\n") {
		if v, ok := strings.CutPrefix(line, "go "); ok {
			return v
		}
	}
	return "1.26"
}

// goOutput runs the go command in dir and returns its standard output; an
// error carries what it printed.
func goOutput(ctx context.Context, dir, gobin string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, gobin, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("nnc build: go %s: %v\n%s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}
