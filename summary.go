package nnc

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime"
)

// Summary is what `nnc check` reports about a program that checks.
type Summary struct {
	Entries []EntrySummary `json:"entries"`
	Models  []ModelSummary `json:"models"`
}

// EntrySummary describes one function or method.
type EntrySummary struct {
	Name    string   `json:"name"`
	Inputs  []Arg    `json:"inputs"`
	Results []string `json:"results"`
	// PeakBytes is the arena size of the inference plan for the given shape
	// values; 0 when some shape variable had no value.
	PeakBytes int64 `json:"peak_bytes,omitempty"`
	// NaiveBytes is what the plan would need without buffer reuse.
	NaiveBytes int64 `json:"naive_bytes,omitempty"`
	// Flops is the number of floating-point operations of one call (a
	// multiply-add counts 2); FlopsEstimated names ops counted roughly.
	Flops          int64    `json:"flops,omitempty"`
	FlopsEstimated []string `json:"flops_estimated,omitempty"`
	// ScratchBytes is the memory the plan's kernels allocate for themselves
	// when it first runs (a matrix product's packed operands, a
	// convolution's columns, a fused program's tiles), besides PeakBytes.
	ScratchBytes int64 `json:"scratch_bytes,omitempty"`
	// MemoryLimit is set, to the limit, when PeakBytes and ScratchBytes
	// together exceed the memory limit in force (SetMemoryLimit; by default
	// the memory available): running the entry for these shapes would be
	// refused.
	MemoryLimit int64 `json:"memory_limit,omitempty"`
	// Missing names the shape variables that had no value.
	Missing []string `json:"missing_shapes,omitempty"`
}

// ModelSummary describes the parameters of a model built with its defaults.
type ModelSummary struct {
	Name   string         `json:"name"`
	Count  int64          `json:"parameters"`
	Params []ParamSummary `json:"tensors"`
}

// ParamSummary is one parameter tensor.
type ParamSummary struct {
	Path  string `json:"path"`
	Type  string `json:"type"`
	Count int64  `json:"count"`
}

// Summary checks every entry and reports signatures, parameter counts and,
// where shapes gives every shape variable a value, the peak memory and the
// kernel scratch of each entry's plan. Names in shapes that no entry uses
// are ignored. A nil or zero Program is an error.
func (p *Program) Summary(shapes map[string]int) (s *Summary, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	level := p.optLevel()
	s = &Summary{}
	env := map[string]int64{}
	for k, v := range shapes {
		env[k] = int64(v)
	}
	seenModel := map[string]bool{}
	for _, e := range p.mod.Entries() {
		es := EntrySummary{Name: e}
		sig, res, sigErr := p.signatureTypes(e)
		low, err := p.lower(e, lang.LowerOptions{})
		probe := false
		if lang.NeedsShapes(err) {
			// The entry unrolls over a shape variable: lower it for the
			// given shapes, or with 1 for the missing ones just to read its
			// params (its memory then needs their values).
			if low, err = p.lower(e, lang.LowerOptions{Shapes: env}); lang.NeedsShapes(err) {
				low, err = p.lower(e, lang.LowerOptions{Shapes: withOnes(sig, env)})
				probe = true
			}
		}
		if err != nil {
			return nil, err
		}
		for _, n := range low.Inputs {
			es.Inputs = append(es.Inputs, argOf(n))
		}
		for _, o := range low.Outputs {
			es.Results = append(es.Results, o.Type.String())
		}
		if sigErr == nil && len(sig) == len(es.Inputs) {
			for i, a := range sig {
				es.Inputs[i].Type = a.Type.String()
			}
			for i, t := range res {
				if i < len(es.Results) {
					es.Results[i] = t.String()
				}
			}
		}
		if probe {
			for v := range withOnes(sig, nil) {
				if _, ok := env[v]; !ok {
					es.Missing = append(es.Missing, v)
				}
			}
			sort.Strings(es.Missing)
		} else if err := planMemory(low, env, level, &es); err != nil {
			return nil, err
		}
		s.Entries = append(s.Entries, es)
		if model, _, ok := strings.Cut(e, "."); ok && !seenModel[model] {
			seenModel[model] = true
			s.Models = append(s.Models, modelSummary(model, low.Params))
		}
	}
	return s, nil
}

// signatureTypes returns an entry's inputs and result types, under the
// program's lock (reading a signature lowers the entry).
func (p *Program) signatureTypes(entry string) ([]lang.Arg, []ops.Type, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mod.Signature(entry)
}

// typeVars lists the shape variables of the types' shapes, each once, in
// order of appearance.
func typeVars(types ...ops.Type) []string {
	var vars []string
	for _, t := range types {
		for _, d := range t.Shape {
			for _, v := range d.Vars() {
				if !slices.Contains(vars, v) {
					vars = append(vars, v)
				}
			}
		}
	}
	return vars
}

// argTypes is the types of a signature's arguments.
func argTypes(sig []lang.Arg) []ops.Type {
	types := make([]ops.Type, len(sig))
	for i, a := range sig {
		types[i] = a.Type
	}
	return types
}

// withOnes returns env plus the value 1 for every other shape variable of
// the signature sig.
func withOnes(sig []lang.Arg, env map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for _, v := range typeVars(argTypes(sig)...) {
		out[v] = 1
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

func argOf(n *ops.Node) Arg {
	return Arg{Name: n.Name(), Type: n.Type.String(), DType: n.Type.DType.String()}
}

func modelSummary(name string, params []*ops.Node) ModelSummary {
	m := ModelSummary{Name: name}
	for _, n := range params {
		c, ok := n.Type.Shape.NumElems().IsConst()
		if !ok {
			c = 0
		}
		m.Params = append(m.Params, ParamSummary{Path: n.Name(), Type: n.Type.String(), Count: c})
		m.Count += c
	}
	return m
}

// planMemory builds the entry's plan for the shape values in env. It
// computes sizes only: neither the inputs, the params nor the plan's arena
// are allocated, so that checking a program too large to run reports its
// size instead of running out of memory.
func planMemory(low *lang.Lowered, env map[string]int64, level int, es *EntrySummary) error {
	missing := map[string]bool{}
	for _, n := range low.Inputs {
		for _, d := range n.Type.Shape {
			for _, v := range d.Vars() {
				if _, ok := env[v]; !ok {
					missing[v] = true
				}
			}
		}
	}
	if len(missing) > 0 {
		for v := range missing {
			es.Missing = append(es.Missing, v)
		}
		sort.Strings(es.Missing)
		return nil
	}
	for i, o := range low.Outputs {
		low.B.Output(outName(i, len(low.Outputs)), o)
	}
	fc, err := ops.CountFlops(low.B.G, env)
	if err != nil {
		return err
	}
	es.Flops, es.FlopsEstimated = fc.Total, fc.Estimated
	g, err := opt.Optimize(low.B.G, opt.Options{Level: level})
	if err != nil {
		return err
	}
	plan, err := runtime.NewPlan(g, env)
	if err != nil {
		return err
	}
	es.PeakBytes, es.NaiveBytes, es.ScratchBytes = plan.PeakBytes(), plan.NaiveBytes(), plan.ScratchBytes()
	// Running checks the arenas and the kernels' scratch together against
	// the limit (the sum saturates: both are sizes from 0).
	need := es.PeakBytes
	if need > math.MaxInt64-es.ScratchBytes {
		need = math.MaxInt64
	} else {
		need += es.ScratchBytes
	}
	if limit, _ := runtime.MemoryLimit(); need > limit {
		es.MemoryLimit = limit
	}
	return nil
}
