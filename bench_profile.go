package nnc

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// BenchProfile is where one call's time goes: per op kind and per source
// line of the steps, from rounds with every step timed.
type BenchProfile struct {
	// Time is the time per call of the profiled rounds; Covered the share
	// of it spent inside the steps' kernels (the rest: binding, updates,
	// the clock).
	Time    float64 `json:"time_s"`
	Covered float64 `json:"covered"`
	// Ops are the op kinds by time, Lines the top source lines by time
	// (steps without a source position, such as the optimizer's updates,
	// form the line with Line 0). Shares are of the steps' time and sum
	// to 1 over all ops (and over all lines, of which Lines are the top).
	Ops   []BenchOp   `json:"ops"`
	Lines []BenchLine `json:"lines"`
	// Steps are the plan's slowest steps, each one kernel call with its
	// operands' shapes, as many as Lines.
	Steps []BenchStep `json:"steps"`
}

// BenchOp is the time of one op kind.
type BenchOp struct {
	Op    string  `json:"op"`
	Steps int     `json:"steps"` // the plan's kernel calls of the op
	Time  float64 `json:"time_s"`
	Share float64 `json:"share"`
	// Hottest is the source line ("file:line") of its slowest steps.
	Hottest string `json:"hottest,omitempty"`
}

// BenchLine is the time of the steps of one source line.
type BenchLine struct {
	File  string   `json:"file,omitempty"`
	Line  int      `json:"line"`
	Text  string   `json:"text,omitempty"` // the line's source, trimmed
	Ops   []string `json:"ops"`            // op kinds of its steps, by time
	Time  float64  `json:"time_s"`
	Share float64  `json:"share"`
}

// lineKey is "file:line", or "" for no position.
func lineKey(p ops.Pos) string {
	if p.Line == 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// benchProfile runs profiled rounds (as many as the timed rounds, at most
// three) and aggregates the step times.
func benchProfile(s *runtime.Session, in []*tensor.Tensor, opts BenchOptions, rep *BenchReport) error {
	pr := &runtime.Profile{}
	s.SetProfile(pr)
	defer s.SetProfile(nil)
	rounds := min(rep.Rounds, 3)
	t0 := time.Now()
	for i := range rounds * rep.Calls {
		if _, err := s.RunContext(context.Background(), uint64(i), in...); err != nil {
			return err
		}
	}
	wall := time.Since(t0).Seconds()
	runs := float64(pr.Runs)
	type agg struct {
		t     int64
		steps int
		by    map[string]int64 // op: by line; line: by op
		pos   ops.Pos
	}
	byOp, byLine := map[string]*agg{}, map[string]*agg{}
	var total int64
	for i, st := range pr.Plan.Steps {
		if st.Alias {
			continue
		}
		ns, op, line := pr.Nanos[i], st.Node.Op.Name, lineKey(st.Node.Pos)
		total += ns
		for _, a := range []struct {
			m        map[string]*agg
			key, sub string
		}{{byOp, op, line}, {byLine, line, op}} {
			g := a.m[a.key]
			if g == nil {
				g = &agg{by: map[string]int64{}, pos: st.Node.Pos}
				a.m[a.key] = g
			}
			g.t += ns
			g.steps++
			g.by[a.sub] += ns
		}
	}
	if total == 0 || runs == 0 {
		return nil
	}
	prof := &rep.Profile
	prof.Time = wall / runs
	prof.Covered = float64(total) / 1e9 / wall
	for op, g := range byOp {
		o := BenchOp{Op: op, Steps: g.steps, Time: float64(g.t) / 1e9 / runs, Share: float64(g.t) / float64(total)}
		o.Hottest = sortedByTime(g.by)[0]
		prof.Ops = append(prof.Ops, o)
	}
	sort.Slice(prof.Ops, func(i, j int) bool {
		a, b := prof.Ops[i], prof.Ops[j]
		return a.Time > b.Time || a.Time == b.Time && a.Op < b.Op
	})
	src := sourceLines{}
	for key, g := range byLine {
		l := BenchLine{Ops: sortedByTime(g.by), Time: float64(g.t) / 1e9 / runs, Share: float64(g.t) / float64(total)}
		if key != "" {
			l.File, l.Line = g.pos.File, g.pos.Line
			l.Text = src.line(g.pos.File, g.pos.Line)
		}
		prof.Lines = append(prof.Lines, l)
	}
	sort.Slice(prof.Lines, func(i, j int) bool {
		a, b := prof.Lines[i], prof.Lines[j]
		if a.Time != b.Time {
			return a.Time > b.Time
		}
		return a.File < b.File || a.File == b.File && a.Line < b.Line
	})
	top := opts.Top
	if top <= 0 {
		top = 10
	}
	if len(prof.Lines) > top {
		prof.Lines = prof.Lines[:top]
	}
	prof.Steps = benchSteps(pr, total, runs, top)
	return nil
}

// sortedByTime lists m's keys by falling time (ties by name).
func sortedByTime(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j]
	})
	return keys
}

// sourceLines reads source files (the standard library's from the binary)
// once each, split into lines; a file that cannot be read has none.
type sourceLines map[string][]string

// line is line n (from 1) of file, trimmed; "" when unknown.
func (s sourceLines) line(file string, n int) string {
	lines, ok := s[file]
	if !ok {
		b, ok := lang.StdSource(file)
		if !ok {
			b, _ = os.ReadFile(file)
		}
		lines = strings.Split(string(b), "\n")
		s[file] = lines
	}
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[n-1])
}

