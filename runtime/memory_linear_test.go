package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/tensor"
)

// The reference: the buffer assignment as it was before the free buffers
// were kept ordered by capacity, with its linear scans of the free list.
// TestPlanSameAsReference asserts that the ordered free lists give exactly
// its plans.

// refStats counts the cases of the reference that decide between buffers
// by their order in the free list, so that the comparison is known to
// cover them.
var refStats struct {
	bestTies    int // several free buffers of the smallest sufficient capacity
	largestTies int // none sufficient, several of the largest capacity
	grown       int // a free buffer was grown
	inPlaceNo   int // an in-place candidate refused for a smaller free buffer
	leftLarge   int // a free buffer too large, left to a larger value
}

// refAssignBuffers is assignBuffers with the reference free lists.
func (p *Plan) refAssignBuffers(sched []*ops.Node) error {
	nn := len(p.values)
	at, last := p.lifetimes(sched)
	vg := p.viewGroups(sched, at, last)
	p.bufOf = make([]int, nn)
	p.offset = make([]int, nn)
	p.alias = make([]bool, nn)
	p.inPlace = make([]int, nn)
	for i := range p.inPlace {
		p.inPlace[i] = -1
	}
	freed := make([]bool, nn)
	free := map[tensor.DType][]int{}
	release := func(id int, dt tensor.DType) {
		if r := vg.root[id]; !freed[r] {
			freed[r] = true
			free[dt] = append(free[dt], p.bufOf[r])
		}
	}
	for i, n := range sched {
		dt := n.Type.DType
		elems, bytes, err := ShapeBytes(dt, p.shapes[n.ID])
		if err != nil {
			return err
		}
		size := int(elems)
		p.naive = addBytes(p.naive, bytes)
		if r := vg.root[n.ID]; r != n.ID {
			p.bufOf[n.ID] = p.bufOf[r]
			p.offset[n.ID] = p.offset[r] + vg.off[n.ID]
			p.alias[n.ID] = true
		} else if k := p.inPlaceOperand(n, i, at, vg.sole, size); k >= 0 && p.refInPlaceFits(free, dt, size, p.bufOf[n.In[k].ID]) {
			x := n.In[k]
			p.bufOf[n.ID] = p.bufOf[x.ID]
			p.offset[n.ID] = p.offset[x.ID]
			freed[vg.root[x.ID]] = true
			p.inPlace[n.ID] = k
		} else {
			if k >= 0 {
				refStats.inPlaceNo++
			}
			// The largest value of the type made while this one lives,
			// by a scan of the steps.
			later := 0
			for j := i + 1; j <= min(vg.last[n.ID], len(sched)-1); j++ {
				if m := sched[j]; m.Type.DType == dt {
					later = max(later, tensor.NumElems(p.shapes[m.ID]))
				}
			}
			p.bufOf[n.ID] = p.refTakeBuffer(free, dt, size, later)
		}
		for _, x := range n.In {
			if at[x.ID] >= 0 && vg.last[vg.root[x.ID]] == i {
				release(x.ID, x.Type.DType)
			}
		}
		if vg.last[vg.root[n.ID]] == i {
			release(n.ID, dt)
		}
	}
	total := map[tensor.DType]int64{}
	for i := range p.Buffers {
		b := &p.Buffers[i]
		b.Offset = int(total[b.DType])
		total[b.DType] += int64(b.Cap)
		p.peak = addBytes(p.peak, int64(b.Cap)*int64(b.DType.Size()))
	}
	return nil
}

// refTakeBuffer is the reference takeBuffer: the first free buffer, in the
// order they were freed, of the smallest capacity holding size elements,
// else the first of the largest capacity, grown, else a new one.
func (p *Plan) refTakeBuffer(free map[tensor.DType][]int, dt tensor.DType, size, later int) int {
	list := free[dt]
	best, largest := -1, -1
	for j, b := range list {
		c := p.Buffers[b].Cap
		if c >= size && (best < 0 || c < p.Buffers[list[best]].Cap) {
			best = j
		}
		if largest < 0 || c > p.Buffers[list[largest]].Cap {
			largest = j
		}
	}
	ties := func(j int) int {
		n := 0
		for _, b := range list {
			if p.Buffers[b].Cap == p.Buffers[list[j]].Cap {
				n++
			}
		}
		return n
	}
	if best >= 0 && ties(best) > 1 {
		refStats.bestTies++
	}
	if best < 0 && largest >= 0 && ties(largest) > 1 {
		refStats.largestTies++
	}
	pick := best
	if pick < 0 {
		pick = largest
	}
	if best >= 0 && tooBig(p.Buffers[list[best]].Cap, size, later) {
		refStats.leftLarge++
		pick = -1
	}
	if pick < 0 {
		p.Buffers = append(p.Buffers, Buffer{DType: dt, Cap: size})
		return len(p.Buffers) - 1
	}
	b := list[pick]
	free[dt] = append(list[:pick], list[pick+1:]...)
	if p.Buffers[b].Cap < size {
		refStats.grown++
		p.Buffers[b].Cap = size
	}
	return b
}

