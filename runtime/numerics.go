package runtime

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// NumericsOptions say what a session checks of the values a run computes
// (SetNumerics). The zero value checks nothing and costs nothing.
type NumericsOptions struct {
	// Check looks at every step's value as soon as the step has run, and
	// at the params, states and inputs before the first step. The run
	// stops, before its updates, at the first step whose value holds NaN
	// or an infinity although all its operands are finite, with a
	// *NumericsError naming the op and its position. Leaves and constants
	// (ops without operands) may hold non-finite values (data read with
	// non-finite values allowed, a -Inf mask); ops that only carry such
	// values on are not at fault. Before the updates, an update whose new
	// value is non-finite (its target being finite) is an error naming
	// where its non-finite values come from.
	Check bool
	// Guard names an output checked as soon as its step has run (an
	// output that is a leaf is not checked): when it holds NaN or an
	// infinity, the run stops there, before its updates, with a
	// *NonFiniteError (with Check, a *NumericsError naming the leaves and
	// constants the non-finite values come from). In the steps
	// train.BuildStep makes, the loss is computed before the first fused
	// optimizer kernel that writes a state in place (TestGuardKeepsStore),
	// so the params and states in the store are then those before the run,
	// and the run can be repeated with Check to find where the values
	// arose.
	Guard string
	// Forward names the outputs of the forward pass (the loss); "" or none:
	// Guard. A failing step that none of them needs is reported as part of
	// the gradient of the forward op at its position (NumericsError.Grad),
	// or, without a position, as part of the update of the param or state
	// it feeds (NumericsError.Update).
	Forward []string
	// NoUpdates makes the runs apply no update: a run repeated to find
	// where a value arose leaves the params and states in the store as they
	// were (except states a fused optimizer kernel writes in place).
	NoUpdates bool
}

// SetNumerics sets the checks of the session's runs from now on. An
// unknown Guard or Forward output is an error; the previous settings stay.
func (s *Session) SetNumerics(o NumericsOptions) error {
	if !o.Check && o.Guard == "" && !o.NoUpdates {
		s.num = nil
		return nil
	}
	c := &numerics{check: o.Check, g: s.g, noUpdates: o.NoUpdates}
	if o.Guard != "" {
		if c.guard = s.g.Output(o.Guard); c.guard == nil {
			return fmt.Errorf("numerics: no output named %q", o.Guard)
		}
		c.guardName = o.Guard
	}
	names := o.Forward
	if len(names) == 0 && o.Guard != "" {
		names = []string{o.Guard}
	}
	for _, name := range names {
		if name == "" {
			continue
		}
		n := s.g.Output(name)
		if n == nil {
			return fmt.Errorf("numerics: no output named %q", name)
		}
		c.forward = append(c.forward, n)
	}
	if o.Check {
		c.bad = make([]bool, len(s.g.Nodes))
	}
	s.num = c
	return nil
}

// numerics is a session's check state: which values of the run in
// progress hold NaN or an infinity (by node ID), when Check is on.
type numerics struct {
	check     bool
	g         *ops.Graph
	guard     *ops.Node
	guardName string
	forward   []*ops.Node
	bad       []bool
	noUpdates bool
}

// watches reports whether step st needs looking at after it has run.
func (c *numerics) watches(st *Step) bool { return c.check || st.Node == c.guard }

// watchesAny reports whether c (nil: no checks) watches any of steps.
func (c *numerics) watchesAny(steps []Step) bool {
	if c == nil {
		return false
	}
	for i := range steps {
		if c.watches(&steps[i]) {
			return true
		}
	}
	return false
}

// begin looks at the leaves the plan binds (Check).
func (c *numerics) begin(p *Plan) {
	if !c.check {
		return
	}
	for _, n := range p.leaves {
		c.bad[n.ID] = hasNonFinite(p.values[n.ID])
	}
}

// after looks at the value of step i, which has just run. Only whether
// it is finite is measured (one cheap pass); ranges are measured for a
// report.
func (c *numerics) after(p *Plan, i int) error {
	n := p.Steps[i].Node
	v := p.values[n.ID]
	if !c.check {
		if s := StatsOf(v); s.NonFinite() > 0 {
			return &NonFiniteError{Output: c.guardName, Node: n, Stats: s}
		}
		return nil
	}
	if c.bad[n.ID] = hasNonFinite(v); !c.bad[n.ID] {
		return nil
	}
	if len(n.In) > 0 && c.finiteOperands(n) {
		return c.origin(p, i)
	}
	if n == c.guard {
		return c.fromSources(p, n, "the output "+c.guardName)
	}
	return nil
}

