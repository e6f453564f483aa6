package nnc

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
)

// BenchStep is one step of the plan: one kernel call, its time per call
// and its rate. Where an op's time goes among its calls (which of a
// model's products runs below the machine's rate, say) shows here.
type BenchStep struct {
	Op string `json:"op"`
	// Call is the op with its operands' shapes, its true flags (such as
	// a product's transpose_x), the ops a fused kernel runs, and its
	// result's shape: "matmul([512, 128], [384, 128]; transpose_w) →
	// [512, 384]", "fused_matmul([16, 64], [64, 128], [128]; with add) →
	// [16, 128]".
	Call  string  `json:"call"`
	File  string  `json:"file,omitempty"`
	Line  int     `json:"line"` // 0: no source position
	Time  float64 `json:"time_s"`
	Share float64 `json:"share"` // of the steps' time
	// Flops is the step's FLOP count (as nnc check counts it; 0 when the
	// op has no count), GFlops its rate.
	Flops  int64   `json:"flops,omitempty"`
	GFlops float64 `json:"gflops,omitempty"`
}

// benchSteps lists the top steps of pr by time (total: the steps' summed
// nanoseconds over runs calls).
func benchSteps(pr *runtime.Profile, total int64, runs float64, top int) []BenchStep {
	idx := make([]int, 0, len(pr.Plan.Steps))
	for i, st := range pr.Plan.Steps {
		if !st.Alias {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return pr.Nanos[idx[a]] > pr.Nanos[idx[b]] })
	var steps []BenchStep
	for _, i := range idx[:min(top, len(idx))] {
		n := pr.Plan.Steps[i].Node
		in := make([][]int, len(n.In))
		for k, x := range n.In {
			in[k] = pr.Plan.Shape(x)
		}
		out := pr.Plan.Shape(n)
		s := BenchStep{Op: n.Op.Name, Call: stepCall(n, in, out), File: n.Pos.File, Line: n.Pos.Line,
			Time: float64(pr.Nanos[i]) / 1e9 / runs, Share: float64(pr.Nanos[i]) / float64(total)}
		if f, known := ops.NodeFlops(n, in, out); known && f > 0 {
			s.Flops = f
			if s.Time > 0 {
				s.GFlops = float64(f) / s.Time / 1e9
			}
		}
		steps = append(steps, s)
	}
	return steps
}

// stepCall writes a step as op(operand shapes; true flags) → result shape.
func stepCall(n *ops.Node, in [][]int, out []int) string {
	args := make([]string, len(in))
	for k, s := range in {
		args[k] = dimsText(s)
	}
	var flags []string
	for name, v := range n.Attrs {
		if b, ok := v.(bool); ok && b {
			flags = append(flags, name)
		}
	}
	call := strings.Join(args, ", ")
	if len(flags) > 0 {
		call += "; " + strings.Join(slices.Sorted(slices.Values(flags)), ", ")
	}
	if names := ops.FusedMembers(n); len(names) > 0 {
		call += "; with " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s(%s) → %s", n.Op.Name, call, dimsText(out))
}

// dimsText is a concrete shape as "[2, 3]" ("[]" for a scalar).
func dimsText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
