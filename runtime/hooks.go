package runtime

import "github.com/nnclang/nnc/tensor"

// UpdateHook is called by a run as soon as the value of the graph's i-th
// update (Graph.Updates[i]) is computed (computed in a row region: once the
// region is done, rows.go): v is that value, valid and unchanged until the
// run ends; the update itself is applied at the end of the run as always.
// The hook runs on the run's goroutine between two kernel steps (a value
// that is a leaf, or that no step computes, before the first step); it
// must not run the session.
type UpdateHook func(i int, v *tensor.Tensor)

// SetUpdateHook makes the session's later runs call f for every update
// (nil: none, the default). Data-parallel training uses it to start
// summing a gradient over the ranks while the backward pass goes on.
func (s *Session) SetUpdateHook(f UpdateHook) { s.hook = f }

// fireUpdates calls hook for the updates whose value step i (-1: before the
// first step) computes.
func (p *Plan) fireUpdates(hook UpdateHook, i int) {
	if p.readyAt == nil {
		p.readyAt = make(map[int][]int, len(p.updates))
		step := make(map[int]int, len(p.Steps))
		for k := range p.Steps {
			step[p.Steps[k].Node.ID] = k
		}
		for u, up := range p.updates {
			at, ok := step[up.value]
			if !ok {
				at = -1
			}
			p.readyAt[at] = append(p.readyAt[at], u)
		}
	}
	for _, u := range p.readyAt[i] {
		hook(u, p.values[p.updates[u].value])
	}
}
