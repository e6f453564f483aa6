package lang

import (
	"path"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// StdLeafOwner reports which standard-library model declares the param or
// state at p, a position as a lowered parameter node carries it
// ("std/nn.nn:9:11"): the model as a program names it ("nn.Dense") and
// the leaf's name ("W"). ok is false for a leaf declared outside the
// standard library. Weight loaders use it to tell a Dense layer's W from a
// user's own parameter that happens to have the same name.
func StdLeafOwner(p ops.Pos) (model, leaf string, ok bool) {
	if !strings.HasPrefix(p.File, "std/") {
		return "", "", false
	}
	src, err := stdFS.ReadFile(p.File)
	if err != nil {
		return "", "", false
	}
	f, err := parseStd(p.File, src)
	if err != nil {
		return "", "", false
	}
	module := strings.TrimSuffix(path.Base(p.File), ".nn")
	for _, m := range f.Models {
		for _, mem := range m.Members {
			if l, isLeaf := mem.(*leafDecl); isLeaf && l.Pos.Line == p.Line && l.Pos.Col == p.Col {
				return module + "." + m.Name, l.Name, true
			}
		}
	}
	return "", "", false
}