// beforeUpdates checks, with Check, that every update's value is finite
// where its target was; skip says to apply no update (NoUpdates).
func (c *numerics) beforeUpdates(p *Plan) (skip bool, err error) {
	if !c.check {
		return c.noUpdates, nil
	}
	for _, u := range p.updates {
		if u.target == u.value || c.bad[u.target] || !c.bad[u.value] {
			continue
		}
		t := c.g.Nodes[u.target]
		return true, c.fromSources(p, c.g.Nodes[u.value], "the update of "+t.Op.Name+" "+t.Name())
	}
	return c.noUpdates, nil
}

// finiteOperands reports whether every operand of n holds finite values.
func (c *numerics) finiteOperands(n *ops.Node) bool {
	for _, x := range n.In {
		if c.bad[x.ID] {
			return false
		}
	}
	return true
}

// origin is the error of step i, whose value is non-finite although its
// operands are finite. The operands are still in their buffers, except
// one the step wrote its value over (Step.InPlace): the steps before it
// then run again to measure it (they have no other effect, unless a fused
// optimizer kernel among them wrote a state in place: then it is not
// measured).
func (c *numerics) origin(p *Plan, i int) *NumericsError {
	n := p.Steps[i].Node
	v := p.values[n.ID]
	e := &NumericsError{Node: n, Output: StatsOf(v), Shape: append([]int(nil), p.shapes[n.ID]...), First: firstNonFinite(v)}
	var fwd []bool
	if len(c.forward) > 0 {
		fwd = c.forwardSet()
		e.Grad, e.Update = c.attribute(n, fwd)
	}
	lost := -1
	if k := p.Steps[i].InPlace; k >= 0 {
		lost = k
		if i <= p.commit {
			for j := range p.Steps[:i] {
				if st := &p.Steps[j]; !st.Alias {
					st.Kernel(&p.ctx, st.out, st.args)
				}
			}
			lost = -1
		}
	}
	for k, x := range n.In {
		info := ValueInfo{Node: x, Shape: append([]int(nil), p.shapes[x.ID]...), Lost: k == lost}
		if !info.Lost {
			info.Stats = StatsOf(p.values[x.ID])
		}
		info.Backward = fwd != nil && !fwd[x.ID] && len(x.In) > 0
		e.Operands = append(e.Operands, info)
	}
	return e
}

// forwardSet marks the nodes the forward outputs need.
func (c *numerics) forwardSet() []bool {
	fwd := make([]bool, len(c.g.Nodes))
	stack := append([]*ops.Node(nil), c.forward...)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !fwd[x.ID] {
			fwd[x.ID] = true
			stack = append(stack, x.In...)
		}
	}
	return fwd
}

// fromSources is the error of a non-finite value v that no op made from
// finite operands: it names the leaves and constants it depends on that
// hold non-finite values. Leaves are still bound; a constant's buffer may
// have been reused since, so a constant is described by its value.
func (c *numerics) fromSources(p *Plan, v *ops.Node, what string) *NumericsError {
	e := &NumericsError{Value: what, Output: StatsOf(p.values[v.ID])}
	seen := map[int]bool{}
	stack := []*ops.Node{v}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n.ID] || !c.bad[n.ID] {
			continue
		}
		seen[n.ID] = true
		if len(n.In) == 0 {
			info := ValueInfo{Node: n, Shape: p.shapes[n.ID]}
			if n.Op.Leaf {
				info.Stats = StatsOf(p.values[n.ID])
			} else {
				info.Stats = constStats(n.Attrs.Float("value", math.NaN()), tensor.NumElems(p.shapes[n.ID]))
			}
			e.Sources = append(e.Sources, info)
		}
		stack = append(stack, n.In...)
	}
	return e
}

// constStats describes n copies of v.
func constStats(v float64, n int) ValueStats {
	s := ValueStats{Len: n, Float: true}
	switch {
	case math.IsNaN(v):
		s.NaN = n
	case math.IsInf(v, 1):
		s.PosInf = n
	case math.IsInf(v, -1):
		s.NegInf = n
	default:
		s.Min, s.Max = v, v
		if v == 0 {
			s.Zeros = n
		}
	}
	return s
}

