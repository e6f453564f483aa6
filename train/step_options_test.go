package train

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/opt"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// stepReference is testdata/step_options_reference.json
// (testdata/make_step_options_reference.py).
type stepReference struct {
	X        []float64
	Y        []int32
	P0       map[string][]float64
	Balanced []float64
	Runs     map[string][]struct {
		Loss   float64
		Norm   *float64
		Params map[string][]float64
		EMA    map[string][]float64
	}
}

func readStepReference(t *testing.T) *stepReference {
	t.Helper()
	b, err := os.ReadFile("testdata/step_options_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref stepReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return &ref
}

var mlpShapes = map[string][]int{"W1": {4, 5}, "b1": {5}, "W2": {5, 3}, "b2": {3}}

// mlpLoss builds the reference's MLP, the mean cross entropy of
// relu(x @ W1 + b1) @ W2 + b2 over a batch of rows (B rows when 0), in b.
func mlpLoss(b *ops.Builder, dt ops.DType, rows int) *ops.Node {
	ty := func(d ...int) ops.Type { return ops.Type{DType: dt, Shape: ops.ShapeOf(d...)} }
	n := ops.DimConst(int64(rows))
	if rows == 0 {
		n = ops.DimVar("B")
	}
	x := b.Input("x", ops.Type{DType: dt, Shape: ops.Shape{n, ops.DimConst(4)}})
	y := b.Input("y", ops.Type{DType: ops.I32, Shape: ops.Shape{n}})
	p := map[string]*ops.Node{}
	for _, k := range []string{"W1", "b1", "W2", "b2"} {
		p[k] = b.Param(k, ty(mlpShapes[k]...), ops.Attrs{"init": "zeros"})
	}
	h := b.Must(ops.Relu, nil, b.Add(b.Must(ops.Matmul, nil, x, p["W1"]), p["b1"]))
	logits := b.Add(b.Must(ops.Matmul, nil, h, p["W2"]), p["b2"])
	return b.Must(ops.CrossEntropy, nil, logits, y)
}

// buildWith builds the step of loss with o.
func buildWith(b *ops.Builder, loss *ops.Node, o Optimizer) error {
	return BuildStep(b, loss, nil, o)
}

// mlpStep builds the step of the MLP with so, optimized at level, and a
// store holding the reference's initial parameters.
func mlpStep(t *testing.T, ref *stepReference, dt ops.DType, so *StepOptions, level, rows int) (*ops.Graph, *runtime.Store) {
	t.Helper()
	b := ops.NewBuilder()
	if err := buildWith(b, mlpLoss(b, dt, rows), so); err != nil {
		t.Fatal(err)
	}
	g, err := opt.Optimize(b.G, opt.Options{Level: level, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	store := runtime.NewStore()
	for k, v := range ref.P0 {
		store.Set(k, tensor.FromFloat64s(dt, mlpShapes[k], v))
	}
	if err := runtime.InitParams(store, g, 0); err != nil {
		t.Fatal(err)
	}
	if err := so.InitStates(store); err != nil {
		t.Fatal(err)
	}
	return g, store
}

// batchOf returns rows [8k, 8k+8) of the reference's data.
func batchOf(ref *stepReference, dt ops.DType, k int) (x, y *tensor.Tensor) {
	x = tensor.FromFloat64s(dt, []int{8, 4}, ref.X[32*k:32*k+32])
	y = tensor.New(tensor.I32, 8)
	copy(y.I32, ref.Y[8*k:8*k+8])
	return x, y
}

func countOps(g *ops.Graph, name string) int {
	n := 0
	for _, x := range g.Nodes {
		if x.Op.Name == name && g.Needed()[x.ID] {
			n++
		}
	}
	return n
}

// TestStepOptionsMatchPyTorch runs 6 steps of the MLP with each setting,
// unoptimized and optimized (fused updates), and compares the loss before
// every step and the parameters (and moving averages) after it with
// PyTorch's, within 1e-10 relative in f64 and 3e-5 in f32. Clipping by
// norm leaves the updates fused.
func TestStepOptionsMatchPyTorch(t *testing.T) {
	ref := readStepReference(t)
	y := tensor.New(tensor.I32, len(ref.Y))
	copy(y.I32, ref.Y)
	balanced, err := BalancedClassWeights(y, nil)
	if err != nil {
		t.Fatal(err)
	}
	for c, w := range ref.Balanced { // scikit-learn's compute_class_weight
		if math.Abs(balanced[c]-w) > 1e-15*w {
			t.Errorf("balanced weight of class %d = %v, scikit-learn %v", c, balanced[c], w)
		}
	}
	noDecay := []Group{{Pattern: "b*", Set: map[string]float64{"weight_decay": 0}}}
	configs := map[string]func() *StepOptions{
		"clip_norm_sgd":      func() *StepOptions { return &StepOptions{Optimizer: &SGD{LR: 0.5, Momentum: 0.9}, ClipNorm: 0.25} },
		"clip_norm_adam":     func() *StepOptions { return &StepOptions{Optimizer: NewAdam(0.05), ClipNorm: 0.1} },
		"clip_norm_adam_f32": func() *StepOptions { return &StepOptions{Optimizer: NewAdam(0.05), ClipNorm: 0.1} },
		"clip_value_sgd":     func() *StepOptions { return &StepOptions{Optimizer: &SGD{LR: 0.5}, ClipValue: 0.05} },
		"clip_both": func() *StepOptions {
			return &StepOptions{Optimizer: &SGD{LR: 0.5, Momentum: 0.9}, ClipValue: 0.1, ClipNorm: 0.15}
		},
		"groups_adamw": func() *StepOptions { return &StepOptions{Optimizer: NewAdamW(0.02, 0.5), Groups: noDecay} },
		"groups_sgd": func() *StepOptions {
			return &StepOptions{Optimizer: &SGD{LR: 0.1, Momentum: 0.9, WeightDecay: 0.05}, Groups: []Group{
				{Pattern: "W2", Set: map[string]float64{"lr": 0.3, "momentum": 0.5}},
				{Pattern: "b*", Set: map[string]float64{"weight_decay": 0}},
			}}
		},
		"ema_adam": func() *StepOptions { return &StepOptions{Optimizer: NewAdam(0.05), EMA: 0.9} },
		"ema_start_adam": func() *StepOptions {
			return &StepOptions{Optimizer: NewAdam(0.05), EMA: 0.9, EMAStart: 3}
		},
		"class_weights_balanced": func() *StepOptions {
			return &StepOptions{Optimizer: &SGD{LR: 0.5}, ClassWeights: balanced, BalancedClasses: true}
		},
		"class_weights_list": func() *StepOptions {
			return &StepOptions{Optimizer: NewAdam(0.05), ClassWeights: []float64{1, 2, 0.5}}
		},
		"all": func() *StepOptions {
			return &StepOptions{Optimizer: NewAdamW(0.02, 0.5), ClipNorm: 0.1, EMA: 0.8, ClassWeights: balanced, Groups: noDecay}
		},
	}
	if len(configs) != len(ref.Runs) {
		t.Fatalf("%d configurations, %d reference runs", len(configs), len(ref.Runs))
	}
	for name, make := range configs {
		dt, tol := ops.F64, 1e-10
		if strings.HasSuffix(name, "_f32") {
			dt, tol = ops.F32, 3e-5
		}
		for _, level := range []int{0, 1} {
			g, store := mlpStep(t, ref, dt, make(), level, 8)
			if level == 1 && strings.HasPrefix(name, "clip_norm_") {
				op := map[bool]string{true: "fused_adam", false: "fused_sgd"}[strings.Contains(name, "adam")]
				if n := countOps(g, op); n != 4 {
					t.Errorf("%s: %d %s nodes, want 4 (clipping must stay fused)", name, n, op)
				}
			}
			sess := runtime.NewSession(g, store)
			for k, st := range ref.Runs[name] {
				x, y := batchOf(ref, dt, k%3)
				out, err := sess.Run(uint64(k), x, y)
				if err != nil {
					t.Fatal(err)
				}
				near := func(what string, got, want float64) {
					t.Helper()
					if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
						t.Errorf("%s (level %d) step %d: %s = %.12g, PyTorch %.12g", name, level, k+1, what, got, want)
					}
				}
				near("loss", out[0].At(0), st.Loss)
				for p, vs := range st.Params {
					for i, v := range vs {
						near(p, store.Get(p).At(i), v)
					}
				}
				for p, vs := range st.EMA {
					for i, v := range vs {
						near(EMAState(p), store.Get(EMAState(p)).At(i), v)
					}
				}
			}
		}
	}
}

// TestClipNormNoOp: a norm below the threshold leaves the step as
// without clipping (the factor is exactly 1).
func TestClipNormNoOp(t *testing.T) {
	ref := readStepReference(t)
	var stores [2]*runtime.Store
	for i, clip := range []float64{0, 1e6} {
		g, store := mlpStep(t, ref, ops.F64, &StepOptions{Optimizer: &SGD{LR: 0.5, Momentum: 0.9}, ClipNorm: clip}, 1, 8)
		sess := runtime.NewSession(g, store)
		for k := range 4 {
			x, y := batchOf(ref, ops.F64, k%3)
			if _, err := sess.Run(0, x, y); err != nil {
				t.Fatal(err)
			}
		}
		stores[i] = store
	}
	for k := range mlpShapes {
		if !slices.Equal(stores[0].Get(k).F64, stores[1].Get(k).F64) {
			t.Errorf("%s differs with a clip_norm far above the norm", k)
		}
	}
}

// TestAveragedGraph: the evaluation graph with the moving averages gives
// what the plain graph gives on a store whose parameters are the averages.
func TestAveragedGraph(t *testing.T) {
	ref := readStepReference(t)
	g, store := mlpStep(t, ref, ops.F64, &StepOptions{Optimizer: NewAdam(0.05), EMA: 0.9}, 1, 8)
	sess := runtime.NewSession(g, store)
	for k := range 3 {
		x, y := batchOf(ref, ops.F64, k)
		if _, err := sess.Run(0, x, y); err != nil {
			t.Fatal(err)
		}
	}
	eb := ops.NewBuilder()
	eb.Output("loss", mlpLoss(eb, ops.F64, 8))
	avg, err := AveragedGraph(eb.G)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range avg.Nodes {
		if n.Op == ops.Param && avg.Needed()[n.ID] {
			t.Errorf("the averaged graph reads parameter %s", n.Name())
		}
	}
	names := []string{"W1", "b1", "W2", "b2"}
	swapped, err := AveragedParams(store, names)
	if err != nil {
		t.Fatal(err)
	}
	x, y := batchOf(ref, ops.F64, 1)
	got, err := runtime.NewSession(avg, store).Run(0, x, y)
	if err != nil {
		t.Fatal(err)
	}
	want, err := runtime.NewSession(eb.G, swapped).Run(0, x, y)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].At(0) != want[0].At(0) {
		t.Errorf("averaged loss %v, plain graph on the averages %v", got[0].At(0), want[0].At(0))
	}
	plain, err := runtime.NewSession(eb.G, store).Run(0, x, y)
	if err != nil {
		t.Fatal(err)
	}
	if plain[0].At(0) == got[0].At(0) {
		t.Error("the averaged loss equals the loss of the raw parameters")
	}
	for _, n := range names {
		if swapped.Get(n) != store.Get(EMAState(n)) {
			t.Errorf("AveragedParams: %s is not the average", n)
		}
	}
	if _, err := AveragedParams(runtime.NewStore(), names); err == nil {
		t.Error("AveragedParams without averages: no error")
	}
}

// TestGroups: the first matching group wins, Override copies (the base is
// unchanged) and checks; patterns and settings refused.
func TestGroups(t *testing.T) {
	base := &SGD{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}
	so := &StepOptions{Optimizer: base, Groups: []Group{
		{Pattern: "enc.*.b", Set: map[string]float64{"weight_decay": 0}},
		{Pattern: "enc.*", Set: map[string]float64{"lr": 0.01, "nesterov": 1}},
	}}
	if err := so.Check(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]SGD{
		"enc.l1.b": {LR: 0.1, Momentum: 0.9},
		"enc.l1.W": {LR: 0.01, Momentum: 0.9, WeightDecay: 0.01, Nesterov: true},
		"dec.W":    *base,
	} {
		o, err := so.optimizerFor(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := *o.(*SGD); got != want {
			t.Errorf("%s: %+v, want %+v", path, got, want)
		}
	}
	if *base != (SGD{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}) {
		t.Errorf("the base optimizer changed: %+v", *base)
	}
	for _, c := range []struct {
		o   Optimizer
		set map[string]float64
	}{
		{base, map[string]float64{"beta1": 0.5}},
		{base, map[string]float64{"lr": -1}},
		{base, map[string]float64{"nesterov": 0.5}},
		{NewAdam(0.1), map[string]float64{"momentum": 0.5}},
		{NewAdamW(0.1, 0.1), map[string]float64{"weight_decay": 20}},
		{NewLion(0.1), map[string]float64{"beta2": 1}},
	} {
		if _, err := Override(c.o, c.set); err == nil {
			t.Errorf("%T %v: no error", c.o, c.set)
		}
	}
	for _, c := range []struct {
		o   Optimizer
		set map[string]float64
	}{
		{NewRMSprop(0.1), map[string]float64{"alpha": 0.5, "centered": 1}},
		{NewAdagrad(0.1), map[string]float64{"lr_decay": 0.5}},
		{NewLion(0.1), map[string]float64{"weight_decay": 0}},
		{NewAdamW(0.1, 0.1), map[string]float64{"beta2": 0.99, "eps": 1e-6}},
	} {
		if _, err := Override(c.o, c.set); err != nil {
			t.Errorf("%T %v: %v", c.o, c.set, err)
		}
	}
	for _, g := range []Group{{Pattern: "[", Set: map[string]float64{"lr": 1}}, {Pattern: "", Set: map[string]float64{"lr": 1}}, {Pattern: "W", Set: nil}} {
		if err := (&StepOptions{Optimizer: base, Groups: []Group{g}}).Check(); err == nil {
			t.Errorf("group %+v: no error", g)
		}
	}
	b := ops.NewBuilder()
	err := buildWith(b, mlpLoss(b, ops.F32, 8), &StepOptions{Optimizer: base, Groups: []Group{{Pattern: "norm*", Set: map[string]float64{"lr": 1}}}})
	var se *SettingError
	if !errors.As(err, &se) || se.Key != "groups" {
		t.Errorf("a group that matches no parameter: %v", err)
	}
}

// TestStepOptionsCheck lists settings refused, each named by its key.
func TestStepOptionsCheck(t *testing.T) {
	for key, so := range map[string]*StepOptions{
		"optimizer":  {},
		"clip_norm":  {Optimizer: &SGD{LR: 1}, ClipNorm: math.NaN()},
		"clip_value": {Optimizer: &SGD{LR: 1}, ClipValue: -1},
		"accumulate": {Optimizer: &SGD{LR: 1}, Accumulate: -2},
		"ema":        {Optimizer: &SGD{LR: 1}, EMA: 1},
		"noise":      {Optimizer: &SGD{LR: 1}, Noise: Noise{Weight: -1}},
		"prune":      {Optimizer: &SGD{LR: 1}, Prune: &Prune{Sparsity: 2, Every: 1}},
	} {
		err := so.Check()
		var se *SettingError
		if !errors.As(err, &se) || se.Key != key {
			t.Errorf("%s: error %v", key, err)
		}
	}
	// The moving average's start: not negative, and not without a decay.
	for _, so := range []*StepOptions{{Optimizer: &SGD{LR: 1}, EMA: 0.9, EMAStart: -1}, {Optimizer: &SGD{LR: 1}, EMAStart: 5}} {
		var se *SettingError
		if err := so.Check(); !errors.As(err, &se) || se.Key != "ema" {
			t.Errorf("EMA %v, EMAStart %d: error %v", so.EMA, so.EMAStart, err)
		}
	}
}

// TestGroupScheduledRate: with the learning rate in a state, a group with
// its own lr follows the schedule scaled by its lr over the optimizer's
// (one state in the graph); for 0.5·|w|² + 0.5·|v|² and plain SGD, after
// the rates r1, r2: w = w0·(1-r1)·(1-r2), v = v0·(1-3·r1)·(1-3·r2).
func TestGroupScheduledRate(t *testing.T) {
	b := ops.NewBuilder()
	ty := ops.Type{DType: ops.F64, Shape: ops.ShapeOf(2)}
	w := b.Param("w", ty, ops.Attrs{"init": "ones"})
	v := b.Param("v", ty, ops.Attrs{"init": "ones"})
	half := b.Scalar(ops.F64, 0.5)
	loss := b.Add(b.Mul(half, b.Must(ops.Sum, nil, b.Mul(w, w))), b.Mul(half, b.Must(ops.Sum, nil, b.Mul(v, v))))
	so := &StepOptions{Optimizer: &SGD{LR: 0.1, LRState: LRState}, Groups: []Group{{Pattern: "v", Set: map[string]float64{"lr": 0.3}}}}
	if err := buildWith(b, loss, so); err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, s := range b.G.States() {
		states = append(states, s.Name())
	}
	if !slices.Equal(states, []string{LRState}) {
		t.Fatalf("states %v, want [%s]", states, LRState)
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, b.G, 0); err != nil {
		t.Fatal(err)
	}
	sess := runtime.NewSession(b.G, store)
	for _, r := range []float64{0.2, 0.05} {
		if err := SetLR(store, r); err != nil {
			t.Fatal(err)
		}
		if _, err := sess.Run(0); err != nil {
			t.Fatal(err)
		}
	}
	f := 0.3 / 0.1
	wantW, wantV := (1-0.2)*(1-0.05), (1-0.2*f)*(1-0.05*f)
	if got := store.Get("w").At(0); math.Abs(got-wantW) > 1e-15 {
		t.Errorf("w = %v, want %v", got, wantW)
	}
	if got := store.Get("v").At(1); math.Abs(got-wantV) > 1e-15 {
		t.Errorf("v = %v, want %v", got, wantV)
	}
}

// TestStepOptionsOff: with every setting off, StepOptions build the
// optimizer's step node for node, for each optimizer.
func TestStepOptionsOff(t *testing.T) {
	for _, o := range []Optimizer{&SGD{LR: 0.1, Momentum: 0.9}, NewAdamW(1e-3, 0.1), NewRMSprop(0.01), NewAdagrad(0.1), NewLion(1e-4)} {
		var printed []string
		for _, opt := range []Optimizer{o, &StepOptions{Optimizer: o}} {
			b := ops.NewBuilder()
			if err := BuildStep(b, mlpLoss(b, ops.F32, 0), nil, opt); err != nil {
				t.Fatal(err)
			}
			printed = append(printed, b.G.String())
		}
		if printed[0] != printed[1] {
			t.Errorf("%T: the step with StepOptions differs:\n%s\nwithout:\n%s", o, printed[1], printed[0])
		}
	}
}
