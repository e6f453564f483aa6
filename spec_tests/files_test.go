package spectests

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/nnclang/nnc"
)

// compileCase compiles a case's main.nn. A case with other .nn files (which
// main.nn imports) is written to a temporary folder and compiled from there;
// positions in its errors are then relative to that folder again (main.nn,
// layers.nn), as in a case without files.
func compileCase(c *specCase) (*nnc.Program, error) {
	if len(c.files) == 0 {
		return nnc.Compile("main.nn", c.program)
	}
	dir, err := os.MkdirTemp("", "spec-case-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.nn"), c.program, 0o644); err != nil {
		return nil, err
	}
	for _, f := range c.files {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.text), 0o644); err != nil {
			return nil, err
		}
	}
	p, err := nnc.CompileFile(filepath.Join(dir, "main.nn"))
	if err != nil {
		return nil, &relocated{err, strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")}
	}
	return p, nil
}

// relocated is an error whose text no longer names a temporary folder; it
// unwraps to the original (whose codes matchCodes reads).
type relocated struct {
	err  error
	text string
}

func (r *relocated) Error() string { return r.text }
func (r *relocated) Unwrap() error { return r.err }