// refInPlaceFits is the reference inPlaceFits.
func (p *Plan) refInPlaceFits(free map[tensor.DType][]int, dt tensor.DType, size, b int) bool {
	best := -1
	for _, f := range free[dt] {
		if c := p.Buffers[f].Cap; c >= size && (best < 0 || c < best) {
			best = c
		}
	}
	return best < 0 || p.Buffers[b].Cap <= best
}

// sameAsReference plans g for env and fails t unless the reference gives
// the same buffers (element type, offset, capacity), the same buffer,
// alias and in-place operand for every step, and the same peak and naive
// bytes.
func sameAsReference(t *testing.T, name string, g *ops.Graph, env map[string]int64) {
	t.Helper()
	p, err := NewPlan(g, env)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	q := &Plan{Graph: g, shapes: p.shapes, values: make([]*tensor.Tensor, len(g.Nodes)), updates: p.updates}
	if err := q.refAssignBuffers(p.sched); err != nil {
		t.Fatalf("%s: reference: %v", name, err)
	}
	if len(p.Buffers) != len(q.Buffers) {
		t.Fatalf("%s: %d buffers, the reference has %d", name, len(p.Buffers), len(q.Buffers))
	}
	for i := range p.Buffers {
		if p.Buffers[i] != q.Buffers[i] {
			t.Fatalf("%s: buffer %d is %+v, in the reference %+v", name, i, p.Buffers[i], q.Buffers[i])
		}
	}
	for i, st := range p.Steps {
		id := st.Node.ID
		if st.Buffer != q.bufOf[id] || st.Alias != q.alias[id] || st.InPlace != q.inPlace[id] {
			t.Fatalf("%s: step %d (%s): buffer %d alias %v in place %d; the reference: buffer %d alias %v in place %d",
				name, i, st.Node.Op.Name, st.Buffer, st.Alias, st.InPlace, q.bufOf[id], q.alias[id], q.inPlace[id])
		}
	}
	if p.peak != q.peak || p.naive != q.naive {
		t.Fatalf("%s: peak %d naive %d bytes; the reference: %d and %d", name, p.peak, p.naive, q.peak, q.naive)
	}
}

// tiesGraph builds a random graph of n nodes over 1-D and 2-D values of a
// few lengths (so that free buffers often have equal capacities) in f32,
// f64 and i32: element-wise ops (in place when an operand dies), casts,
// concats and slices (new lengths), reductions, and reshapes (aliases),
// with some values kept as outputs and a param updated.
func tiesGraph(r *rand.Rand, n int) *ops.Graph {
	b := ops.NewBuilder()
	lens := []int{1, 2, 3, 4, 6, 8, 12, 16}
	p := b.Param("p", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(4)}, nil)
	pool := []*ops.Node{p}
	for _, l := range lens[1:5] {
		pool = append(pool, b.Input(fmt.Sprint("x", l), ops.Type{DType: ops.F32, Shape: ops.ShapeOf(l)}))
	}
	pick := func() *ops.Node {
		if r.IntN(3) > 0 { // mostly recent values: short lives, much reuse
			return pool[len(pool)-1-r.IntN(min(6, len(pool)))]
		}
		return pool[r.IntN(len(pool))]
	}
	same := func(a *ops.Node) *ops.Node { // a recent value of a's type, else a
		for range 8 {
			if c := pick(); c.Type.DType == a.Type.DType && c.Type.Shape.Equal(a.Type.Shape) {
				return c
			}
		}
		return a
	}
	apply := func(op string, a ops.Attrs, in ...*ops.Node) {
		defer func() { _ = recover() }()
		if y, err := b.Apply(ops.MustLookup(op), a, in...); err == nil {
			pool = append(pool, y)
		}
	}
	dts := []ops.DType{ops.F32, ops.F64, ops.I32}
	for len(pool) < n {
		a := pick()
		rank := len(a.Type.Shape)
		switch r.IntN(12) {
		case 0, 1:
			apply([]string{"neg", "abs", "square"}[r.IntN(3)], nil, a)
		case 2, 3, 4:
			apply([]string{"add", "mul", "sub"}[r.IntN(3)], nil, a, same(a))
		case 5:
			apply("cast", ops.Attrs{"dtype": dts[r.IntN(len(dts))]}, a)
		case 6:
			if c := same(a); rank == 1 && c != a || r.IntN(2) == 0 {
				apply("concat", ops.Attrs{"axis": 0}, a, c)
			}
		case 7:
			if l, ok := a.Type.Shape.NumElems().IsConst(); ok && rank == 1 && l > 1 {
				s := r.IntN(int(l) - 1)
				apply("slice", ops.Attrs{"starts": []int{s}, "stops": []int{s + 1 + r.IntN(int(l)-s)}}, a)
			}
		case 8:
			apply("sum", ops.Attrs{"axes": []int{rank - 1}}, a)
		case 9, 10:
			if rank == 1 {
				apply("reshape", ops.Attrs{"shape": ops.Shape{ops.DimConst(1), a.Type.Shape[0]}}, a)
			} else {
				apply("reshape", ops.Attrs{"shape": ops.Shape{a.Type.Shape.NumElems()}}, a)
			}
		case 11:
			apply("const", ops.Attrs{"value": float64(r.IntN(3)), "dtype": dts[r.IntN(len(dts))]})
		}
	}
	b.Output("last", pool[len(pool)-1])
	for range 1 + r.IntN(4) {
		y := pool[r.IntN(len(pool))]
		b.Output(fmt.Sprint("n", y.ID), y)
	}
	for _, y := range pool[len(pool)/2:] {
		if y.Type.DType == ops.F32 && y.Type.Shape.Equal(p.Type.Shape) && !y.Op.Leaf {
			b.Update(p, y)
			break
		}
	}
	return b.G
}

