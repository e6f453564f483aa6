package train

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// pruneReference is testdata/prune_reference.json
// (testdata/make_prune_reference.py).
type pruneReference struct {
	Shapes                  map[string][]int
	Weights, Prev, Distinct map[string][]float64
	Layer, Global           map[string]map[string][]float64
	TorchLayer              map[string]map[string][]float64 `json:"torch_layer"`
	TorchGlobal             map[string]map[string][]float64 `json:"torch_global"`
	Schedule                map[string]float64
}

// TestMagnitudeMasks compares the masks with the reference's, exactly:
// NumPy's for tied weights with a previous mask (ties to the pruned, then
// to the lower index; half-to-even counts), each tensor alone and all
// together; torch.nn.utils.prune's l1_unstructured and
// global_unstructured for weights without ties.
func TestMagnitudeMasks(t *testing.T) {
	b, err := os.ReadFile("testdata/prune_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref pruneReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	names := []string{"w1", "w2", "w3"}
	tensors := func(vals map[string][]float64, prev bool) (ws, ms []*tensor.Tensor) {
		for _, n := range names {
			ws = append(ws, tensor.FromFloat64s(tensor.F32, ref.Shapes[n], vals[n]))
			m := tensor.New(tensor.F32, ref.Shapes[n]...)
			for i := range m.F32 {
				m.F32[i] = 1
				if prev {
					m.F32[i] = float32(ref.Prev[n][i])
				}
			}
			ms = append(ms, m)
		}
		return ws, ms
	}
	check := func(what string, ms []*tensor.Tensor, want map[string][]float64) {
		t.Helper()
		if len(want) != len(names) {
			t.Fatalf("%s: reference has %d masks", what, len(want))
		}
		for i, n := range names {
			for j, v := range want[n] {
				if ms[i].At(j) != v {
					t.Errorf("%s: %s[%d] mask %v, reference %v", what, n, j, ms[i].At(j), v)
				}
			}
		}
	}
	for s := range ref.Layer {
		sp, _ := strconv.ParseFloat(s, 64)
		ws, ms := tensors(ref.Weights, true)
		for i := range ws {
			MagnitudeMasks(ws[i:i+1], ms[i:i+1], sp)
		}
		check("layer "+s, ms, ref.Layer[s])
		ws, ms = tensors(ref.Weights, true)
		MagnitudeMasks(ws, ms, sp)
		check("global "+s, ms, ref.Global[s])
		ws, ms = tensors(ref.Distinct, false)
		for i := range ws {
			MagnitudeMasks(ws[i:i+1], ms[i:i+1], sp)
		}
		check("torch layer "+s, ms, ref.TorchLayer[s])
		ws, ms = tensors(ref.Distinct, false)
		MagnitudeMasks(ws, ms, sp)
		check("torch global "+s, ms, ref.TorchGlobal[s])
	}
	pr := &Prune{Sparsity: 0.9, Start: 3, End: 13, Every: 4}
	for ts, want := range ref.Schedule {
		k, _ := strconv.Atoi(ts)
		if got := pr.Target(int64(k)); math.Abs(got-want) > 1e-15 {
			t.Errorf("Target(%d) = %v, reference %v", k, got, want)
		}
	}
	var due []int64
	for k := int64(0); k < 20; k++ {
		if pr.Due(k) {
			due = append(due, k)
		}
	}
	if !slices.Equal(due, []int64{3, 7, 11, 13}) {
		t.Errorf("pruned after steps %v, want [3 7 11 13]", due)
	}
}

// TestPruneInStep trains the MLP with SGD and momentum (which would move a
// zeroed weight back) and pruning of the weight matrices to 70% in
// steps 2..8 every 2: after every step each pruned weight is exactly zero,
// the zeros are exactly the masks' and their count is round(s(t)·n); the
// pruned set only grows; the biases are not pruned; the moving average
// carries the zeros too.
func TestPruneInStep(t *testing.T) {
	ref := readStepReference(t)
	pr := &Prune{Sparsity: 0.7, Start: 2, End: 8, Every: 2}
	so := &StepOptions{Optimizer: &SGD{LR: 0.2, Momentum: 0.9}, Prune: pr, EMA: 0.5}
	g, store := mlpStep(t, ref, ops.F32, so, 1, 8)
	if got := pr.Pruned(); !slices.Equal(got, []string{"W1", "W2"}) {
		t.Fatalf("pruned %v, want [W1 W2]", got)
	}
	sess := runtime.NewSession(g, store)
	prev := map[string][]float64{}
	target := 0.0
	for k := 1; k <= 12; k++ {
		x, y := batchOf(ref, ops.F32, (k-1)%3)
		if _, err := sess.Run(uint64(k), x, y); err != nil {
			t.Fatal(err)
		}
		did, err := pr.Apply(store, int64(k))
		if err != nil {
			t.Fatal(err)
		}
		if did != pr.Due(int64(k)) {
			t.Fatalf("step %d: Apply %v, Due %v", k, did, pr.Due(int64(k)))
		}
		if did {
			target = pr.Target(int64(k))
		}
		for _, name := range pr.Pruned() {
			w, m, a := store.Get(name), store.Get(MaskState(name)), store.Get(EMAState(name))
			zeros := 0
			for i := range w.Len() {
				if (w.At(i) == 0) != (m.At(i) == 0) {
					t.Fatalf("step %d: %s[%d] = %v with mask %v", k, name, i, w.At(i), m.At(i))
				}
				if m.At(i) == 0 {
					zeros++
					if a.At(i) != 0 {
						t.Errorf("step %d: the average of pruned %s[%d] is %v", k, name, i, a.At(i))
					}
				}
				if p := prev[name]; p != nil && p[i] == 0 && m.At(i) != 0 {
					t.Errorf("step %d: %s[%d] was pruned and is back", k, name, i)
				}
			}
			want := int(math.RoundToEven(target * float64(w.Len())))
			if zeros != want {
				t.Errorf("step %d: %s has %d zeros, want %d (sparsity %v)", k, name, zeros, want, target)
			}
			cur := make([]float64, w.Len())
			for i := range cur {
				cur[i] = m.At(i)
			}
			prev[name] = cur
		}
	}
	if target != 0.7 {
		t.Errorf("final sparsity %v, want 0.7", target)
	}
	if got := Sparsity(store.Get("W1")); math.Abs(got-0.7) > 0.5/20 {
		t.Errorf("Sparsity(W1) = %v", got)
	}
	for _, b := range []string{"b1", "b2"} {
		if store.Get(MaskState(b)) != nil || Sparsity(store.Get(b)) != 0 {
			t.Errorf("%s is pruned", b)
		}
	}
	// Every update fuses; the pruned ones take their mask as an operand.
	masked := 0
	for _, n := range g.Nodes {
		if n.Op.Name == "fused_sgd" && n.Attrs.Bool("masked", false) {
			masked++
		}
	}
	if n := countOps(g, "fused_sgd"); n != 4 || masked != len(pr.Pruned()) || masked != 2 {
		t.Errorf("%d fused_sgd nodes, %d of them masked; want 4, the 2 of the pruned weights masked", n, masked)
	}
}

// TestPruneSettings lists settings refused.
func TestPruneSettings(t *testing.T) {
	for _, pr := range []Prune{
		{Sparsity: 0, End: 10, Every: 1},
		{Sparsity: 1, End: 10, Every: 1},
		{Sparsity: math.NaN(), End: 10, Every: 1},
		{Sparsity: 0.5, Start: 5, End: 4, Every: 1},
		{Sparsity: 0.5, Start: -1, End: 4, Every: 1},
		{Sparsity: 0.5, End: 4, Every: 0},
		{Sparsity: 0.5, End: 4, Every: 1, Scope: "model"},
		{Sparsity: 0.5, End: 4, Every: 1, Params: []string{"[W"}},
	} {
		if err := pr.Check(); err == nil {
			t.Errorf("%+v: no error", pr)
		}
	}
	b := ops.NewBuilder()
	so := &StepOptions{Optimizer: &SGD{LR: 0.1}, Prune: &Prune{Sparsity: 0.5, End: 4, Every: 1, Params: []string{"conv*"}}}
	if err := buildWith(b, mlpLoss(b, ops.F32, 8), so); err == nil {
		t.Error("a pattern that matches no parameter: no error")
	}
}
