package nnc

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/train"
)

// The train block's keys that fix parts of a model, for distillation and
// fine-tuning:
//
//	init_from = {teacher: "teacher.safetensors"}   // sub-model teacher's params and states come from this file
//	freeze    = [teacher]                          // and are not trained
//
// init_from reads each named sub-model's parameters and states from a
// parameters file or checkpoint (relative to the .nn file), named as the
// sub-model's own model names them (the file `nnc train` writes for that
// model: "l1.W", not "teacher.l1.W"); every tensor must be there with its
// declared type and the file may hold no other. freeze names sub-models or
// parameters (dotted paths, "teacher", "encoder.l1") whose parameters get
// no gradient, no optimizer state, no weight decay, no noise and no
// pruning, and whose states are not updated. A frozen parameter is written
// unchanged with the others to the trained parameters (-o), so that eval
// and run read one file.

// freezeKeys are those settings; they join trainKeys.
var freezeKeys = []string{"freeze", "init_from"}

func init() {
	trainKeys = append(trainKeys, freezeKeys...)
	sort.Strings(trainKeys)
}

// subPathRE matches a dotted path of names: "teacher", "encoder.l1.W".
var subPathRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// frozenPath is one name of freeze, and where it is written.
type frozenPath struct {
	path string
	pos  ops.Pos
}

// subInit is one entry of init_from: the sub-model, the file as written
// and resolved, and where its value is written.
type subInit struct {
	path, written, file string
	pos                 ops.Pos
}

// freezing is what a train block's freeze and init_from say.
type freezing struct {
	s      *settings
	frozen []frozenPath
	init   []subInit
}

// under reports whether leaf name is path or inside it.
func under(name, path string) bool {
	return name == path || strings.HasPrefix(name, path+".")
}

// isFrozen reports whether leaf name is under a path of freeze.
func (fz *freezing) isFrozen(name string) bool {
	return slices.ContainsFunc(fz.frozen, func(f frozenPath) bool { return under(name, f.path) })
}

// any reports whether the block gives freeze or init_from.
func (fz *freezing) any() bool { return fz != nil && (len(fz.frozen) > 0 || len(fz.init) > 0) }

// checkFreezeKey checks the block's setting k, one of freezeKeys.
func (s *settings) checkFreezeKey(k string) []*lang.Error {
	fz := &freezing{s: s}
	return fz.read(k, nil)
}

