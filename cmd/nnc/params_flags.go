package main

import (
	"flag"
	"strings"

	"github.com/nnclang/nnc"
)

// paramFlags say how a parameters file is read: its naming, renames,
// extras and dtype conversion (nnc.ParamsOptions).
type paramFlags struct {
	from       string
	rename     listFlag
	allowExtra bool
	convert    bool
}

func (pf *paramFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&pf.from, "from", "", "the naming of the parameters file: torch for a PyTorch state_dict saved as safetensors (Linear weights transposed, LSTM/GRU, norms and attention mapped to std/nn; docs/interop.md)")
	fs.Var(&pf.rename, "rename", "rename a prefix of the file's tensor names, OLD=NEW, before matching (features.0=conv1; repeatable)")
	fs.BoolVar(&pf.allowExtra, "allow-extra", false, "accept tensors in the parameters file that the model does not read")
	fs.BoolVar(&pf.convert, "convert", false, "convert f64 tensors to the model's f32 (and back) instead of refusing them")
}

// options returns the flags as nnc.ParamsOptions, and whether any is set.
func (pf *paramFlags) options() (nnc.ParamsOptions, bool, error) {
	o := nnc.ParamsOptions{From: pf.from, AllowExtra: pf.allowExtra, Convert: pf.convert}
	if pf.from != "" && pf.from != "torch" {
		return o, false, usagef("--from %q: the only foreign naming is torch", pf.from)
	}
	for _, r := range pf.rename {
		old, new, ok := strings.Cut(r, "=")
		if !ok || new == "" || strings.HasSuffix(old, ".") || strings.HasSuffix(new, ".") {
			return o, false, usagef("--rename %q: want OLD=NEW, two name prefixes such as features.0=conv1", r)
		}
		if o.Rename == nil {
			o.Rename = map[string]string{}
		}
		if _, dup := o.Rename[old]; dup {
			return o, false, usagef("--rename %s= given twice", old)
		}
		o.Rename[old] = new
	}
	set := o.From != "" || len(o.Rename) > 0 || o.AllowExtra || o.Convert
	return o, set, nil
}

// load reads path into f under the flags' options.
func (pf *paramFlags) load(f *nnc.Func, path string) error {
	o, set, err := pf.options()
	if err != nil {
		return err
	}
	if !set {
		return f.LoadParams(path)
	}
	return f.LoadParamsWith(path, o)
}
