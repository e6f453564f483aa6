package train

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/ops"
)

// Group gives the parameters whose paths match Pattern other optimizer
// settings: Set holds them by the optimizer's setting names ("lr",
// "weight_decay", "momentum", "beta1", ...; see Override). A parameter
// takes the settings of the first group that matches it; the others keep
// the optimizer's. Pattern is a path.Match pattern over the parameter's
// path ("l1.W", "blocks.0.norm.gamma"), where * matches any run of
// characters (dots included, as paths have no "/"), ? one character and
// [...] a class: "*.b" selects every bias, "norm*" the parameters of a
// sub-model named norm, "*norm*.*" those of every sub-model with norm in
// its name.
//
// With a scheduled learning rate (LRState), a group's "lr" is its rate at
// the schedule's start: the group follows the schedule scaled by its lr
// over the optimizer's.
type Group struct {
	Pattern string
	Set     map[string]float64
	// opt is the group's optimizer and lrFactor the factor of its
	// scheduled rate (0: none), made by check.
	opt      Optimizer
	lrFactor float64
}

// Match reports whether the group selects the parameter at path p.
func (g *Group) Match(p string) bool {
	ok, err := path.Match(g.Pattern, p)
	return ok && err == nil
}

// check makes the group's optimizer from base (the group's index is
// index), reporting a pattern path.Match refuses and settings base does not
// have or refuses.
func (g *Group) check(base Optimizer, index int) error {
	if _, err := path.Match(g.Pattern, ""); err != nil || g.Pattern == "" {
		return settingErr("groups", "group(%q): not a pattern (* any characters, ? one, [...] a class)", g.Pattern)
	}
	if len(g.Set) == 0 {
		return settingErr("groups", "group(%q) sets nothing", g.Pattern)
	}
	if base == nil {
		return nil
	}
	o, err := Override(base, g.Set)
	if err != nil {
		return settingErr("groups", "group(%q): %v", g.Pattern, err)
	}
	if g.lrFactor, err = scheduleGroup(base, o, index); err != nil {
		return settingErr("groups", "group(%q): %v", g.Pattern, err)
	}
	g.opt = o
	return nil
}

// selects reports a group that matches none of names.
func (g *Group) selects(names []string) error {
	if slices.ContainsFunc(names, g.Match) {
		return nil
	}
	return settingErr("groups", "group(%q) matches no parameter (the parameters: %s)", g.Pattern, strings.Join(names, ", "))
}

// optimizerFor returns the optimizer of the parameter at path p.
func (s *StepOptions) optimizerFor(p string) (Optimizer, error) {
	for i := range s.Groups {
		g := &s.Groups[i]
		if !g.Match(p) {
			continue
		}
		if g.opt == nil {
			if err := g.check(s.Optimizer, i); err != nil {
				return nil, err
			}
		}
		return g.opt, nil
	}
	if s.Optimizer == nil {
		return nil, fmt.Errorf("train: no optimizer")
	}
	return s.Optimizer, nil
}

