// Package nnc is the Go API of the nnc neural-network compiler: compile a
// .nn file, run and differentiate its functions and model methods, and train
// its models.
//
// A program is compiled once; each entry ("f" or "Model.method") becomes a
// Func that holds its own copy of the model's parameters. Compilation errors
// are returned as an ErrorList whose lines read "file:line:col: message".
//
// # Errors
//
// Bad arguments (a nil or malformed tensor, an unknown name, a missing
// input) are returned as errors, never panics. A broken invariant inside nnc
// is returned as an *InternalError, with the stack, instead of crashing the
// caller; it is a bug.
//
// # Concurrency
//
// A Func is safe for concurrent use: any number of goroutines may call Run,
// RunContext, Grad and GradContext on one Func at once. Each compiled variant
// of the entry (one per call kind, gradient list and, for entries that
// unroll over a shape, input shapes) is compiled once, by the first call that
// needs it, and keeps a pool of sessions (plans and their buffers), one per
// call running at the same time; the parameters are shared, read-only, by
// all of them. Parameter writes (SetParam, InitParams) wait for the runs in
// progress and hold off new ones until they are done, so every run sees the
// parameters wholly before or wholly after a write. Results are bitwise the
// same whether calls run alone or together. LoadParams is a parameter write
// like SetParam (the file is read before it waits). Param, SaveParams and
// GradCheck read the parameters as they are at one moment: they run
// alongside runs, and parameter writes wait for them (SaveParams writes its
// file, and GradCheck computes, after letting go). Param returns a copy.
//
// The pool of a variant keeps as many sessions as calls ran on it at the
// same time, each with its own buffers (each held to the memory limit of
// package runtime on its own), and keeps them for the life of the Func.
//
// Tensors given as inputs are read in place, not copied: do not modify them
// while a call that uses them is running. Results are copies the caller owns.
//
// A Program is safe for concurrent use too, but its settings (SetModelArgs,
// SetOptLevel) apply to what is compiled after they change, so set them
// before making Funcs.
package nnc

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/tensor"
)

// Tensor is a dense tensor (see package tensor).
type Tensor = tensor.Tensor

// ErrorList is the list of positioned errors of a .nn program, sorted.
type ErrorList = lang.ErrorList

// Error is one positioned error of a .nn program: its position, its stable
// code (lang/errors.go: "E203") and its message.
type Error = lang.Error

// Program is a compiled .nn file. Make one with Compile or CompileFile; the
// zero Program is not usable (its methods return an error).
type Program struct {
	mod  *lang.Module
	path string

	// mu guards args and level, and serializes lowering.
	mu    sync.Mutex
	args  map[string]any
	level int
}

// errNoProgram is returned by the methods of a nil or zero Program.
var errNoProgram = errors.New("nnc: nil or empty Program (make one with Compile or CompileFile)")

// ok reports whether p was made by Compile.
func (p *Program) ok() bool { return p != nil && p.mod != nil }

// Compile parses and checks a .nn program. filename is used in positions.
func Compile(filename string, src []byte) (p *Program, err error) {
	defer recoverInternal(&err)
	m, err := lang.Load(filename, src)
	if err != nil {
		return nil, err
	}
	return &Program{mod: m, path: filename, level: opt.DefaultLevel}, nil
}

// CompileFile reads and compiles a .nn file.
func CompileFile(path string) (*Program, error) {
	if path == "" {
		return nil, errors.New("nnc: CompileFile: empty file name")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Compile(path, src)
}

// Dir is the folder of the program's file; relative data paths in train
// blocks are resolved against it. It is "." for a nil Program.
func (p *Program) Dir() string {
	if p == nil {
		return "."
	}
	return filepath.Dir(p.path)
}

// Entries lists the functions and model methods that can be run (none for a
// nil or zero Program).
func (p *Program) Entries() []string {
	if !p.ok() {
		return nil
	}
	return p.mod.Entries()
}

// InternalError is a broken invariant inside nnc, caught at the API boundary
// instead of crashing the caller. It is a bug: please report it.
type InternalError struct {
	Value any
	Stack string
}

// Error describes the broken invariant.
func (e *InternalError) Error() string {
	if e == nil {
		return "internal error (a bug in nnc): <nil>"
	}
	return fmt.Sprintf("internal error (a bug in nnc): %v", e.Value)
}

// recoverInternal turns a panic into an *InternalError. Every exported
// entry point that can reach a broken invariant defers it.
func recoverInternal(err *error) {
	if r := recover(); r != nil {
		*err = &InternalError{Value: r, Stack: string(debug.Stack())}
	}
}

// SetModelArgs gives values to model arguments ("users": 943) for every
// model of the program that declares them, overriding their defaults; a
// model argument without a default needs a value before its model can run.
// Values are int, float64, bool or string; a value of another type is
// reported when a model that declares it is lowered. The map is copied. It
// applies to what is compiled afterwards: Funcs made earlier may already
// have compiled their variants. A nil Program ignores it.
func (p *Program) SetModelArgs(args map[string]any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.args = maps.Clone(args)
}

// lower lowers an entry with the program's model arguments. Lowerings of
// one program run one at a time.
func (p *Program) lower(entry string, o lang.LowerOptions) (*lang.Lowered, error) {
	if !p.ok() {
		return nil, errNoProgram
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if model, _, ok := strings.Cut(entry, "."); ok && len(p.args) > 0 {
		o.ModelArgs = map[string]any{}
		for _, name := range p.mod.ModelArgs(model) {
			if v, ok := p.args[name]; ok {
				o.ModelArgs[name] = v
			}
		}
	}
	return p.mod.Lower(entry, o)
}

// signature returns an entry's inputs, under the program's lock.
func (p *Program) signature(entry string) ([]lang.Arg, error) {
	if !p.ok() {
		return nil, errNoProgram
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	sig, _, err := p.mod.Signature(entry)
	return sig, err
}
