package lang

import (
	"strings"
	"unicode/utf8"

	"github.com/nnclang/nnc/ops"
)

// Fix is an edit that certainly corrects one error of an Analysis: the
// text from Pos to End (exclusive; Pos == End inserts) becomes New.
type Fix struct {
	Title    string
	Err      *Error
	Pos, End ops.Pos
	New      string
	// Preferred is set on the fix an editor may apply on its own (the
	// missing import).
	Preferred bool
}

// Fixes lists the certain fixes of the errors of file: for a name the
// checker suggests another for (an undefined name, a module's or model's
// member, a keyword argument, an initializer), renaming it to the
// suggestion; for a standard library module used without its import
// (nn.Dense with no `import "std/nn"`), inserting the import before the
// file's first declaration.
func (a *Analysis) Fixes(file string) []Fix {
	qf := a.files[file]
	if qf == nil || len(qf.toks) == 0 {
		return nil
	}
	var out []Fix
	imported := map[string]bool{}
	for k := range a.Errors {
		e := a.Errors[k]
		if e.Pos.File != file || e.Code != CodeUndefined && e.Code != CodeNoMember && e.Code != CodeArgs {
			continue
		}
		if f, ok := qf.importFix(e); ok && !imported[f.New] {
			imported[f.New] = true
			out = append(out, f)
		}
		name, hint, ok := suggestion(e.Msg)
		if !ok {
			continue
		}
		t, ok := qf.tokenFrom(e.Pos, name)
		if !ok || t.Pos.Line != e.Pos.Line {
			continue
		}
		p := tokPos(file, t)
		out = append(out, Fix{
			Title: "Change " + name + " to " + hint, Err: e, New: hint,
			Pos: p, End: ops.Pos{File: file, Line: p.Line, Col: p.Col + utf8.RuneCountInString(name)},
		})
	}
	return out
}

// suggestion reads an error message "... NAME; did you mean "HINT"?" (NAME
// bare or quoted) and reports the name and the hint when both are names.
func suggestion(msg string) (name, hint string, ok bool) {
	before, after, found := strings.Cut(msg, "; did you mean \"")
	if !found {
		return "", "", false
	}
	hint, _, found = strings.Cut(after, "\"?")
	if strings.HasSuffix(before, "\"") {
		before = strings.TrimSuffix(before, "\"")
		name = before[strings.LastIndexByte(before, '"')+1:]
	} else {
		name = before[strings.LastIndexByte(before, ' ')+1:]
	}
	return name, hint, found && isName(name) && isName(hint)
}

// isName reports whether s is a name of the language.
func isName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !isNameRune(r) {
			return false
		}
	}
	return true
}

// importFix is the fix of `undefined name "nn"` where nn is a standard
// library module used as one (followed by "."): its import.
func (qf *queryFile) importFix(e *Error) (Fix, bool) {
	rest, ok := strings.CutPrefix(e.Msg, "undefined name \"")
	if !ok {
		return Fix{}, false
	}
	name, _, _ := strings.Cut(rest, "\"")
	if _, std := StdSource("std/" + name + ".nn"); !std || !isName(name) {
		return Fix{}, false
	}
	for k, t := range qf.toks {
		if t.Pos.Line == e.Pos.Line && t.Pos.Column == e.Pos.Col {
			if k+1 >= len(qf.toks) || qf.toks[k+1].Value != "." {
				return Fix{}, false
			}
			break
		}
	}
	first := qf.toks[0]
	at := ops.Pos{File: qf.name, Line: first.Pos.Line, Col: 1}
	text := "import \"std/" + name + "\"\n"
	if first.Value != "import" {
		text += "\n"
	}
	return Fix{Title: "Add import \"std/" + name + "\"", Err: e, Pos: at, End: at, New: text, Preferred: true}, true
}
