package autodiff

import (
	"sort"

	"github.com/nnclang/nnc/ops"
)

// Slot writes. The gradient of a slice is an unslice: zeros of the full
// shape with the slice's cotangent written in. A tensor cut into many
// slices along one axis (the steps of an unrolled scan, the parts of a
// split) would so receive one full-size unslice per slice, summed by a
// chain of adds: O(T²) work and memory for T slices. Instead, reverse mode
// holds back such contributions until the tensor's cotangent is needed and
// joins the disjoint ones with one concat along their axis (zeros filling
// the gaps): O(T). Values are those of the sum of unslices (each element
// comes from the one slice that covers it, or is 0).

// slotWrite is an unslice contribution that covers [lo, hi) of one axis
// and the whole of every other axis.
type slotWrite struct {
	axis, lo, hi int
	part         *ops.Node // the unslice's operand
	c            *ops.Node // the unslice itself
}

// asSlot reports whether c is an unslice of constant bounds, step 1, that
// differs from the whole tensor on exactly one axis, whose size is
// constant. The other axes may be symbolic (a training step's batch axis):
// the unslice covers them whole.
func asSlot(c *ops.Node) (slotWrite, bool) {
	if c.Op != ops.Unslice || len(c.In) != 1 {
		return slotWrite{}, false
	}
	s := slotWrite{axis: -1, part: c.In[0], c: c}
	for j, d := range c.Type.Shape {
		whole, lo, hi, ok := slotAxis(c.Attrs, j, d)
		if !ok {
			return slotWrite{}, false
		}
		if whole {
			continue
		}
		if s.axis >= 0 || lo >= hi {
			return slotWrite{}, false
		}
		s.axis, s.lo, s.hi = j, lo, hi
	}
	return s, s.axis >= 0
}

// slotAxis reads an unslice's bounds on axis j of size d, in either of
// slice's forms: whole when the unslice covers the axis (whatever d is),
// else [lo, hi) with d constant; ok is false for steps other than 1,
// bounds out of range, or a part of a symbolic axis.
func slotAxis(a ops.Attrs, j int, d ops.Dim) (whole bool, lo, hi int, ok bool) {
	dim, isConst := d.IsConst()
	if _, has := a["begin"]; has {
		begin, end := a.Shape("begin"), a.Shape("end")
		if j >= len(begin) || j >= len(end) {
			return false, 0, 0, false
		}
		b, bok := begin[j].IsConst()
		if bok && b == 0 && end[j] == d {
			return true, 0, 0, true
		}
		e, eok := end[j].IsConst()
		if !isConst || !bok || !eok || b < 0 || e > dim || b > e {
			return false, 0, 0, false
		}
		return b == 0 && e == dim, int(b), int(e), true
	}
	starts, _ := a.Ints("starts")
	stops, _ := a.Ints("stops")
	steps, _ := a.Ints("steps")
	start, stop := ops.SliceNone, ops.SliceNone
	if j < len(starts) {
		start = starts[j]
	}
	if j < len(stops) {
		stop = stops[j]
	}
	if j < len(steps) && steps[j] != 1 && steps[j] != ops.SliceNone {
		return false, 0, 0, false
	}
	if (start == ops.SliceNone || start == 0) && stop == ops.SliceNone {
		return true, 0, 0, true
	}
	if !isConst {
		return false, 0, 0, false
	}
	lo, hi = 0, int(dim)
	if start != ops.SliceNone {
		lo = start
		if lo < 0 {
			lo += int(dim)
		}
	}
	if stop != ops.SliceNone {
		hi = stop
		if hi < 0 {
			hi += int(dim)
		}
	}
	if lo < 0 || hi > int(dim) || lo > hi {
		return false, 0, 0, false
	}
	return lo == 0 && hi == int(dim), lo, hi, true
}

// joinSlots is the sum of the held-back contributions ws to a tensor of
// type t: per axis, the disjoint slot writes joined by one concat (gaps
// filled with zeros); a write that overlaps an earlier one, or the only
// one on its axis, is added as it is.
func joinSlots(b *ops.Builder, t ops.Type, ws []slotWrite) *ops.Node {
	var sum *ops.Node
	byAxis := map[int][]slotWrite{}
	var axes []int
	for _, w := range ws {
		if byAxis[w.axis] == nil {
			axes = append(axes, w.axis)
		}
		byAxis[w.axis] = append(byAxis[w.axis], w)
	}
	for _, ax := range axes {
		group := byAxis[ax]
		if len(group) == 1 {
			sum = accumulate(b, sum, group[0].c)
			continue
		}
		sort.SliceStable(group, func(i, j int) bool {
			gi, gj := group[i], group[j]
			return gi.lo < gj.lo || gi.lo == gj.lo && gi.hi < gj.hi
		})
		var parts, rest []*ops.Node
		cursor := 0
		d, _ := t.Shape[ax].IsConst() // constant: asSlot checked
		dim := int(d)
		for _, w := range group {
			if w.lo < cursor {
				rest = append(rest, w.c)
				continue
			}
			if w.lo > cursor {
				parts = append(parts, gap(b, t, ax, w.lo-cursor))
			}
			parts = append(parts, w.part)
			cursor = w.hi
		}
		if cursor < dim {
			parts = append(parts, gap(b, t, ax, dim-cursor))
		}
		sum = accumulate(b, sum, b.Must(ops.Concat, ops.Attrs{"axis": ax}, parts...))
		for _, c := range rest {
			sum = accumulate(b, sum, c)
		}
	}
	return sum
}

// gap is zeros of type t with n along axis ax.
func gap(b *ops.Builder, t ops.Type, ax, n int) *ops.Node {
	s := append(ops.Shape(nil), t.Shape...)
	s[ax] = ops.DimConst(int64(n))
	return b.Full(ops.Type{DType: t.DType, Shape: s}, 0)
}
