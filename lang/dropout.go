package lang

import "github.com/nnclang/nnc/ops"

// dropout applies ops.Dropout (training mode only; rate in (0, 1)).
func (i *interp) dropout(p ops.Pos, x *ops.Node, rate float64, label string) value {
	if !x.Type.DType.IsFloat() {
		i.errorf(p, CodeShape, "dropout: %s is %v, not a float tensor", label, x.Type)
		return bad
	}
	old := i.b.SetPos(p)
	defer i.b.SetPos(old)
	return tensorV{ops.Dropout(i.b, x, rate)}
}