// benchInputs draws (or takes from opts.Inputs) the graph's inputs, in the
// order of bg.inputs, and lists them in rep.
func benchInputs(bg *benchGraphs, opts BenchOptions, rep *BenchReport) ([]*tensor.Tensor, error) {
	for name := range opts.Inputs {
		if !inputNamed(bg.inputs, name) {
			return nil, &OptionError{Option: "BenchOptions.Inputs", Value: name, Msg: "the entry has no input of this name (inputs: " + strings.Join(leafNames(bg.inputs), ", ") + ")"}
		}
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x6e6e63))
	hi := intRanges(bg)
	out := make([]*tensor.Tensor, len(bg.inputs))
	nnz := map[string]int{}
	for i, n := range bg.inputs {
		shape, err := n.Type.Shape.Eval(bg.env)
		if err != nil {
			return nil, fmt.Errorf("input %s %v: %v", n.Name(), n.Type, err)
		}
		if t := opts.Inputs[n.Name()]; t != nil {
			out[i] = t
			rep.Inputs = append(rep.Inputs, BenchInput{Name: n.Name(), Type: typeString(t)})
			continue
		}
		if err := inputFits(n, shape); err != nil {
			return nil, err
		}
		t := tensor.New(n.Type.DType, shape...)
		in := BenchInput{Name: n.Name(), Type: typeString(t)}
		switch {
		case t.DType == tensor.Bool:
			for j := range t.Bool {
				t.Bool[j] = r.IntN(2) == 1
			}
			in.Drawn = "bools"
		case t.DType.IsFloat():
			for j := range t.Len() {
				t.Set(j, 2*r.Float64()-1)
			}
			in.Drawn = "uniform [-1, 1)"
		default:
			h := hi[n]
			if h <= 0 {
				h = 2
			}
			for j := range t.Len() {
				t.Set(j, float64(r.Int64N(h)))
			}
			in.Drawn = fmt.Sprintf("ints [0, %d)", h)
			if p, part, ok := lang.SparseInput(n.Name()); ok && part == lang.SparseIndices {
				nnz[p] = t.Len()
			}
		}
		out[i] = t
		rep.Inputs = append(rep.Inputs, in)
	}
	// A sparse input's row pointers ascend evenly from 0 to its count.
	for i, n := range bg.inputs {
		p, part, ok := lang.SparseInput(n.Name())
		if !ok || part != lang.SparseIndptr || opts.Inputs[n.Name()] != nil {
			continue
		}
		ptr, rows := out[i], out[i].Len()-1
		for j := range ptr.Len() {
			ptr.Set(j, float64(nnz[p]*j/max(rows, 1)))
		}
		rep.Inputs[i].Drawn = "row pointers, even rows"
	}
	return out, nil
}

// inputNamed reports whether an input of nodes is named name.
func inputNamed(nodes []*ops.Node, name string) bool {
	for _, n := range nodes {
		if n.Name() == name {
			return true
		}
	}
	return false
}

// intRanges finds, for the graph's integer inputs, the bound the ops that
// read them check them against (the least, where several read one):
// cross_entropy's and one_hot's labels, embedding's and take's ids, a
// sparse product's column indices, through reshapes, slices and casts.
func intRanges(bg *benchGraphs) map[*ops.Node]int64 {
	hi := map[*ops.Node]int64{}
	dim := func(n *ops.Node, axis int) int64 {
		s, err := n.Type.Shape.Eval(bg.env)
		if err != nil || len(s) == 0 {
			return 0
		}
		if axis < 0 {
			axis += len(s)
		}
		if axis < 0 || axis >= len(s) {
			return 0
		}
		return int64(s[axis])
	}
	// origin follows ops that move integer values without changing them
	// (a reshape of the labels before cross_entropy) back to an input.
	var origin func(n *ops.Node) *ops.Node
	origin = func(n *ops.Node) *ops.Node {
		switch n.Op {
		case ops.Reshape, ops.Transpose, ops.Squeeze, ops.Unsqueeze, ops.Slice, ops.BroadcastTo, ops.Cast:
			if len(n.In) == 1 && n.Type.DType.IsInt() && n.In[0].Type.DType.IsInt() {
				return origin(n.In[0])
			}
		}
		return n
	}
	note := func(n *ops.Node, h int64) {
		n = origin(n)
		if n.Op != ops.Input || h <= 0 {
			return
		}
		if old, ok := hi[n]; !ok || h < old {
			hi[n] = h
		}
	}
	for _, n := range bg.g.Nodes {
		switch n.Op {
		case ops.CrossEntropy:
			if len(n.In) >= 2 {
				note(n.In[1], dim(n.In[0], -1))
			}
		case ops.OneHot:
			note(n.In[0], dim(n, -1))
		case ops.Embedding:
			note(n.In[0], dim(n.In[1], 0))
		case ops.Take:
			note(n.In[1], dim(n.In[0], n.Attrs.Int("axis", 0)))
		case ops.SpmmT: // Aᵀ·g: A's columns are the result's rows
			note(n.In[1], dim(n, 0))
		case ops.Spmm, ops.Sddmm:
			if len(n.In) >= 4 {
				note(n.In[1], dim(n.In[3], 0))
			}
		}
	}
	return hi
}

// inputFits refuses an input whose size overflows or exceeds the memory
// limit, before it is allocated.
func inputFits(n *ops.Node, shape []int) error {
	bytes := int64(n.Type.DType.Size())
	for _, d := range shape {
		if d < 0 || d > 0 && bytes > math.MaxInt64/int64(d) {
			return fmt.Errorf("input %s %v: shape %v is too large", n.Name(), n.Type, shape)
		}
		bytes *= int64(d)
	}
	if limit, _ := runtime.MemoryLimit(); bytes > limit {
		return fmt.Errorf("input %s %v: %s for shape %v, more than the memory limit of %s", n.Name(), n.Type,
			runtime.FormatBytes(bytes), shape, runtime.FormatBytes(limit))
	}
	return nil
}
