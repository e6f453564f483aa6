package opt

import "github.com/nnclang/nnc/ops"

// commutative ops give bitwise the same result for swapped operands (IEEE
// addition and multiplication commute; Go's max and min treat -0 and NaN
// symmetrically), so their operands can be put in a canonical order.
var commutative = map[*ops.Op]bool{ops.Add: true, ops.Mul: true, ops.Maximum: true, ops.Minimum: true, ops.Equal: true}

// CSE merges equal nodes. Rebuilding through a Builder merges nodes with the
// same op, attributes and operands (hash-consing); in addition, the operands
// of commutative ops are sorted by node number, so x+y and y+x merge.
func CSE(g *ops.Graph) (*ops.Graph, error) {
	return rebuild(g, func(b *ops.Builder, n *ops.Node, in, _ []*ops.Node) *ops.Node {
		if commutative[n.Op] && len(in) == 2 && in[0].ID > in[1].ID {
			return b.Must(n.Op, n.Attrs, in[1], in[0])
		}
		return nil
	})
}
