package ops

import (
	"fmt"
	"strings"
)

// Padding of convolutions and pooling. The "pad" attribute is
//
//	an int                 the same padding before and after every spatial axis
//	[p]                    the same
//	[p_0, ..., p_{n-1}]    p_i before and after spatial axis i (conv2d: [top/bottom, left/right])
//	[b_0, a_0, b_1, a_1]   b_i before and a_i after each spatial axis, outer axis first
//	                       (conv2d: [top, bottom, left, right]; conv1d: [left, right])
//	"valid"                no padding
//	"same"                 ONNX's SAME_UPPER (TensorFlow's "SAME"): the output has
//	                       ceil(size / stride) positions, the total padding
//	                       max((out-1)·stride + dilation·(k-1) + 1 - size, 0) is split
//	                       evenly, any odd one after the axis
//	"same_lower"           ONNX's SAME_LOWER: the same, any odd one before
//
// With stride 1, "same" keeps the size; with a larger stride it needs the
// spatial sizes known when the program is compiled.

// padModes are the strings "pad" accepts.
var padModes = []string{"same", "valid", "same_lower"}

// padSpec is a "pad" attribute read for nsp spatial axes: a mode, or the
// widths before (lo) and after (hi) each axis.
type padSpec struct {
	mode   string // "", "same", "same_lower" or "valid"
	lo, hi []int
}

// readPads reads a's "pad" for nsp spatial axes.
func readPads(name string, a Attrs, nsp int) (padSpec, error) {
	ps := padSpec{lo: make([]int, nsp), hi: make([]int, nsp)}
	v, present := a["pad"]
	bad := func() (padSpec, error) {
		return ps, &InferError{name, fmt.Sprintf("pad must be an int, a list of 1, %d or %d ints, or %q; got %v",
			nsp, 2*nsp, strings.Join(padModes, `", "`), formatAttr(v))}
	}
	switch x := v.(type) {
	case nil:
		if present {
			return bad()
		}
	case string:
		for _, m := range padModes {
			if x == m {
				ps.mode = x
				return ps, nil
			}
		}
		return bad()
	case int:
		for i := range ps.lo {
			ps.lo[i], ps.hi[i] = x, x
		}
	case []int:
		switch {
		case len(x) == 1:
			for i := range ps.lo {
				ps.lo[i], ps.hi[i] = x[0], x[0]
			}
		case len(x) == nsp:
			copy(ps.lo, x)
			copy(ps.hi, x)
		case len(x) == 2*nsp:
			for i := range ps.lo {
				ps.lo[i], ps.hi[i] = x[2*i], x[2*i+1]
			}
		case nsp == 1:
			return ps, &InferError{name, fmt.Sprintf("pad has %d values, want 1 or 2 (before and after)", len(x))}
		default:
			return ps, &InferError{name, fmt.Sprintf("pad has %d values, want 1, %d (one per spatial axis) or %d (before and after each spatial axis)", len(x), nsp, 2*nsp)}
		}
	default:
		return bad()
	}
	for i := range ps.lo {
		for _, w := range []int{ps.lo[i], ps.hi[i]} {
			if w < 0 {
				return ps, &InferError{name, fmt.Sprintf("pad %v is negative", formatAttr(v))}
			}
			if int64(w) > MaxTensorBytes {
				return ps, &SizeError{name, fmt.Errorf("pad %v is more than the limit of %d", formatAttr(v), MaxTensorBytes)}
			}
		}
	}
	return ps, nil
}

// widths resolves the padding of spatial sizes x for windows whose dilated
// extents are keff and strides stride: the widths before and after each
// axis. A "same" padding with a stride above 1 needs x and keff constant.
func (ps padSpec) widths(name string, x, keff Shape, stride []int) (lo, hi []int, err error) {
	switch ps.mode {
	case "":
		return ps.lo, ps.hi, nil
	case "valid":
		return make([]int, len(x)), make([]int, len(x)), nil
	}
	lo, hi = make([]int, len(x)), make([]int, len(x))
	for i, d := range x {
		s := int64(stride[i])
		k, kok := keff[i].IsConst()
		n, nok := d.IsConst()
		var total int64
		switch {
		case kok && s == 1:
			total = max(k-1, 0) // out = size
		case kok && nok:
			out := (n + s - 1) / s
			total = max((out-1)*s+k-n, 0)
		default:
			return nil, nil, &InferError{name, fmt.Sprintf("pad %q with stride %d needs known sizes: spatial axis %d is %v, the window %v", ps.mode, s, i, d, keff[i])}
		}
		if total > MaxTensorBytes {
			return nil, nil, &SizeError{name, fmt.Errorf("pad %q needs %d elements, more than the limit of %d", ps.mode, total, MaxTensorBytes)}
		}
		small, big := int(total/2), int(total-total/2)
		lo[i], hi[i] = small, big
		if ps.mode == "same_lower" {
			lo[i], hi[i] = big, small
		}
	}
	return lo, hi, nil
}

// dilatedExtent is d·(k-1) + 1, a window of k taps d apart.
func dilatedExtent(k Dim, d int) Dim {
	return k.Sub(DimConst(1)).Mul(DimConst(int64(d))).Add(DimConst(1))
}

// padAttrDoc describes "pad" for the built-ins' docs.
const padAttrDoc = `pad: an int, [before/after per axis], [before, after per axis] outer axis first, "valid", "same" (ONNX SAME_UPPER: any odd padding after) or "same_lower"`
