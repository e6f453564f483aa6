package runtime

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// inplaceGraph is a momentum-SGD step on p [n] (lr 0.5, momentum 0.25,
// as the optimizer fuses it): g = 2·(p - x), buf' = 0.25·buf + g,
// p' = p - 0.5·buf', with the loss Σ(p - x)² as output. With newOut the
// new parameter is an output too; with lateRead a step after the update
// reads p (through a sum added to the output), and with lateUpdate a
// second param q is updated after p by momentum SGD with p as its
// gradient: in both cases p's update must not write p in place; nor with
// lateOther, where a step with an integer operand (one_hot, which checks
// its labels) runs after the update: a kernel that might fail once the
// store has changed.
func inplaceGraph(n int, newOut, lateRead, lateUpdate, lateOther bool) *ops.Graph {
	b := ops.NewBuilder()
	d := ops.DimConst(int64(n))
	x := b.Input("x", f32T(d))
	p := b.Param("p", f32T(d), nil)
	buf := b.State("buf", f32T(d), nil)
	diff := b.Must(ops.Sub, nil, p, x)
	loss := b.Must(ops.Sum, nil, b.Must(ops.Mul, nil, diff, diff))
	g := b.Must(ops.Mul, nil, b.Scalar(ops.F32, 2), diff)
	np := b.Must(ops.FusedSGD, ops.Attrs{"lr": 0.5, "momentum": 0.25, "nesterov": false}, p, g, buf)
	b.Update(p, np)
	b.Update(buf, buf)
	if lateRead {
		loss = b.Must(ops.Add, nil, loss, b.Must(ops.Sum, nil, b.Must(ops.Mul, nil, np, p)))
	}
	if lateUpdate {
		q, qbuf := b.Param("q", f32T(d), nil), b.State("qbuf", f32T(d), nil)
		b.Update(q, b.Must(ops.FusedSGD, ops.Attrs{"lr": 0.5, "momentum": 0.25, "nesterov": false}, q, p, qbuf))
		b.Update(qbuf, qbuf)
	}
	if lateOther {
		labels := b.Full(ops.Type{DType: ops.I32, Shape: ops.ShapeOf(2)}, 1)
		loss = b.Must(ops.Add, nil, loss, b.Must(ops.Sum, nil, b.Must(ops.OneHot, ops.Attrs{"n": 3, "dtype": ops.F32}, labels)))
	}
	b.Output("loss", loss)
	if newOut {
		b.Output("new", np)
	}
	return b.G
}

// TestFusedUpdateWritesParam: a fused update that is the param's last
// reader at the end of the run writes the param in place (the plan lists
// it), and three steps give the values computed by hand in float32 and
// the same bits as a session that checks numerics (which keeps the
// update's own buffer and copies it at the end). An update whose new value
// is an output, or whose param a later step reads, is not written in place
// and gives the same values.
func TestFusedUpdateWritesParam(t *testing.T) {
	const n = 300
	x := tensor.New(tensor.F32, n)
	for i := range x.F32 {
		x.F32[i] = float32(i%7) - 3
	}
	for _, c := range []struct {
		newOut, lateRead, lateUpdate, lateOther, inPlace bool
	}{{inPlace: true}, {newOut: true}, {lateRead: true}, {lateUpdate: true}, {lateOther: true}} {
		var got, outs [2][]float32
		for mode := range 2 {
			store := NewStore()
			p0, b0 := tensor.New(tensor.F32, n), tensor.New(tensor.F32, n)
			for i := range p0.F32 {
				p0.F32[i], b0.F32[i] = float32(i%5)*0.5-1, float32(i%3)*0.25
			}
			store.Set("p", p0.Clone())
			store.Set("buf", b0.Clone())
			store.Set("q", b0.Clone())
			store.Set("qbuf", p0.Clone())
			s := NewSession(inplaceGraph(n, c.newOut, c.lateRead, c.lateUpdate, c.lateOther), store)
			if mode == 1 {
				if err := s.SetNumerics(NumericsOptions{Check: true}); err != nil {
					t.Fatal(err)
				}
			}
			plan, err := s.Plan(x)
			if err != nil {
				t.Fatal(err)
			}
			pw := -1 // p's in-place update in plan.writes
			for k, w := range plan.writes {
				if plan.Graph.Nodes[w.target].Name() == "p" {
					pw = k
				}
			}
			if (pw >= 0) != c.inPlace {
				t.Fatalf("%+v: p written in place %v, want %v", c, pw >= 0, c.inPlace)
			}
			want, wbuf := p0.Clone().F32, b0.Clone().F32
			wq, wqbuf := b0.Clone().F32, p0.Clone().F32
			for step := range 3 {
				res, err := s.Run(0, x)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res {
					outs[mode] = append(outs[mode], r.F32...)
				}
				if pw >= 0 {
					if into := plan.Steps[plan.writes[pw].step].out == store.lookup("p"); into != (mode == 0) {
						t.Fatalf("%+v, mode %d: the update writes into p: %v", c, mode, into)
					}
				}
				for i := range want {
					wqbuf[i] = float32(0.25)*wqbuf[i] + want[i] // q's gradient is p before its update
					wq[i] -= float32(0.5) * wqbuf[i]
					g := float32(2) * (want[i] - x.F32[i])
					wbuf[i] = float32(0.25)*wbuf[i] + g
					want[i] -= float32(0.5) * wbuf[i]
				}
				p := store.lookup("p").F32
				for i := range want {
					if p[i] != want[i] || store.lookup("buf").F32[i] != wbuf[i] {
						t.Fatalf("%+v, mode %d, step %d: p[%d] = %v, buf %v, want %v, %v", c, mode, step, i,
							p[i], store.lookup("buf").F32[i], want[i], wbuf[i])
					}
					if c.lateUpdate && store.lookup("q").F32[i] != wq[i] {
						t.Fatalf("%+v, mode %d, step %d: q[%d] = %v, want %v", c, mode, step, i, store.lookup("q").F32[i], wq[i])
					}
				}
			}
			got[mode] = append([]float32(nil), store.lookup("p").F32...)
		}
		for i := range got[0] {
			if math.Float32bits(got[0][i]) != math.Float32bits(got[1][i]) {
				t.Fatalf("%+v: p[%d] %v in place, %v copied", c, i, got[0][i], got[1][i])
			}
		}
		for i := range outs[0] {
			if math.Float32bits(outs[0][i]) != math.Float32bits(outs[1][i]) {
				t.Fatalf("%+v: output value %d: %v without numerics, %v with", c, i, outs[0][i], outs[1][i])
			}
		}
	}
}