// modelGraphs lowers every entry of the repository's models, with the
// gradient of each scalar result with respect to the params, optimized at
// levels 0 and 1, with the batch size of each shape variable.
func modelGraphs(t *testing.T) map[string]*ops.Graph {
	files, _ := filepath.Glob("../models/*.nn")
	more, _ := filepath.Glob("../bench/*.nn")
	files = append(files, more...)
	if len(files) < 3 {
		t.Fatalf("models: found only %v", files)
	}
	out := map[string]*ops.Graph{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The path, not the base name: a model may import its neighbours.
		m, err := lang.Load(f, src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, entry := range m.Entries() {
			for _, training := range []bool{false, true} {
				b := ops.NewBuilder()
				low, err := m.Lower(entry, lang.LowerOptions{Training: training, Builder: b})
				if err != nil {
					continue // an entry that needs arguments the defaults do not give
				}
				for i, o := range low.Outputs {
					b.Output(fmt.Sprint("out", i), o)
				}
				if y := low.Outputs[0]; training && len(y.Type.Shape) == 0 && y.Type.DType == ops.F32 && len(low.Params) > 0 {
					gs, err := autodiff.Grad(b, y, low.Params)
					if err != nil {
						t.Fatalf("%s %s: %v", f, entry, err)
					}
					for i, g := range gs {
						b.Update(low.Params[i], b.Must(ops.Sub, nil, low.Params[i], b.Must(ops.Mul, nil, b.Scalar(ops.F32, 0.01), g)))
					}
				}
				for _, level := range []int{0, 1} {
					g, err := opt.Optimize(b.G, opt.Options{Level: level})
					if err != nil {
						t.Fatalf("%s %s O%d: %v", f, entry, level, err)
					}
					out[fmt.Sprintf("%s %s training=%v O%d", filepath.Base(f), entry, training, level)] = g
				}
			}
		}
	}
	return out
}

// TestPlanSameAsReference: the buffer assignment with free buffers kept in
// order of capacity gives exactly the plans of the reference (linear scans
// of the free lists in the order buffers were freed) on random graphs with
// many equal capacities, the random graphs of the session tests and the
// repository's models with their gradients, at optimization levels 0 and 1.
func TestPlanSameAsReference(t *testing.T) {
	refStats = struct{ bestTies, largestTies, grown, inPlaceNo, leftLarge int }{}
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 7))
		sameAsReference(t, fmt.Sprint("ties graph ", seed), tiesGraph(r, 20+int(seed)), nil)
	}
	for seed := range uint64(40) {
		g := randomGraph(rand.New(rand.NewPCG(seed, 99))).G
		for _, batch := range []int64{1, 3, 4} {
			sameAsReference(t, fmt.Sprintf("session graph %d B=%d", seed, batch), g, map[string]int64{"B": batch})
		}
	}
	models := modelGraphs(t)
	if len(models) < 8 {
		t.Fatalf("only %d model graphs", len(models))
	}
	for name, g := range models {
		env := map[string]int64{}
		for _, n := range g.Nodes {
			for _, d := range n.Type.Shape {
				for _, v := range d.Vars() {
					env[v] = 5
				}
			}
		}
		sameAsReference(t, name, g, env)
	}
	t.Logf("%d model graphs; choices of the reference covered: %+v", len(models), refStats)
	if s := refStats; s.bestTies == 0 || s.largestTies == 0 || s.grown == 0 || s.inPlaceNo == 0 || s.leftLarge == 0 {
		t.Errorf("the graphs do not cover every choice of the reference: %+v", s)
	}
}

