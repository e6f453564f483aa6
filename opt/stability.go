package opt

import "github.com/nnclang/nnc/ops"

// StabilityRules replace formulas by numerically stable forms. Unlike the
// simplify rules they change values: that is their purpose (log(softmax(x))
// is -Inf where softmax underflows to 0, log_softmax(x) is finite).
var StabilityRules = []Rule{
	{"log(softmax(x))", ops.Log, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		if in[0].Op != ops.Softmax {
			return nil
		}
		return b.Must(ops.LogSoftmax, in[0].Attrs, in[0].In[0])
	}},
	{"log(1+x)", ops.Log, func(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
		s := in[0]
		if s.Op != ops.Add {
			return nil
		}
		for i, one := range s.In {
			x := s.In[1-i]
			if isValue(one, 1) && x.Type.Equal(n.Type) {
				return b.Must(ops.Log1p, nil, x)
			}
		}
		return nil
	}},
	{"-mean(sum(one_hot(y)*log_softmax(x)))", ops.Neg, crossEntropyRule},
}

// crossEntropyRule recognizes the cross entropy of logits x [N, C] and
// integer labels y [N] written out,
//
//	-mean(sum(one_hot(y, C) * log_softmax(x, axis=-1), axes=[1]))
//
// (the product in either order, axis 1 or -1) and makes it one
// cross_entropy node, which reads the logits once. They differ only for a
// label outside [0, C): its row adds 0 to the written-out form and makes
// cross_entropy NaN.
func crossEntropyRule(b *ops.Builder, n *ops.Node, in []*ops.Node) *ops.Node {
	m := in[0]
	if m.Op != ops.Mean || m.Attrs.Bool("keepdims", false) || m.Type.Shape.Rank() != 0 {
		return nil
	}
	s := m.In[0]
	if s.Op != ops.Sum || s.Attrs.Bool("keepdims", false) || s.Type.Shape.Rank() != 1 {
		return nil
	}
	if axes, ok := s.Attrs.Ints("axes"); !ok || len(axes) != 1 || (axes[0] != 1 && axes[0] != -1) {
		return nil
	}
	p := s.In[0]
	if p.Op != ops.Mul || p.Type.Shape.Rank() != 2 {
		return nil
	}
	for i := range 2 {
		oh, ls := p.In[i], p.In[1-i]
		if oh.Op != ops.OneHot || ls.Op != ops.LogSoftmax {
			continue
		}
		if ax := ls.Attrs.Int("axis", -1); ax != -1 && ax != 1 {
			continue
		}
		x, y := ls.In[0], oh.In[0]
		if !oh.Type.Equal(x.Type) || x.Type.Shape.Rank() != 2 {
			continue
		}
		return b.Must(ops.CrossEntropy, nil, x, y)
	}
	return nil
}

// Stability applies StabilityRules.
func Stability(g *ops.Graph) (*ops.Graph, error) {
	return rebuild(g, applyRules(StabilityRules))
}
