package onnx

import (
	"fmt"

	"github.com/nnclang/nnc/tensor"
)

// opTrilu keeps the upper (upper = 1, the default) or lower triangle of
// the last two axes from diagonal k, zeroing the rest: folded at import
// for a constant (what exports of causal masks hold), else where() with
// the triangle as a constant mask.
func opTrilu(t *translator, n *Node) error {
	x, err := t.get(input(n, 0))
	if err != nil {
		return err
	}
	k := int64(0)
	if in := input(n, 1); in != "" {
		ks, err := t.constInts(in, "k")
		if err != nil {
			return err
		}
		if len(ks) != 1 {
			return fmt.Errorf("k must hold one value, got %v", ks)
		}
		k = int64(ks[0])
	}
	r := len(x.shape)
	if r < 2 {
		return fmt.Errorf("the input must have at least two axes, it is %v", x.shape)
	}
	if err := concrete(x.shape[r-2:]); err != nil {
		return err
	}
	upper := attrInt(n, "upper", 1) == 1
	rows, cols := x.shape[r-2], x.shape[r-1]
	keep := func(i int) bool {
		d := int64(i%cols) - int64(i/cols%rows) // column - row
		return upper && d >= k || !upper && d <= k
	}
	if x.konst != nil {
		out := x.konst.Clone()
		for i := range out.Len() {
			if !keep(i) {
				out.Set(i, 0)
			}
		}
		t.setConst(n, out)
		return nil
	}
	// Floats: where(mask, x, 0.0), which keeps a NaN or Inf outside the
	// triangle out; integers: x times a 0/1 mask of their dtype (where
	// takes floats only).
	mdt := tensor.Bool
	if !x.dt.IsFloat() {
		mdt = x.dt
	}
	mask := tensor.New(mdt, rows, cols)
	for i := range mask.Len() {
		if keep(i) {
			if mdt == tensor.Bool {
				mask.Bool[i] = true
			} else {
				mask.Set(i, 1)
			}
		}
	}
	m := t.param(n.Outputs[0]+"_mask", mask)
	id, err := t.operand(input(n, 0))
	if err != nil {
		return err
	}
	expr := fmt.Sprintf("where(%s, %s, 0.0)", m, id)
	if mdt != tensor.Bool {
		expr = fmt.Sprintf("%s * %s", id, m)
	}
	t.comment()
	t.emit(n.Outputs[0], expr, x.dt, x.shape)
	return nil
}

// dropoutIdentity checks that a Dropout with a training_mode input is the
// identity: training_mode false, or true with a ratio of 0 (which keeps
// every element). Inputs computed from the graph's inputs must be given
// values at import; one error names all of them.
func dropoutIdentity(t *translator, n *Node) error {
	var consts [2]*tensor.Tensor
	var first error
	for i, what := range []string{"training_mode", "the ratio"} {
		in := input(n, 2-i)
		if in == "" {
			continue
		}
		v, err := t.get(in)
		if err != nil {
			return err
		}
		if v.konst == nil {
			if e := t.notConstant(in, what); first == nil {
				first = e
			}
			continue
		}
		consts[i] = v.konst
	}
	if first != nil {
		return first
	}
	tm, ratio := consts[0], consts[1]
	if tm.Len() == 1 && tm.At(0) == 0 || ratio != nil && ratio.Len() == 1 && ratio.At(0) == 0 {
		return nil
	}
	return fmt.Errorf("training_mode with a ratio above 0 is not supported: an import is for inference (dropout is the identity)")
}