// Override returns a copy of o with the settings of set, by the names the
// train block gives them: "lr" and "weight_decay" for every optimizer;
// "momentum" and "nesterov" (0 or 1) for SGD; "beta1", "beta2" and "eps"
// for Adam; "alpha", "eps", "momentum" and "centered" for RMSprop;
// "lr_decay", "eps" and "initial_accumulator_value" for Adagrad; "beta1"
// and "beta2" for Lion. The copy's hyperparameters are checked as the
// optimizer checks them. A copy of an optimizer with an LRState reads the
// same state (StepOptions' groups scale it; see Group).
func Override(o Optimizer, set map[string]float64) (Optimizer, error) {
	st, err := settingsOf(o)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := set[k]
		if f, ok := st.fields[k]; ok {
			*f = v
		} else if b, ok := st.flags[k]; ok && (v == 0 || v == 1) {
			*b = v == 1
		} else if ok {
			return nil, fmt.Errorf("%s = %v: want true or false", k, v)
		} else {
			known := make([]string, 0, len(st.fields)+len(st.flags))
			for n := range st.fields {
				known = append(known, n)
			}
			for n := range st.flags {
				known = append(known, n)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("the optimizer has no setting %s (it has %s)", k, strings.Join(known, ", "))
		}
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	return st.o, nil
}

// settable is a copy of an optimizer with pointers to its settings.
type settable struct {
	o      Optimizer
	fields map[string]*float64
	flags  map[string]*bool
	lr     *float64
	state  *string
	check  func() error
}

// settingsOf copies o and points at the copy's settings.
func settingsOf(o Optimizer) (settable, error) {
	switch x := o.(type) {
	case *SGD:
		c := *x
		return settable{&c, map[string]*float64{"lr": &c.LR, "weight_decay": &c.WeightDecay, "momentum": &c.Momentum},
			map[string]*bool{"nesterov": &c.Nesterov}, &c.LR, &c.LRState, c.Check}, nil
	case *Adam:
		c := *x
		return settable{&c, map[string]*float64{"lr": &c.LR, "weight_decay": &c.WeightDecay, "beta1": &c.Beta1, "beta2": &c.Beta2, "eps": &c.Eps},
			nil, &c.LR, &c.LRState, c.Check}, nil
	case *RMSprop:
		c := *x
		return settable{&c, map[string]*float64{"lr": &c.LR, "weight_decay": &c.WeightDecay, "alpha": &c.Alpha, "eps": &c.Eps, "momentum": &c.Momentum},
			map[string]*bool{"centered": &c.Centered}, &c.LR, &c.LRState, c.Check}, nil
	case *Adagrad:
		c := *x
		return settable{&c, map[string]*float64{"lr": &c.LR, "weight_decay": &c.WeightDecay, "lr_decay": &c.LRDecay, "eps": &c.Eps, "initial_accumulator_value": &c.InitialAccumulator},
			nil, &c.LR, &c.LRState, c.Check}, nil
	case *Lion:
		c := *x
		return settable{&c, map[string]*float64{"lr": &c.LR, "weight_decay": &c.WeightDecay, "beta1": &c.Beta1, "beta2": &c.Beta2},
			nil, &c.LR, &c.LRState, c.Check}, nil
	}
	return settable{}, fmt.Errorf("groups cannot change the settings of a %T", o)
}

// scheduleGroup gives the copy o of base, when both read a learning-rate
// state and o's rate differs, a state of its own named after the group's
// index, and returns the factor of o's rate over base's (0 when o reads
// base's state or a constant).
func scheduleGroup(base, o Optimizer, index int) (float64, error) {
	bs, err := settingsOf(base)
	if err != nil {
		return 0, err
	}
	gs, err := settingsOf(o)
	if err != nil {
		return 0, err
	}
	if *bs.state == "" || *gs.lr == *bs.lr {
		return 0, nil
	}
	*gs.state = groupLRState(*bs.state, index)
	switch x := o.(type) { // gs points into a copy: write it back
	case *SGD:
		*x = *gs.o.(*SGD)
	case *Adam:
		*x = *gs.o.(*Adam)
	case *RMSprop:
		*x = *gs.o.(*RMSprop)
	case *Adagrad:
		*x = *gs.o.(*Adagrad)
	case *Lion:
		*x = *gs.o.(*Lion)
	}
	return *gs.lr / *bs.lr, nil
}

// groupLRState names the learning-rate state of group index while the
// step is built; the build replaces it by the base state times the
// group's factor.
func groupLRState(base string, index int) string { return base + "#group" + strconv.Itoa(index) }

// scaleGroupRates replaces, in b's graph, every group's learning-rate
// state by the base optimizer's state times the group's factor.
func (s *StepOptions) scaleGroupRates(b *ops.Builder) error {
	bs, err := settingsOf(s.Optimizer)
	if err != nil || *bs.state == "" {
		return nil
	}
	factor := map[string]float64{}
	for i := range s.Groups {
		if f := s.Groups[i].lrFactor; f != 0 {
			factor[groupLRState(*bs.state, i)] = f
		}
	}
	if len(factor) == 0 {
		return nil
	}
	base, lr := *bs.state, *bs.lr
	nb, _, err := replay(b.G, replayRules{replace: func(nb *ops.Builder, n *ops.Node) *ops.Node {
		f, ok := factor[n.Name()]
		if n.Op != ops.State || !ok {
			return nil
		}
		st := nb.State(base, ops.Scalar(ops.F64), ops.Attrs{"init": "constant", "value": lr})
		return nb.Mul(st, nb.Scalar(ops.F64, f))
	}})
	if err != nil {
		return err
	}
	*b = *nb
	return nil
}
