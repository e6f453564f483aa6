package lang

import (
	"fmt"
	"sort"

	"github.com/nnclang/nnc/ops"
)

// Name resolution: the scopes a name is looked up in (a call's locals, the
// model instance's members and arguments, the file's declarations and
// imports, then the built-ins), and the names offered as suggestions.

// fileScope holds one file's top-level declarations.
type fileScope struct {
	name    string // import name ("nn") or the file name
	ast     *sourceFile
	consts  map[string]value
	fns     map[string]*fnDecl
	models  map[string]*modelDecl
	imports map[string]*fileScope
}

// futureStd are std/nn models of the language not written yet (none now).
var futureStd = map[string]bool{}

// lookup resolves a name: locals, then the model's members and arguments,
// then the file's declarations, then built-ins.
func (i *interp) lookup(f *frame, id *ident) value {
	if v, ok := f.vars[id.Name]; ok {
		return v
	}
	if f.inst != nil {
		if v, ok := f.inst.members[id.Name]; ok {
			return v
		}
		if v, ok := f.inst.args[id.Name]; ok {
			return v
		}
	}
	if v, ok := i.global(f.file, id.Name); ok {
		return v
	}
	switch id.Name {
	case "training":
		return boolV(i.training)
	case "params":
		if f.inst == nil {
			i.errorf(id.Pos, CodeUndefined, "params is only defined inside a model")
			return bad
		}
		return paramsV{f.inst}
	}
	if dt, ok := parseDType(id.Name); ok {
		return dtypeV(dt)
	}
	if isBuiltin(id.Name) {
		return builtinV(id.Name)
	}
	msg, ok := i.undefined[id.Pos]
	if !ok {
		// Computed once per position: an unrolled loop reaches it again.
		msg = fmt.Sprintf("undefined name %q", id.Name)
		if s := suggest(id.Name, i.namesInScope(f)); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		if i.undefined == nil {
			i.undefined = map[ops.Pos]string{}
		}
		i.undefined[id.Pos] = msg
	}
	i.errorf(id.Pos, CodeUndefined, "%s", msg)
	return bad
}

func (i *interp) global(fs *fileScope, name string) (value, bool) {
	if fs == nil {
		return nil, false
	}
	if v, ok := fs.consts[name]; ok {
		return v, true
	}
	if fn, ok := fs.fns[name]; ok {
		return fnV{fn, fs}, true
	}
	if m, ok := fs.models[name]; ok {
		return modelDeclV{m, fs}, true
	}
	if im, ok := fs.imports[name]; ok {
		return namespaceV{im}, true
	}
	return nil, false
}

func (i *interp) namesInScope(f *frame) []string {
	var out []string
	for k := range f.vars {
		out = append(out, k)
	}
	if f.inst != nil {
		for k := range f.inst.members {
			out = append(out, k)
		}
		for k := range f.inst.args {
			out = append(out, k)
		}
		out = append(out, "params")
	}
	if fs := f.file; fs != nil {
		for k := range fs.consts {
			out = append(out, k)
		}
		for k := range fs.fns {
			out = append(out, k)
		}
		for k := range fs.models {
			out = append(out, k)
		}
		for k := range fs.imports {
			out = append(out, k)
		}
	}
	out = append(out, builtinNames()...)
	out = append(out, "training", "f32", "f64", "i32", "i64", "bool")
	sort.Strings(out)
	return out
}

// badAxis matches the type-rule errors of ops that reject an axis

func (i *interp) fileNames(fs *fileScope) []string {
	var out []string
	for k := range fs.consts {
		out = append(out, k)
	}
	for k := range fs.fns {
		out = append(out, k)
	}
	for k := range fs.models {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parseDType reads an element type name.
func parseDType(s string) (ops.DType, bool) {
	switch s {
	case "f32":
		return ops.F32, true
	case "f64":
		return ops.F64, true
	case "i32":
		return ops.I32, true
	case "i64":
		return ops.I64, true
	case "bool":
		return ops.Bool, true
	}
	return 0, false
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
