package lang

import (
	"embed"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nnclang/nnc/ops"
)

//go:embed std/*.nn
var stdFS embed.FS

// Module is a loaded and checked .nn file.
type Module struct {
	file   *fileScope
	trains map[string]*TrainSpec
	order  []string  // models with a train block, in file order
	budget int       // the step budget of checking (per mode) and of lowering one entry; see stepBudget
	obs    *observer // set by Analyze (query.go): checking records what each expression evaluates to
}

// Load parses and checks a .nn file: every function with its declared
// symbolic signature and every model's methods with its argument defaults.
// The error, when not nil, is an ErrorList sorted by position.
func Load(filename string, src []byte) (m *Module, err error) {
	var errs ErrorList
	ast, perr := parse(filename, src)
	if perr != nil {
		return nil, perr
	}
	ls := &loadState{std: map[string]*fileScope{}, chain: []string{filepath.Clean(filename)}, bytes: len(src)}
	fs := newFileScope(ast, path.Base(filename), &errs, ls)
	m = &Module{file: fs, trains: map[string]*TrainSpec{}, budget: stepBudget(ls.bytes)}
	m.checkAll(&errs)
	m.loadTrains(ast, &errs)
	if err := errs.errOrNil(); err != nil {
		return nil, err
	}
	return m, nil
}

// loadState is what loading a program knows about its imports: the
// standard library modules loaded (each once, and shared by every file
// that imports it), and the chain of files being loaded, from the root,
// to report an import cycle.
type loadState struct {
	std   map[string]*fileScope
	chain []string
	bytes int // the size of the sources read, for stepBudget
}

// cycle describes the import cycle that importing p closes, or "" when
// p is not being loaded: "a.nn imports b.nn, which imports a.nn".
func (ls *loadState) cycle(p string) string {
	start := -1
	for k, c := range ls.chain {
		if c == p {
			start = k
			break
		}
	}
	if start < 0 {
		return ""
	}
	dir := filepath.Dir(ls.chain[0])
	show := func(f string) string {
		if r, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return filepath.ToSlash(f)
	}
	files := append(append([]string(nil), ls.chain[start:]...), p)
	if len(files) == 2 {
		return show(p) + " imports itself"
	}
	var sb strings.Builder
	for k, f := range files {
		switch k {
		case 0:
		case 1:
			sb.WriteString(" imports ")
		default:
			sb.WriteString(", which imports ")
		}
		sb.WriteString(show(f))
	}
	return sb.String()
}

// newFileScope collects a file's declarations, resolves its imports and
// evaluates its constants.
func newFileScope(ast *sourceFile, name string, errs *ErrorList, loading *loadState) *fileScope {
	fs := &fileScope{name: name, ast: ast, consts: map[string]value{}, fns: map[string]*fnDecl{},
		models: map[string]*modelDecl{}, imports: map[string]*fileScope{}}
	seen := map[string]ops.Pos{}
	declare := func(n string, p ops.Pos) bool {
		if prev, dup := seen[n]; dup {
			*errs = append(*errs, &Error{Pos: p, Code: CodeDuplicate, Msg: fmt.Sprintf("%s is already declared at %v", n, prev)})
			return false
		}
		seen[n] = p
		return true
	}
	for _, im := range ast.Imports {
		if !strings.HasPrefix(im.Path, "std/") {
			fs.importFile(im, errs, loading, declare)
			continue
		}
		n := im.As
		if n == "" {
			n = path.Base(im.Path)
		}
		if !declare(n, im.Pos) {
			continue
		}
		src, err := stdFS.ReadFile(im.Path + ".nn")
		if err != nil || strings.Contains(im.Path[4:], "/") {
			*errs = append(*errs, &Error{Pos: im.Pos, Code: CodeImport, Msg: fmt.Sprintf("unknown standard library module %q", im.Path)})
			fs.consts[n] = bad // no cascade of "undefined name"
			continue
		}
		if loaded, ok := loading.std[im.Path]; ok {
			if loaded != nil { // nil: it did not parse, reported once
				fs.imports[n] = loaded
			}
			continue
		}
		loading.std[im.Path] = nil
		loading.bytes += len(src)
		sub, perr := parseStd(im.Path+".nn", src)
		if perr != nil {
			*errs = append(*errs, perr.(ErrorList)...)
			continue
		}
		fs.imports[n] = newFileScope(sub, n, errs, loading)
		loading.std[im.Path] = fs.imports[n]
	}
	for _, f := range ast.Fns {
		if declare(f.Name, f.Pos) {
			fs.fns[f.Name] = f
		}
	}
	for _, md := range ast.Models {
		if declare(md.Name, md.Pos) {
			fs.models[md.Name] = md
		}
	}
	checkParamNames(ast, errs)
	i := &interp{b: ops.NewBuilder(), checking: true}
	for _, c := range ast.Consts {
		if !declare(c.Name, c.Pos) {
			continue
		}
		var v value = bad
		v = i.eval(&frame{vars: map[string]value{}, file: fs}, c.Value)
		switch v.(type) {
		case intV, floatV, boolV, stringV, invalidV:
		default:
			i.errorf(startPos(c.Value), CodeNotConst, "const %s must be a compile-time int, float, bool or string, not %s", c.Name, kindOf(v))
			v = bad
		}
		fs.consts[c.Name] = v
	}
	*errs = append(*errs, i.errs...)
	return fs
}

