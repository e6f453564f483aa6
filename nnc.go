// Package nnc is the Go API of the nnc neural-network compiler: compile a
// .nn file, run and differentiate its functions and model methods, and train
// its models.
//
// A program is compiled once; each entry ("f" or "Model.method") becomes a
// Func whose parameters live in a Store shared by every Func of that model
// instance. Compilation errors are returned as an ErrorList whose lines read
// "file:line:col: message".
package nnc

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime/tensor"
)

// Tensor is a dense tensor (see package runtime/tensor).
type Tensor = tensor.Tensor

// ErrorList is the list of positioned errors of a .nn program, sorted.
type ErrorList = lang.ErrorList

// Program is a compiled .nn file.
type Program struct {
	mod   *lang.Module
	path  string
	args  map[string]any
	level int
}

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
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Compile(path, src)
}

// Dir is the folder of the program's file; relative data paths in train
// blocks are resolved against it.
func (p *Program) Dir() string { return filepath.Dir(p.path) }

// Entries lists the functions and model methods that can be run.
func (p *Program) Entries() []string { return p.mod.Entries() }

// InternalError is a broken invariant inside nnc, caught at the API boundary
// instead of crashing the caller. It is a bug: please report it.
type InternalError struct {
	Value any
	Stack string
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("internal error (a bug in nnc): %v", e.Value)
}

// recoverInternal turns a panic into an *InternalError.
func recoverInternal(err *error) {
	if r := recover(); r != nil {
		*err = &InternalError{Value: r, Stack: string(debug.Stack())}
	}
}

// SetModelArgs gives values to model arguments ("users": 943) for every
// model of the program that declares them, overriding their defaults; a
// model argument without a default needs a value before its model can run.
// Values are int, float64, bool or string.
func (p *Program) SetModelArgs(args map[string]any) { p.args = args }

// lower lowers an entry with the program's model arguments.
func (p *Program) lower(entry string, o lang.LowerOptions) (*lang.Lowered, error) {
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