// attribute finds, for a node the forward outputs do not need, the
// forward node at its position (a gradient node) or, without a position,
// the param or state whose update it feeds.
func (c *numerics) attribute(n *ops.Node, fwd []bool) (grad, update *ops.Node) {
	if fwd[n.ID] {
		return nil, nil
	}
	if n.Pos.Line != 0 {
		for _, x := range c.g.Nodes {
			if fwd[x.ID] && x.Pos == n.Pos && !x.Op.Leaf {
				return x, nil
			}
		}
		return nil, nil
	}
	// The updates whose values n feeds: walk the graph forward from n.
	feeds := make([]bool, len(c.g.Nodes))
	feeds[n.ID] = true
	for _, x := range c.g.Nodes[n.ID+1:] {
		for _, y := range x.In {
			if feeds[y.ID] {
				feeds[x.ID] = true
				break
			}
		}
	}
	for _, u := range c.g.Updates {
		if feeds[u.Value.ID] {
			return nil, u.Target
		}
	}
	return nil, nil
}

// NonFiniteError is the error of a run whose guarded output (SetNumerics,
// Guard) holds NaN or an infinity. The run stopped right after the output's
// step, before its updates.
type NonFiniteError struct {
	Output string    // the output's name ("loss")
	Node   *ops.Node // the node computing it
	Stats  ValueStats
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("%sthe output %s is %s", posPrefix(e.Node), e.Output, e.Stats.nonFiniteText())
}

// NumericsError reports where a run's non-finite values arose (SetNumerics
// with Check): the first step whose value holds NaN or an infinity although
// its operands are finite (Node), or, when no op made them (Node nil), the
// leaves and constants they come from (Sources).
type NumericsError struct {
	// Node is the step at fault, with its op and source position; nil
	// when the non-finite values come from leaves or constants.
	Node *ops.Node
	// Output describes Node's value, of shape Shape; First is the index of
	// its first non-finite element.
	Output ValueStats
	Shape  []int
	First  []int
	// Operands describe Node's operands.
	Operands []ValueInfo
	// Grad is, for a node of the backward pass, the forward node at its
	// position: the node is part of the gradient of Grad's op there.
	Grad *ops.Node
	// Update is, for a node without a position that feeds an optimizer's
	// update, the param or state it updates.
	Update *ops.Node
	// Value names the non-finite value that was traced when Node is nil
	// ("the output loss"), and Sources are the leaves (inputs, params,
	// states) and constants holding non-finite values it depends on.
	Value   string
	Sources []ValueInfo
	// When and Rows are set by the caller: when the run happened ("epoch
	// 1, step 4") and the data rows it read ("train.csv:12").
	When string
	Rows []string
	// Hint, when set by the caller, ends the message: what to do next.
	Hint string
}

// ValueInfo describes one value of a run: its node, concrete shape (when
// known) and statistics.
type ValueInfo struct {
	Node  *ops.Node
	Shape []int
	Stats ValueStats
	// Backward marks a value of the backward pass or of an update (not
	// needed by the forward outputs).
	Backward bool
	// Lost marks an operand the step wrote its value over, which could
	// not be measured again (Stats is zero).
	Lost bool
}

// statsText is Stats as text, or what became of a lost value.
func (v ValueInfo) statsText() string {
	if v.Lost {
		return "overwritten in place by the step"
	}
	return v.Stats.String()
}

// label names the value: "input x", "const 0 at f.nn:3:9", "exp at
// f.nn:4:12", "mul (backward) at f.nn:4:12".
func (v ValueInfo) label() string {
	if v.Backward {
		return strings.Replace(nodeLabel(v.Node), v.Node.Op.Name, v.Node.Op.Name+" (backward)", 1)
	}
	return nodeLabel(v.Node)
}

// Pos is the source position the error is about: Node's, or for an
// optimizer's update without a position, the updated param's.
func (e *NumericsError) Pos() ops.Pos {
	if e.Node == nil {
		return ops.Pos{}
	}
	if e.Node.Pos.Line == 0 && e.Update != nil {
		return e.Update.Pos
	}
	return e.Node.Pos
}