// fanGraph is n values of f32[8] all live at once (x times n constants),
// then added up in a chain.
func fanGraph(n int) *ops.Graph {
	b := ops.NewBuilder()
	x := b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(8)})
	vs := make([]*ops.Node, n)
	for i := range vs {
		vs[i] = b.Must(ops.Mul, nil, x, b.Scalar(ops.F32, float64(i+1)))
	}
	acc := vs[0]
	for _, v := range vs[1:] {
		acc = b.Must(ops.Add, nil, acc, v)
	}
	b.Output("y", acc)
	return b.G
}

// randomDAG is about n nodes whose operands are any earlier values, of
// random lengths: many values live at once, freed in random order, and many
// free buffers of many capacities. The values nobody reads are summed into
// the output, so that every node is planned.
func randomDAG(n int) *ops.Graph {
	r := rand.New(rand.NewPCG(uint64(n), 5))
	b := ops.NewBuilder()
	pool := []*ops.Node{b.Input("x", ops.Type{DType: ops.F32, Shape: ops.ShapeOf(1)})}
	read := map[*ops.Node]bool{}
	use := func() *ops.Node {
		a := pool[r.IntN(len(pool))]
		read[a] = true
		return a
	}
	for len(b.G.Nodes) < n*3/4 {
		var y *ops.Node
		switch r.IntN(4) {
		case 0:
			y = b.Must(ops.BroadcastTo, ops.Attrs{"shape": ops.ShapeOf(1 + r.IntN(1000))}, b.Must(ops.Sum, nil, use()))
		case 1:
			y = b.Must(ops.Add, nil, use(), b.Must(ops.Sum, nil, use()))
		default:
			y = b.Must(ops.Neg, nil, use())
		}
		pool = append(pool, y)
	}
	acc := b.Must(ops.Sum, nil, pool[len(pool)-1])
	for _, y := range pool[:len(pool)-1] {
		if !read[y] {
			acc = b.Must(ops.Add, nil, acc, b.Must(ops.Sum, nil, y))
		}
	}
	b.Output("y", acc)
	return b.G
}

// planCPU is the least CPU time of planning g, of five times, each after a
// collection and with the collector off while it plans, so that neither
// other work nor the collection of the garbage (whose cost goes by steps
// with the size of the heap) is counted.
func planCPU(t *testing.T, g *ops.Graph) time.Duration {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	least := time.Duration(math.MaxInt64)
	for range 5 {
		goruntime.GC()
		start := cpuTime()
		_, err := NewPlan(g, nil)
		least = min(least, cpuTime()-start)
		if err != nil {
			t.Fatal(err)
		}
	}
	return least
}

// TestPlanLinear: planning the memory of a graph costs time linear in its
// size. Ten times the nodes of a fan (every value live at once, then added
// up) and of a random DAG take at most 30 times the CPU time (the free
// lists were scanned at every step: 100 times and more). CPU time, as a
// ratio, so a busy machine does not fail it.
func TestPlanLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing ratio; skipped with -short")
	}
	for _, c := range []struct {
		name  string
		graph func(int) *ops.Graph
	}{{"fan", func(n int) *ops.Graph { return fanGraph(n / 3) }}, {"random DAG", randomDAG}} {
		small, large := c.graph(5000), c.graph(50000)
		planCPU(t, small) // warm up
		ts, tl := planCPU(t, small), planCPU(t, large)
		ratio := float64(tl) / float64(max(ts, time.Microsecond))
		t.Logf("%s: %d nodes %v, %d nodes %v (%.1fx)", c.name, len(small.Nodes), ts, len(large.Nodes), tl, ratio)
		if nodes := float64(len(large.Nodes)) / float64(len(small.Nodes)); ratio > 3*nodes {
			t.Errorf("%s: %.1fx the nodes took %.1fx the CPU time (%v vs %v); want linear (at most %.0fx)",
				c.name, nodes, ratio, tl, ts, 3*nodes)
		}
	}
}

// BenchmarkPlanWide plans a fan and a random DAG (TestPlanLinear) of 5,000
// and 50,000 nodes; ns/node stays about the same when planning is linear.
func BenchmarkPlanWide(b *testing.B) {
	for _, c := range []struct {
		name  string
		graph func(int) *ops.Graph
	}{{"fan", func(n int) *ops.Graph { return fanGraph(n / 3) }}, {"dag", randomDAG}} {
		for _, n := range []int{5000, 50000} {
			g := c.graph(n)
			b.Run(fmt.Sprintf("%s/%d", c.name, n), func(b *testing.B) {
				for b.Loop() {
					if _, err := NewPlan(g, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(g.Nodes)), "ns/node")
			})
		}
	}
}
