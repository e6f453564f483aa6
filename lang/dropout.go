package lang

import "github.com/nnclang/nnc/ops"

// dropout applies the dropout op (training mode only; p in (0, 1)).
func (i *interp) dropout(p ops.Pos, x *ops.Node, rate float64, label string) value {
	return i.apply(p, "dropout", ops.Attrs{"p": rate, "seed": i.b.NextSeed()}, []string{label}, x)
}
