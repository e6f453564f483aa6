package main

import (
	"flag"
	"math"
	"strconv"
	"strings"

	"github.com/nnclang/nnc"
)

// stepFlags are train's flags of the step settings (clip_norm, clip_value,
// groups, accumulate, ema, noise, prune, class_weights, sampler), each
// overriding the train block's setting of its name.
type stepFlags struct {
	o            *nnc.StepSettings
	groups       listFlag
	noise, prune string
}

// addStepFlags registers the flags into fs, writing into o.
func addStepFlags(fs *flag.FlagSet, o *nnc.StepSettings) *stepFlags {
	f := &stepFlags{o: o}
	fs.Float64Var(&o.ClipNorm, "clip-norm", 0, "scale the gradients to this global L2 norm at most (clip_norm)")
	fs.Float64Var(&o.ClipValue, "clip-value", 0, "clamp every gradient element to ±this (clip_value)")
	fs.Var(&f.groups, "group", "a parameter group, PATTERN:setting=value,... such as '*.b:weight_decay=0' (repeat for more; replaces the block's groups)")
	fs.IntVar(&o.Accumulate, "accumulate", 0, "sum the gradients of this many batches into one update (accumulate)")
	fs.Float64Var(&o.EMA, "ema", 0, "evaluate and write a moving average of the weights with this decay in (0, 1) (ema); 0 turns the block's off")
	fs.IntVar(&o.EMAStart, "ema-start", 0, "the moving average copies the weights through this many updates, then averages (ema's start)")
	fs.StringVar(&f.noise, "noise", "", "Gaussian noise in training: input=0.1,weight=0.01[,inputs=x;z] (noise)")
	fs.StringVar(&f.prune, "prune", "", "gradual magnitude pruning: sparsity=0.9,end=1000[,start=0,every=100,scope=layer|global,params=*.W;*.K] (prune)")
	fs.StringVar(&o.ClassWeights, "class-weights", "", "balanced, none, or weights 1,2,0.5 of cross entropy's classes (class_weights)")
	fs.StringVar(&o.Sampler, "sampler", "", "balanced (each class equally often) or shuffle (sampler)")
	return f
}

// parse checks the flags the command line set and fills in the settings
// given as text; a value that cannot be used is a usage error.
func (f *stepFlags) parse(fs *flag.FlagSet) error {
	o, set := f.o, given(fs)
	for _, err := range []error{
		positiveFloat(fs, "clip-norm", o.ClipNorm),
		positiveFloat(fs, "clip-value", o.ClipValue),
		positiveInt(fs, "accumulate", o.Accumulate),
		positiveInt(fs, "ema-start", o.EMAStart),
		nonEmpty(fs, "noise", "prune", "class-weights", "sampler"),
	} {
		if err != nil {
			return err
		}
	}
	if set["ema"] && !(o.EMA >= 0 && o.EMA < 1) {
		return usagef("--ema is a decay in (0, 1), or 0 for none, got %v", o.EMA)
	}
	if set["ema"] && o.EMA == 0 {
		o.EMA = -1 // none, over the block's
	}
	if set["sampler"] && o.Sampler != "balanced" && o.Sampler != "shuffle" {
		return usagef("--sampler is balanced or shuffle, not %q", o.Sampler)
	}
	if set["class-weights"] && o.ClassWeights != "balanced" && o.ClassWeights != "none" {
		for _, w := range strings.Split(o.ClassWeights, ",") {
			if x, err := flagNumber("weight", strings.TrimSpace(w)); err != nil || x < 0 {
				return usagef("--class-weights is balanced, none or non-negative weights such as 1,2,0.5, not %q", o.ClassWeights)
			}
		}
	}
	for _, g := range f.groups {
		grp, err := parseGroup(g)
		if err != nil {
			return usagef("--group %q: %v", g, err)
		}
		o.Groups = append(o.Groups, grp)
	}
	if set["noise"] {
		n, err := parseNoise(f.noise)
		if err != nil {
			return usagef("--noise %q: %v", f.noise, err)
		}
		o.Noise = n
	}
	if set["prune"] {
		p, err := parsePrune(f.prune)
		if err != nil {
			return usagef("--prune %q: %v", f.prune, err)
		}
		o.Prune = p
	}
	return nil
}

// keyValues splits "k=v,k=v" into its pairs, in order; a key given twice,
// or a part without "=", is an error.
func keyValues(s string) ([][2]string, error) {
	var out [][2]string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, usagef("want key=value pairs separated by commas, got %q", part)
		}
		if seen[k] {
			return nil, usagef("%s is given twice", k)
		}
		seen[k] = true
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// flagNumber parses a finite number.
func flagNumber(k, v string) (float64, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, usagef("%s=%s: want a number", k, v)
	}
	return x, nil
}

// parseGroup reads PATTERN:setting=value,... (true and false for
// nesterov and centered).
func parseGroup(s string) (nnc.Group, error) {
	pat, rest, ok := strings.Cut(s, ":")
	if !ok || pat == "" {
		return nnc.Group{}, usagef("want PATTERN:setting=value,... such as '*.b:weight_decay=0'")
	}
	kv, err := keyValues(rest)
	if err != nil {
		return nnc.Group{}, err
	}
	g := nnc.Group{Pattern: pat, Set: map[string]float64{}}
	for _, p := range kv {
		switch p[1] {
		case "true":
			g.Set[p[0]] = 1
		case "false":
			g.Set[p[0]] = 0
		default:
			x, err := flagNumber(p[0], p[1])
			if err != nil {
				return g, err
			}
			g.Set[p[0]] = x
		}
	}
	return g, nil
}

// parseNoise reads input=σ,weight=σ[,inputs=a;b].
func parseNoise(s string) (*nnc.Noise, error) {
	kv, err := keyValues(s)
	if err != nil {
		return nil, err
	}
	n := &nnc.Noise{}
	for _, p := range kv {
		switch p[0] {
		case "input", "weight":
			x, err := flagNumber(p[0], p[1])
			if err != nil {
				return nil, err
			}
			*map[string]*float64{"input": &n.Input, "weight": &n.Weight}[p[0]] = x
		case "inputs":
			n.Inputs = strings.Split(p[1], ";")
		default:
			return nil, usagef("unknown key %s (input, weight, inputs)", p[0])
		}
	}
	return n, nil
}

// parsePrune reads sparsity=s,end=N[,start=N,every=N,scope=S,params=a;b].
func parsePrune(s string) (*nnc.Prune, error) {
	kv, err := keyValues(s)
	if err != nil {
		return nil, err
	}
	p := &nnc.Prune{Every: 100, Scope: "layer"}
	hasEnd := false
	for _, x := range kv {
		switch x[0] {
		case "sparsity":
			if p.Sparsity, err = flagNumber(x[0], x[1]); err != nil {
				return nil, err
			}
		case "start", "end", "every":
			n, err := strconv.ParseInt(x[1], 10, 64)
			if err != nil || n < 0 {
				return nil, usagef("%s=%s: want a number of steps", x[0], x[1])
			}
			*map[string]*int64{"start": &p.Start, "end": &p.End, "every": &p.Every}[x[0]] = n
			hasEnd = hasEnd || x[0] == "end"
		case "scope":
			p.Scope = x[1]
		case "params":
			p.Params = strings.Split(x[1], ";")
		default:
			return nil, usagef("unknown key %s (sparsity, start, end, every, scope, params)", x[0])
		}
	}
	if !hasEnd {
		return nil, usagef("end is required: the step at which the sparsity is reached")
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return p, nil
}