// importFile resolves `import "path.nn" as name`, relative to the
// directory of the importing file.
//
// An absolute path is an error (E102): a program names its files relative
// to itself, so that it can be moved as a folder and so that a source file
// cannot read arbitrary files of the machine it is compiled on.
func (fs *fileScope) importFile(im *importDecl, errs *ErrorList, loading *loadState, declare func(string, ops.Pos) bool) {
	fail := func(format string, a ...any) {
		*errs = append(*errs, &Error{Pos: im.Pos, Code: CodeImport, Msg: fmt.Sprintf(format, a...)})
		if im.As != "" {
			fs.consts[im.As] = bad
		}
	}
	if im.As == "" {
		fail("import %q needs a name: import %q as name", im.Path, im.Path)
		return
	}
	if !declare(im.As, im.Pos) {
		return
	}
	if im.Path == "" || path.IsAbs(im.Path) || filepath.IsAbs(im.Path) || filepath.VolumeName(im.Path) != "" || strings.HasPrefix(im.Path, `\\`) {
		fail("cannot import %q: an import path must be relative to the folder of the importing file (absolute paths are not allowed)", im.Path)
		return
	}
	p := filepath.Join(filepath.Dir(fs.ast.Name), filepath.FromSlash(im.Path))
	if c := loading.cycle(p); c != "" {
		fail("import cycle: %s", c)
		return
	}
	src, err := os.ReadFile(p)
	if err != nil {
		fail("cannot import %q: %v", im.Path, err)
		return
	}
	loading.bytes += len(src)
	sub, perr := parse(p, src)
	if perr != nil {
		*errs = append(*errs, perr.(ErrorList)...)
		fs.consts[im.As] = bad
		return
	}
	loading.chain = append(loading.chain, p)
	fs.imports[im.As] = newFileScope(sub, im.As, errs, loading)
	loading.chain = loading.chain[:len(loading.chain)-1]
}

// checkAll checks every function and every model method of the file, in
// evaluation and training modes.
func (m *Module) checkAll(errs *ErrorList) {
	// One budget of maxSteps for checking the whole program in each mode:
	// once it is spent (and reported), the rest is not checked.
	for _, training := range []bool{false, true} {
		used := 0
		for _, f := range m.file.ast.Fns {
			if m.file.fns[f.Name] != f || used > m.budget {
				continue
			}
			i := &interp{b: ops.NewBuilder(), training: training, checking: true, steps: used, budget: m.budget, obs: m.obs}
			i.lowerFn(f, m.file, nil)
			used = i.steps
			*errs = append(*errs, i.errs...)
		}
		for _, md := range m.file.ast.Models {
			if m.file.models[md.Name] != md || used > m.budget {
				continue
			}
			i := &interp{b: ops.NewBuilder(), training: training, checking: true, steps: used, budget: m.budget, obs: m.obs}
			if inst := i.entryModel(md, m.file, nil); inst != nil {
				for _, mem := range md.Members {
					if f, ok := mem.(*fnDecl); ok {
						i.lowerFn(f, m.file, inst)
					}
				}
			}
			used = i.steps
			*errs = append(*errs, i.errs...)
		}
	}
}

// checkParamNames reports a parameter name used twice in the signature of
// one function or method (E103, at the second).
func checkParamNames(ast *sourceFile, errs *ErrorList) {
	check := func(f *fnDecl) {
		seen := map[string]ops.Pos{}
		for _, p := range f.Params {
			if prev, dup := seen[p.Name]; dup {
				*errs = append(*errs, &Error{Pos: p.Pos, Code: CodeDuplicate,
					Msg: fmt.Sprintf("parameter %s of %s is already declared at %v", p.Name, f.Name, prev)})
				continue
			}
			seen[p.Name] = p.Pos
		}
	}
	for _, f := range ast.Fns {
		check(f)
	}
	for _, md := range ast.Models {
		for _, mem := range md.Members {
			if f, ok := mem.(*fnDecl); ok {
				check(f)
			}
		}
	}
}

// stdParsed caches the syntax trees of the embedded standard library files
// (the checker does not modify a tree), by path.
var stdParsed sync.Map

// parseStd parses an embedded standard library file once per process.
func parseStd(name string, src []byte) (*sourceFile, error) {
	if f, ok := stdParsed.Load(name); ok {
		return f.(*sourceFile), nil
	}
	f, err := parse(name, src)
	if err != nil {
		return nil, err
	}
	stdParsed.Store(name, f)
	return f, nil
}