// readFreezing reads freeze and init_from (files resolved by resolve).
func (s *settings) readFreezing(resolve func(string) string) (*freezing, error) {
	fz := &freezing{s: s}
	var errs lang.ErrorList
	for _, k := range freezeKeys {
		errs = append(errs, fz.read(k, resolve)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return fz, nil
}

// checkEMA refuses a moving average with freeze or init_from: the
// evaluation graphs would read averages of the fixed parameters that no
// step updates.
func (fz *freezing) checkEMA(so *train.StepOptions) error {
	if !fz.any() || so == nil || so.EMA <= 0 {
		return nil
	}
	key := "freeze"
	if len(fz.frozen) == 0 {
		key = "init_from"
	}
	return fz.s.errorAt(fz.s.spec.KeyPos(key), lang.CodeUnsupported, key, "does not work with ema yet (the moving average would replace the fixed parameters)")
}

// checkFreezing checks at check time that the paths of s's freeze and
// init_from name sub-models or parameters of the model its entry lowers
// (an entry that does not lower is reported by the other checks).
func (p *Program) checkFreezing(s *settings) []*lang.Error {
	fz, err := s.readFreezing(nil)
	if err != nil || !fz.any() {
		return nil
	}
	entry := s.model + "." + s.str("entry", "loss")
	low, err := p.lower(entry, lang.LowerOptions{})
	if lang.NeedsShapes(err) {
		if sig, _, serr := p.signatureTypes(entry); serr == nil {
			low, err = p.lower(entry, lang.LowerOptions{Shapes: withOnes(sig, nil)})
		}
	}
	if err != nil {
		return nil
	}
	return fz.checkPaths(low.Params, low.States)
}

// read reads setting k into fz, reporting every malformed entry at its
// place.
func (fz *freezing) read(k string, resolve func(string) string) []*lang.Error {
	s := fz.s
	v, ok := s.value(k) // TrainOptions.Freeze replaces the block's freeze
	if !ok {
		return nil
	}
	_, byOption := s.over[k]
	var errs []*lang.Error
	switch k {
	case "freeze":
		list, isList := v.([]lang.Value)
		if !isList {
			list = []lang.Value{v}
		}
		if len(list) == 0 && !byOption { // an option's empty list freezes nothing
			return []*lang.Error{s.errorf(lang.CodeValue, k, "want the sub-models or parameters to freeze, such as [teacher], got []")}
		}
		for i, e := range list {
			at := s.setPos(k)
			if isList {
				at = s.nestedPos(k, strconv.Itoa(i))
			}
			str, _ := e.(string)
			if !subPathRE.MatchString(str) {
				errs = append(errs, s.errorAt(at, lang.CodeArgType, k, "want a sub-model or parameter such as teacher or \"encoder.l1\", got %s", showValue(e)))
				continue
			}
			fz.frozen = append(fz.frozen, frozenPath{path: str, pos: at})
		}
	case "init_from":
		m, isMap := v.(lang.Map)
		if !isMap {
			return []*lang.Error{s.errorf(lang.CodeArgType, k, "want {sub_model: \"file.safetensors\", ...} such as {teacher: \"teacher.safetensors\"}, got %s", showValue(v))}
		}
		for _, key := range m.Keys {
			at := s.spec.NestedPos(k, key)
			str, isStr := m.Values[key].(string)
			if !isStr || str == "" {
				errs = append(errs, s.errorAt(at, lang.CodeArgType, k, "%s: want a parameters file in quotes, got %s", key, showValue(m.Values[key])))
				continue
			}
			in := subInit{path: key, written: str, file: str, pos: at}
			if resolve != nil {
				in.file = resolve(str)
			}
			fz.init = append(fz.init, in)
		}
	}
	return errs
}

// subModels lists the first components of the leaves' paths that have
// more than one (the sub-models), sorted, for messages.
func subModels(leaves []*ops.Node) []string {
	var out []string
	for _, n := range leaves {
		if first, _, ok := strings.Cut(n.Name(), "."); ok && !slices.Contains(out, first) {
			out = append(out, first)
		}
	}
	sort.Strings(out)
	return out
}

// checkPaths reports every path of freeze and init_from that names no
// parameter or state of the model, at its place.
func (fz *freezing) checkPaths(params, states []*ops.Node) []*lang.Error {
	leaves := slices.Concat(params, states)
	matches := func(path string) bool {
		return slices.ContainsFunc(leaves, func(n *ops.Node) bool { return under(n.Name(), path) })
	}
	known := "it has no sub-models"
	if subs := subModels(leaves); len(subs) > 0 {
		known = "its sub-models: " + strings.Join(subs, ", ")
	}
	var errs []*lang.Error
	for _, f := range fz.frozen {
		if !matches(f.path) {
			errs = append(errs, fz.s.errorAt(f.pos, lang.CodeUndefined, "freeze", "model %s has no sub-model or parameter %s (%s)", fz.s.model, f.path, known))
		}
	}
	for _, in := range fz.init {
		if !matches(in.path) {
			errs = append(errs, fz.s.errorAt(fz.s.spec.NestedKeyPos("init_from", in.path), lang.CodeUndefined, "init_from", "model %s has no sub-model or parameter %s (%s)", fz.s.model, in.path, known))
		}
	}
	return errs
}

// trainable returns the params of the step that freeze leaves to train,
// after checking that every path names something and that something is
// left; low is the step's lowering (its params and states).
func (fz *freezing) trainable(low *lang.Lowered, params []*ops.Node) ([]*ops.Node, error) {
	if errs := fz.checkPaths(low.Params, low.States); len(errs) > 0 {
		return nil, lang.ErrorList(errs)
	}
	out := slices.DeleteFunc(slices.Clone(params), func(n *ops.Node) bool { return fz.isFrozen(n.Name()) })
	if len(out) == 0 && len(params) > 0 {
		return nil, fz.s.errorf(lang.CodeValue, "freeze", "every parameter of %s is frozen: nothing is left to train", fz.s.model)
	}
	return out, nil
}

// dropFrozenUpdates removes the updates of frozen states from g (a batch
// norm's running statistics of a frozen sub-model stay as loaded).
func (fz *freezing) dropFrozenUpdates(g *ops.Graph) {
	g.Updates = slices.DeleteFunc(g.Updates, func(u ops.Update) bool {
		return u.Target.Op == ops.State && fz.isFrozen(u.Target.Name())
	})
}

// load sets the params and states of every sub-model of init_from in
// store from its file; an unreadable file, a missing or extra tensor or
// one of another type is an error at the file's place in the block.
func (fz *freezing) load(store *runtime.Store, low *lang.Lowered, maxBytes int64) error {
	if !fz.any() {
		return nil
	}
	leaves := slices.Concat(low.Params, low.States)
	for _, in := range fz.init {
		bad := func(format string, a ...any) error {
			return fz.s.errorAt(in.pos, lang.CodeValue, "init_from", "%s: %q: %s", in.path, in.written, fmt.Sprintf(format, a...))
		}
		file, err := readParamsFile(in.file, maxBytes)
		if errors.Is(err, fs.ErrNotExist) {
			return bad("no such file (relative to the .nn file's folder; `nnc train` of the sub-model's own model writes one with -o)")
		}
		if err != nil {
			return bad("%v", err)
		}
		var sub []*ops.Node
		m := map[string]*Tensor{}
		for _, n := range leaves {
			if rel, ok := strings.CutPrefix(n.Name(), in.path+"."); ok {
				sub = append(sub, n)
				if t, found := file[rel]; found {
					m[n.Name()] = t
				}
			}
		}
		var extra []string
		for name := range file {
			if !slices.ContainsFunc(sub, func(n *ops.Node) bool { return n.Name() == in.path+"."+name }) {
				extra = append(extra, name)
			}
		}
		if err := setParams(store, sub, m, in.written); err != nil {
			return bad("%s", relativeNames(strings.TrimPrefix(err.Error(), in.written+": "), in.path))
		}
		if len(extra) > 0 {
			sort.Strings(extra)
			return bad("the file holds %s that %s does not have: %s", count(len(extra), "tensor"), in.path, strings.Join(extra, ", "))
		}
	}
	return nil
}

// relativeNames strips the sub-model's prefix from the names of
// setParams' message, which then names the file's tensors as the file
// does.
func relativeNames(msg, path string) string {
	return strings.ReplaceAll(msg, path+".", "")
}

// readParamsFile reads a parameters file or checkpoint's parameters.
func readParamsFile(path string, maxBytes int64) (map[string]*Tensor, error) {
	ck, err := train.ReadCheckpoint(path, maxBytes)
	if err == nil {
		return ck.Params, nil
	}
	if !strings.Contains(err.Error(), "not an nnc checkpoint") {
		return nil, err
	}
	return data.LoadSafetensorsWith(path, data.Options{MaxBytes: maxBytes})
}