// Error reads, on its first line, "file:line:col: [in the gradient of op:
// ]op gave -Inf (3 of 32 values, first at [5 0] of f32[32, 1]) from finite
// operands, in epoch 1, step 4", then one line per operand with its range, and the
// batch's rows.
func (e *NumericsError) Error() string {
	var sb strings.Builder
	if e.Node == nil {
		if e.When != "" {
			sb.WriteString(e.When + ": ")
		}
		fmt.Fprintf(&sb, "%s is %s", e.Value, e.Output.nonFiniteText())
		sb.WriteString("; no op made a non-finite value from finite operands: they come from ")
		for i, s := range e.Sources {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "%s (%s)", s.label(), s.statsText())
		}
		if len(e.Sources) == 0 {
			sb.WriteString("nowhere the checks saw")
		}
	} else {
		if s := e.Pos().String(); s != "" {
			sb.WriteString(s + ": ")
		}
		switch {
		case e.Grad != nil:
			fmt.Fprintf(&sb, "in the gradient of %s: ", e.Grad.Op.Name)
		case e.Update != nil:
			fmt.Fprintf(&sb, "in the update of %s %s: ", e.Update.Op.Name, e.Update.Name())
		}
		var where []string
		if len(e.Shape) > 0 && e.First != nil {
			where = append(where, fmt.Sprintf("first at %v of %s", e.First, shapeText(e.Node.Type.DType, e.Shape)))
		}
		fmt.Fprintf(&sb, "%s gave %s", e.Node.Op.Name, e.Output.nonFiniteText(where...))
		sb.WriteString(" from finite operands")
		if e.When != "" {
			sb.WriteString(", in " + e.When)
		}
		for i, x := range e.Operands {
			fmt.Fprintf(&sb, "\n\toperand %d: %s %s: %s", i+1, x.label(), shapeText(x.Node.Type.DType, x.Shape), x.statsText())
		}
	}
	if len(e.Rows) > 0 {
		const most = 8
		sb.WriteString("\n\tbatch rows: " + strings.Join(e.Rows[:min(len(e.Rows), most)], ", "))
		if len(e.Rows) > most {
			fmt.Fprintf(&sb, ", ... (%d rows)", len(e.Rows))
		}
	}
	if e.Hint != "" {
		sb.WriteString("\n\t" + e.Hint)
	}
	return sb.String()
}

// nodeLabel names a value: "input x", "param l1.W", "const 0 at f.nn:3:9",
// "exp at f.nn:4:12".
func nodeLabel(n *ops.Node) string {
	if n.Op.Leaf {
		return n.Op.Name + " " + n.Name()
	}
	s := n.Op.Name
	if n.Op == ops.Const || n.Op == ops.Full {
		s += " " + strconv.FormatFloat(n.Attrs.Float("value", 0), 'g', -1, 64)
	}
	if p := n.Pos.String(); p != "" {
		s += " at " + p
	}
	return s
}

// shapeText prints "f32[32, 10]".
func shapeText(dt ops.DType, shape []int) string {
	if shape == nil {
		return dt.String()
	}
	return ops.Type{DType: dt, Shape: ops.ShapeOf(shape...)}.String()
}

// ValueStats counts the values of a tensor by kind and gives the range of
// the finite ones.
type ValueStats struct {
	Len                 int // elements
	NaN, PosInf, NegInf int
	Zeros               int
	Min, Max            float64 // of the finite values; 0 when none is finite
	Float               bool    // the tensor has a float element type
}

// NonFinite is the number of NaN and infinite values.
func (s ValueStats) NonFinite() int { return s.NaN + s.PosInf + s.NegInf }

// String reads "in [0, 2.5], 3 zeros" or "2 NaN, 1 +Inf; finite values in
// [-1, 1]" (of 32 values).
func (s ValueStats) String() string {
	var parts []string
	for _, k := range []struct {
		n    int
		name string
	}{{s.NaN, "NaN"}, {s.PosInf, "+Inf"}, {s.NegInf, "-Inf"}} {
		if k.n > 0 {
			parts = append(parts, strconv.Itoa(k.n)+" "+k.name)
		}
	}
	var sb strings.Builder
	if len(parts) > 0 {
		sb.WriteString(strings.Join(parts, ", ") + " of " + strconv.Itoa(s.Len) + "; ")
	}
	if s.Len-s.NonFinite() == 0 {
		sb.WriteString("no finite value")
		return sb.String()
	}
	if len(parts) > 0 {
		sb.WriteString("finite values ")
	}
	fmt.Fprintf(&sb, "in [%s, %s]", fmtNum(s.Min), fmtNum(s.Max))
	if s.Zeros > 0 {
		fmt.Fprintf(&sb, ", %d zero", s.Zeros)
		if s.Zeros > 1 {
			sb.WriteString("s")
		}
	}
	return sb.String()
}

