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
// differs from the whole tensor on exactly one axis.
func asSlot(c *ops.Node) (slotWrite, bool) {
	if c.Op != ops.Unslice || len(c.In) != 1 {
		return slotWrite{}, false
	}
	full := c.Type.Shape
	dims := make([]int, len(full))
	for j, d := range full {
		v, ok := d.IsConst()
		if !ok {
			return slotWrite{}, false
		}
		dims[j] = int(v)
	}
	lo, hi, ok := slotBounds(c.Attrs, dims)
	if !ok {
		return slotWrite{}, false
	}
	s := slotWrite{axis: -1, part: c.In[0], c: c}
	for j := range dims {
		if lo[j] == 0 && hi[j] == dims[j] {
			continue
		}
		if s.axis >= 0 || lo[j] >= hi[j] {
			return slotWrite{}, false
		}
		s.axis, s.lo, s.hi = j, lo[j], hi[j]
	}
	return s, s.axis >= 0
}

// slotBounds reads an unslice's bounds per axis, in either of slice's
// forms; ok is false for steps other than 1 or bounds out of range.
func slotBounds(a ops.Attrs, dims []int) (lo, hi []int, ok bool) {
	r := len(dims)
	lo, hi = make([]int, r), make([]int, r)
	if _, has := a["begin"]; has {
		begin, end := a.Shape("begin"), a.Shape("end")
		if len(begin) != r || len(end) != r {
			return nil, nil, false
		}
		for j := range dims {
			b, bok := begin[j].IsConst()
			e, eok := end[j].IsConst()
			if !bok || !eok || b < 0 || e > int64(dims[j]) || b > e {
				return nil, nil, false
			}
			lo[j], hi[j] = int(b), int(e)
		}
		return lo, hi, true
	}
	starts, _ := a.Ints("starts")
	stops, _ := a.Ints("stops")
	if steps, has := a.Ints("steps"); has {
		for _, s := range steps {
			if s != 1 && s != ops.SliceNone {
				return nil, nil, false
			}
		}
	}
	if len(starts) > r || len(stops) > r {
		return nil, nil, false
	}
	for j, d := range dims {
		lo[j], hi[j] = 0, d
		if j < len(starts) && starts[j] != ops.SliceNone {
			lo[j] = starts[j]
			if lo[j] < 0 {
				lo[j] += d
			}
		}
		if j < len(stops) && stops[j] != ops.SliceNone {
			hi[j] = stops[j]
			if hi[j] < 0 {
				hi[j] += d
			}
		}
		if lo[j] < 0 || hi[j] > d || lo[j] > hi[j] {
			return nil, nil, false
		}
	}
	return lo, hi, true
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
