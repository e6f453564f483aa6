package runtime

import (
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// An optimizer update whose value is an elementwise step over the
// parameter (fused_sgd, fused_adam, or the fused_elementwise p - lr·g of
// plain SGD: ops that declare the parameter's operand InPlace, reading
// each index before they write it) may write the new value straight into
// the parameter's tensor when it is the last step to read the parameter
// and no step that could fail follows it: the new value then needs no
// copy at the end of the run, which for a model of large weights and
// small batches (an MLP at batch 128) is a visible part of a training
// step. The result is the same bits either way. A step can fail only by
// finding an index out of range, which needs an integer operand, so the
// steps after the first such update must be updates, casts, or steps of
// float operands only (a scheduled learning rate's arithmetic, Adam's
// bias corrections).
//
// The plan keeps the update's own buffer too: a run that checks numerics
// (which must be able to skip every update) or calls an UpdateHook (which
// is promised the value until the run ends) uses it, as before.

// paramWrite is an update whose value step may write into its target.
type paramWrite struct {
	step   int            // the fused update's step
	target int            // the param's node ID
	own    *tensor.Tensor // the step's own output view (allocate)
}

// findParamWrites lists the updates whose step can write its param in
// place in the schedule sched: the step's op declares the param's operand
// InPlace, no later step reads the param, no step that can fail comes
// later (cannotFail), no step reads the update's value, and neither the
// param nor the value is an output.
func (p *Plan) findParamWrites(sched []*ops.Node) []paramWrite {
	at := make(map[int]int, len(sched))
	for i, n := range sched {
		at[n.ID] = i
	}
	tail := len(sched) // the first step of the steps that cannot fail that end the schedule
	for tail > 0 && cannotFail(sched[tail-1]) {
		tail--
	}
	lastRead := map[int]int{} // node ID -> the last step reading it
	for i, n := range sched {
		for _, x := range n.In {
			lastRead[x.ID] = i
		}
	}
	outputs := map[int]bool{}
	for _, o := range p.Graph.Outputs {
		outputs[o.Node.ID] = true
	}
	var ws []paramWrite
	for _, u := range p.updates {
		i, ok := at[u.value]
		if !ok || i < tail || u.target == u.value || outputs[u.target] || outputs[u.value] {
			continue
		}
		v := sched[i]
		if !readsInPlace(v, u.target) || lastRead[u.target] != i {
			continue
		}
		if _, read := lastRead[u.value]; read {
			continue
		}
		ws = append(ws, paramWrite{step: i, target: u.target})
	}
	return ws
}

// cannotFail says whether n's kernel never reports an error: a cast, or
// an op whose operands are all floats (index checks need integers).
func cannotFail(n *ops.Node) bool {
	if n.Op == ops.Cast {
		return true
	}
	for _, x := range n.In {
		if !x.Type.DType.IsFloat() {
			return false
		}
	}
	return true
}

// readsInPlace says whether n reads the node target as an operand that
// its op declares InPlace (read at each index before that index of the
// result is written), with the result's element type and shape.
func readsInPlace(n *ops.Node, target int) bool {
	for k, x := range n.In {
		if x.ID != target || !x.Type.Equal(n.Type) {
			continue
		}
		for _, a := range n.Op.InPlace {
			if a == k || a == -1 {
				return true
			}
		}
	}
	return false
}

// writeParams points the in-place updates' steps at their params (on) or
// at their own buffers (off) for the coming run.
func (p *Plan) writeParams(on bool) {
	for _, w := range p.writes {
		st := &p.Steps[w.step]
		out := w.own
		if on {
			out = p.values[w.target]
		}
		st.out, p.values[st.Node.ID] = out, out
	}
}