// nonFiniteText reads "NaN", "-Inf (3 of 32 values)", "NaN and +Inf (5 of
// 6 values)", with more said inside the parentheses when more is given.
func (s ValueStats) nonFiniteText(more ...string) string {
	var kinds []string
	for _, k := range []struct {
		n    int
		name string
	}{{s.NaN, "NaN"}, {s.PosInf, "+Inf"}, {s.NegInf, "-Inf"}} {
		if k.n > 0 {
			kinds = append(kinds, k.name)
		}
	}
	var in []string
	if s.Len > 1 {
		in = append(in, fmt.Sprintf("%d of %d values", s.NonFinite(), s.Len))
	}
	in = append(in, more...)
	t := strings.Join(kinds, " and ")
	if len(in) > 0 {
		t += " (" + strings.Join(in, ", ") + ")"
	}
	return t
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// StatsOf measures t: counts of NaN, +Inf, -Inf and zeros, and the range of
// the finite values. Integer tensors have no non-finite values; boolean
// ones are counted as 0 and 1.
func StatsOf(t *tensor.Tensor) ValueStats {
	if t == nil {
		return ValueStats{}
	}
	n := t.Len()
	s := ValueStats{Len: n, Float: t.DType.IsFloat()}
	switch t.DType {
	case tensor.F32:
		statsF32(&s, t.F32[:n])
	case tensor.F64:
		statsF64(&s, t.F64[:n])
	default:
		first := true
		for i := 0; i < n; i++ {
			v := t.At(i)
			if v == 0 {
				s.Zeros++
			}
			if first || v < s.Min {
				s.Min = v
			}
			if first || v > s.Max {
				s.Max = v
			}
			first = false
		}
	}
	return s
}

func statsF32(s *ValueStats, x []float32) {
	// One pass with comparisons only: NaN compares false, so it is
	// counted and leaves lo and hi alone; an infinity shows as lo or hi
	// and sends the tensor to the exact pass.
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	nan, zeros := 0, 0
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
		if v != v {
			nan++
		}
		if v == 0 {
			zeros++
		}
	}
	if lo < -math.MaxFloat32 || hi > math.MaxFloat32 {
		statsSlow(s, x)
		return
	}
	s.NaN, s.Zeros = nan, zeros
	if nan < len(x) {
		s.Min, s.Max = float64(lo), float64(hi)
	}
}

func statsF64(s *ValueStats, x []float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	nan, zeros := 0, 0
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
		if v != v {
			nan++
		}
		if v == 0 {
			zeros++
		}
	}
	if math.IsInf(lo, -1) || math.IsInf(hi, 1) {
		statsSlow(s, x)
		return
	}
	s.NaN, s.Zeros = nan, zeros
	if nan < len(x) {
		s.Min, s.Max = lo, hi
	}
}

// statsSlow counts every kind of value of a tensor holding infinities.
func statsSlow[T float32 | float64](s *ValueStats, x []T) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range x {
		switch v := float64(t); {
		case v != v:
			s.NaN++
		case math.IsInf(v, 1):
			s.PosInf++
		case math.IsInf(v, -1):
			s.NegInf++
		default:
			if v == 0 {
				s.Zeros++
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if s.NonFinite() < s.Len {
		s.Min, s.Max = lo, hi
	}
}

// hasNonFinite reports whether t holds NaN or an infinity: one pass over
// the bits, without branches (an exponent of all ones is NaN or Inf).
func hasNonFinite(t *tensor.Tensor) bool {
	if t == nil {
		return false
	}
	switch n := t.Len(); t.DType {
	case tensor.F32:
		x := t.F32[:n]
		var n0, n1, n2, n3 uint32
		i := 0
		for ; i+4 <= len(x); i += 4 {
			n0 |= (math.Float32bits(x[i])&0x7f800000 + 0x800000) >> 31
			n1 |= (math.Float32bits(x[i+1])&0x7f800000 + 0x800000) >> 31
			n2 |= (math.Float32bits(x[i+2])&0x7f800000 + 0x800000) >> 31
			n3 |= (math.Float32bits(x[i+3])&0x7f800000 + 0x800000) >> 31
		}
		for ; i < len(x); i++ {
			n0 |= (math.Float32bits(x[i])&0x7f800000 + 0x800000) >> 31
		}
		return n0|n1|n2|n3 != 0
	case tensor.F64:
		var bad uint64
		for _, v := range t.F64[:n] {
			bad |= (math.Float64bits(v)&0x7ff0000000000000 + 0x0010000000000000) >> 63
		}
		return bad != 0
	}
	return false
}

// firstNonFinite returns the multi-index of t's first NaN or infinity, or
// nil.
func firstNonFinite(t *tensor.Tensor) []int {
	if t == nil || !t.DType.IsFloat() {
		return nil
	}
	for i := 0; i < t.Len(); i++ {
		if v := t.At(i); math.IsNaN(v) || math.IsInf(v, 0) {
			idx := make([]int, len(t.Shape))
			for k := len(t.Shape) - 1; k >= 0; k-- {
				if d := t.Shape[k]; d > 0 {
					idx[k] = i % d
					i /= d
				}
			}
			return idx
		}
	}
	return nil
}
