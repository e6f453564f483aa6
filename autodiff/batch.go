package autodiff

import (
	"github.com/nnclang/nnc/ops"
)

// Batched sums. A weight used at every step of an unrolled loop receives
// one contribution per step: Σ_t x_tᵀ g_t for a product's weight, Σ_t
// sum_to(g_t) for a bias. T small products (each [H, B] × [B, N]) and T
// full-size adds cost far more than the one product they equal:
// concat(x_t)ᵀ concat(g_t), [H, T·B] × [T·B, N], with the concats along the
// rows; likewise sum_to(concat(g_t)). Reverse mode holds these
// contributions back with the slot writes (slots.go) and joins each group
// of two or more of the same shapes into one product or one reduction.
// Axis 0 (the rows the concats join: a training step's batch) may be
// symbolic; the concat's rows are then the symbolic sum.

// batchKind tells how a held-back contribution c joins others: "mm" for a
// product xᵀ g of matrices (matmul with transpose_x only), "sum" for a
// sum_to that sums away axis 0 of its operand; "" when c does not batch.
func batchKind(c *ops.Node) string {
	switch c.Op {
	case ops.Matmul:
		if len(c.In) != 2 || !c.Attrs.Bool("transpose_x", false) || c.Attrs.Bool("transpose_w", false) {
			return ""
		}
		x, g := c.In[0].Type.Shape, c.In[1].Type.Shape
		if len(x) != 2 || len(g) != 2 {
			return ""
		}
		return "mm"
	case ops.SumTo:
		if len(c.In) != 1 {
			return ""
		}
		in, out := c.In[0].Type.Shape, c.Type.Shape
		if len(in) == 0 {
			return ""
		}
		if len(out) < len(in) || (len(out) == len(in) && out[0] == ops.DimConst(1) && in[0] != ops.DimConst(1)) {
			return "sum"
		}
	}
	return ""
}

// batchKey groups contributions that join: same kind, same operand shapes
// past axis 0 and dtypes.
func batchKey(kind string, c *ops.Node) string {
	k := kind
	for _, in := range c.In {
		k += "|" + in.Type.DType.String() + in.Type.Shape[1:].String()
	}
	return k
}

// joinBatched sums the held-back contributions cs (arrival order: latest
// step first), each group of the same key as one product or reduction of
// concats taken in step order.
func joinBatched(b *ops.Builder, cs []*ops.Node) *ops.Node {
	groups := map[string][]*ops.Node{}
	var keys []string
	for i := len(cs) - 1; i >= 0; i-- { // forward order
		c := cs[i]
		k := batchKey(batchKind(c), c)
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], c)
	}
	var sum *ops.Node
	for _, k := range keys {
		g := groups[k]
		if len(g) == 1 {
			sum = accumulate(b, sum, g[0])
			continue
		}
		ins := make([]*ops.Node, len(g[0].In))
		for j := range ins {
			parts := make([]*ops.Node, len(g))
			for t, c := range g {
				parts[t] = c.In[j]
			}
			ins[j] = b.Must(ops.Concat, ops.Attrs{"axis": 0}, parts...)
		}
		sum = accumulate(b, sum, b.Must(g[0].Op, g[0].Attrs, ins...))
	}
	return sum
}

// held are the contributions reverse mode holds back per node: slot
// writes (slots.go) and batchable sums.
type held struct {
	slots   map[int][]slotWrite
	batched map[int][]*ops.Node
}

func newHeld() *held {
	return &held{map[int][]slotWrite{}, map[int][]*ops.Node{}}
}

// hold keeps c, a contribution to in's cotangent, when it is a slot write
// or batches; false leaves it to be added at once.
func (h *held) hold(in, c *ops.Node) bool {
	if w, ok := asSlot(c); ok {
		h.slots[in.ID] = append(h.slots[in.ID], w)
		return true
	}
	if batchKind(c) != "" {
		h.batched[in.ID] = append(h.batched[in.ID], c)
		return true
	}
	return false
}

// join adds the contributions held for v to its cotangent ct (nil when
// none) and forgets them.
func (h *held) join(b *ops.Builder, v, ct *ops.Node) *ops.Node {
	if ws := h.slots[v.ID]; ws != nil {
		b.SetPos(ws[0].c.Pos)
		ct = accumulate(b, ct, joinSlots(b, v.Type, ws))
		delete(h.slots, v.ID)
	}
	if cs := h.batched[v.ID]; cs != nil {
		b.SetPos(cs[0].Pos)
		ct = accumulate(b, ct, joinBatched(b, cs))
		delete(h.batched, v.ID)
	}
	return ct
}
