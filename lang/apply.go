package lang

import (
	"regexp"

	"github.com/nnclang/nnc/ops"
)

// Lowering to ops: every tensor operation of the language ends in apply,
// which adds the op through ops.Builder.Apply (the op's own type rule) and
// reports a rejected operand with its source text.

// badAxis matches the type-rule errors of ops that reject an axis
// attribute out of range: E308 rather than E301.
var badAxis = regexp.MustCompile(`^(\w+: )?axis -?\d+ is out of range`)

// apply adds an op at pos; a type error is reported with the operands
// labelled by their source text.
func (i *interp) apply(p ops.Pos, op *ops.Op, attrs ops.Attrs, labels []string, in ...*ops.Node) value {
	return i.applyLabelled(p, op, attrs, func() []string { return labels }, in...)
}

// applyLabelled is apply with the operands' labels made only when an error
// needs them: operators, which are most of a long flat expression, would
// otherwise print two subexpressions each.
func (i *interp) applyLabelled(p ops.Pos, op *ops.Op, attrs ops.Attrs, labels func() []string, in ...*ops.Node) value {
	old := i.b.SetPos(p)
	defer i.b.SetPos(old)
	n, err := i.b.Apply(op, attrs, in...)
	if err != nil {
		code := CodeShape
		if se, ok := err.(*ops.SizeError); ok {
			i.errorf(p, CodeTooLarge, "%v", se)
			return bad
		}
		if badAxis.MatchString(err.Error()) {
			code = CodeValue // a compile-time axis out of range for the operand's rank
		}
		if ie, ok := err.(*ops.InferError); ok {
			i.errorf(p, code, "%s", ie.Format(labels()))
		} else {
			i.errorf(p, code, "%s: %v", op.Name, err)
		}
		return bad
	}
	if len(n.Type.Shape) > maxRank {
		i.errorf(p, CodeValue, "%s: the result has rank %d, more than %d", op.Name, len(n.Type.Shape), maxRank)
		return bad
	}
	return tensorV{n}
}
