package lang

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nnclang/nnc/ops"
)

func loadFile(t *testing.T, path string) *Module {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(filepath.Base(path), src)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return m
}

func TestDigits(t *testing.T) {
	m := loadFile(t, "testdata/digits.nn")
	if got, want := m.Entries(), []string{"Classifier.forward", "Classifier.loss"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Entries = %v, want %v", got, want)
	}
	wantParams := map[string]string{
		"l1.W": "f32[64, 128]", "l1.b": "f32[128]", "head.W": "f32[128, 10]", "head.b": "f32[10]",
	}
	wantInit := map[string]string{"l1.W": "glorot_uniform", "l1.b": "zeros", "head.W": "glorot_uniform", "head.b": "zeros"}
	for _, training := range []bool{false, true} {
		for entry, result := range map[string]string{"Classifier.forward": "f32[B, 10]", "Classifier.loss": "f32"} {
			l, err := m.Lower(entry, LowerOptions{Training: training})
			if err != nil {
				t.Fatalf("Lower(%s, training=%v): %v", entry, training, err)
			}
			if err := ops.Verify(l.B.G); err != nil {
				t.Errorf("%s: the graph does not verify: %v", entry, err)
			}
			if len(l.Outputs) != 1 || l.Outputs[0].Type.String() != result {
				t.Errorf("%s: outputs %v, want one %s", entry, l.Outputs, result)
			}
			if l.Inputs[0].Name() != "x" || l.Inputs[0].Type.String() != "f32[B, 64]" {
				t.Errorf("%s: input 0 is %s %v", entry, l.Inputs[0].Name(), l.Inputs[0].Type)
			}
			var paths []string
			for _, p := range l.Params {
				paths = append(paths, p.Name())
				if p.Type.String() != wantParams[p.Name()] {
					t.Errorf("param %s is %v, want %s", p.Name(), p.Type, wantParams[p.Name()])
				}
				if p.Attrs.Str("init", "") != wantInit[p.Name()] {
					t.Errorf("param %s init %v", p.Name(), p.Attrs)
				}
			}
			if got := strings.Join(paths, " "); got != "head.W head.b l1.W l1.b" {
				t.Errorf("params %s", got)
			}
			// Dropout appears in training mode only.
			hasDropout := false
			for _, n := range l.B.G.Nodes {
				hasDropout = hasDropout || n.Op == ops.DropoutMask
			}
			if hasDropout != training {
				t.Errorf("%s training=%v: dropout in graph = %v", entry, training, hasDropout)
			}
		}
	}
	in, res, err := m.Signature("Classifier.loss")
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2 || in[0].Name != "x" || in[1].Name != "y" || in[1].Type.String() != "i32[B]" ||
		len(res) != 1 || res[0].String() != "f32" {
		t.Errorf("Signature = %v, %v", in, res)
	}
	l, err := m.Lower("Classifier.forward", LowerOptions{ModelArgs: map[string]any{"hidden": 32.0, "p": 0.25}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Params[2].Name() != "l1.W" || l.Params[2].Type.String() != "f32[64, 32]" {
		t.Errorf("hidden=32: %v %v", l.Params[2].Name(), l.Params[2].Type)
	}
	if got := m.TrainModels(); !reflect.DeepEqual(got, []string{"Classifier"}) {
		t.Errorf("TrainModels = %v", got)
	}
	spec, ok := m.TrainBlock("Classifier")
	if !ok {
		t.Fatal("no train block")
	}
	want := map[string]Value{
		"optimizer": Call{Name: "adam", Kwargs: map[string]Value{"lr": 1e-3}},
		"batch":     int64(64),
		"epochs":    int64(20),
	}
	if !reflect.DeepEqual(spec.Fields, want) || spec.Pos.Line != 18 {
		t.Errorf("TrainBlock = %+v", spec)
	}
	if _, ok := m.TrainBlock("Nope"); ok {
		t.Error("train block for an unknown model")
	}
}

func TestDigitsLossNumeric(t *testing.T) {
	// With all weights zero the logits are zero, so the loss is log(10) and
	// l2(params) is 0; with W of l1 = 1 the l2 term adds 1e-4 * 64*128.
	m := loadFile(t, "testdata/digits.nn")
	l, err := m.Lower("Classifier.loss", LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]in{
		"x": {ops.F32, []int{2, 64}, make([]float64, 128)},
		"y": {ops.I32, []int{2}, []float64{3, 7}},
	}
	vals := map[string][]float64{}
	for _, p := range l.Params {
		s, _ := p.Type.Shape.Concrete()
		n := 1
		for _, d := range s {
			n *= d
		}
		v := make([]float64, n)
		if p.Name() == "l1.W" {
			for k := range v {
				v[k] = 1
			}
		}
		inputs[p.Name()] = in{ops.F32, s, v}
		vals[p.Name()] = v
	}
	out := runLowered(t, l, inputs)
	near(t, "loss", out[0], []float64{2.302585092994046 + 1e-4*64*128}, 1e-5)
}

func TestStdlibChecks(t *testing.T) {
	src, err := stdFS.ReadFile("std/nn.nn")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load("std/nn.nn", src); err != nil {
		t.Fatal(err)
	}
	m, err := Load("mlp.nn", []byte(`import "std/nn"

model Net(d: int = 8) {
    mlp = nn.MLP(d, 16, 3)

    fn forward(x: f32[B, T, d]) -> f32[B, T, 3] {
        return mlp(x)
    }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Lower("Net.forward", LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range l.Params {
		paths = append(paths, p.Name()+" "+p.Type.String())
	}
	if got := strings.Join(paths, ", "); got != "mlp.l1.W f32[8, 16], mlp.l1.b f32[16], mlp.l2.W f32[16, 3], mlp.l2.b f32[3]" {
		t.Errorf("params: %s", got)
	}
	if got := l.Outputs[0].Type.String(); got != "f32[B, T, 3]" {
		t.Errorf("result %s", got)
	}
}

func TestSymbolicModelArgument(t *testing.T) {
	src := `model E(users: int, k: int = 4) {
    param U: f32[users, k] = normal(std = 0.1)

    fn score(u: f32[B, k]) -> f32[B, users] {
        return u @ U.T
    }
}
`
	m, err := Load("e.nn", []byte(src))
	if err != nil {
		t.Fatalf("checking with a symbolic argument: %v", err)
	}
	_, err = m.Lower("E.score", LowerOptions{})
	if err == nil || err.Error() != "e.nn:2:18: param U: dimension users is not known when the model is built: give model argument users a value" {
		t.Errorf("got %v", err)
	}
	l, err := m.Lower("E.score", LowerOptions{ModelArgs: map[string]any{"users": 10}})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Outputs[0].Type.String(); got != "f32[B, 10]" {
		t.Errorf("result %s", got)
	}
}

func TestTrainValues(t *testing.T) {
	m, err := Load("t.nn", []byte(`const LR = 0.5
model M() {
    param w: f32 = zeros()
    fn loss(x: f32) -> f32 { return w * x }
}
train M {
    optimizer = sgd(LR, momentum = 0.9, nesterov = true)
    schedule  = [1, -2.5, "cos"]
    entry     = loss
}
`))
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := m.TrainBlock("M")
	want := map[string]Value{
		"optimizer": Call{Name: "sgd", Args: []Value{0.5}, Kwargs: map[string]Value{"momentum": 0.9, "nesterov": true}},
		"schedule":  []Value{int64(1), -2.5, "cos"},
		"entry":     "loss",
	}
	if !reflect.DeepEqual(spec.Fields, want) {
		t.Errorf("got %#v", spec.Fields)
	}
}

// runLowered evaluates a lowered graph with the reference interpreter.
func runLowered(t *testing.T, l *Lowered, inputs map[string]in) [][]float64 {
	t.Helper()
	vals := map[string]*tensorT{}
	for k, x := range inputs {
		vals[k] = fromFloats(x)
	}
	res, err := ops.Evaluate(l.B.G, vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	for _, o := range l.Outputs {
		out = append(out, res[o].Float64s())
	}
	return out
}

func TestFileImports(t *testing.T) {
	src, err := os.ReadFile("testdata/imports/main.nn")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load("testdata/imports/main.nn", src)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := evalModule(t, m, "f", map[string]in{"x": f64([]int{3}, 1, 2, 3)})
	near(t, "L.double", out[0], []float64{2, 4, 6}, 0)
	out, l := evalModule(t, m, "Net.forward", map[string]in{"x": f64([]int{1, 3}, 1, 2, 3), "sc.s": f64([]int{3}, 2, 3, 4)})
	near(t, "Net.forward", out[0], []float64{3, 7, 13}, 0)
	if len(l.Params) != 1 || l.Params[0].Name() != "sc.s" {
		t.Errorf("params %v", l.Params)
	}
	for name, want := range map[string]string{
		"x.nn":                        `x.nn:1:1: cannot import "nope.nn": open nope.nn: no such file or directory`,
		"testdata/imports/cycle_a.nn": `testdata/imports/cycle_b.nn:1:1: import cycle: cycle_b.nn imports itself`,
	} {
		src := []byte(`import "nope.nn" as N` + "\n")
		if name != "x.nn" {
			src, _ = os.ReadFile(name)
		}
		if _, err := Load(name, src); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", name, err, want)
		}
	}
}

// evalModule lowers entry of m and runs it with the reference interpreter.
func evalModule(t *testing.T, m *Module, entry string, inputs map[string]in) ([][]float64, *Lowered) {
	t.Helper()
	l, err := m.Lower(entry, LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return runLowered(t, l, inputs), l
}

// TestTrainPositions: each setting of a train block keeps the position of
// its name and of its value; a key the block does not give, and a spec
// made by hand, answer the block's position.
func TestTrainPositions(t *testing.T) {
	src := `model M() {
    param w: f32 = zeros()
    fn loss(x: f32) -> f32 { return w * x }
}
train M {
    epochs = -3
  batch     = 64
    optimizer = adam(lr = 1e-3)
    entry = "loss"
}
`
	m, err := Load("t.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := m.TrainBlock("M")
	at := func(line, col int) ops.Pos { return ops.Pos{File: "t.nn", Line: line, Col: col} }
	for _, c := range []struct {
		key       string
		name, val ops.Pos
	}{
		{"epochs", at(6, 5), at(6, 14)},
		{"batch", at(7, 3), at(7, 15)},
		{"optimizer", at(8, 5), at(8, 17)},
		{"entry", at(9, 5), at(9, 13)},
		{"seed", at(5, 1), at(5, 1)},
	} {
		if got := spec.KeyPos(c.key); got != c.name {
			t.Errorf("KeyPos(%s) = %v, want %v", c.key, got, c.name)
		}
		if got := spec.ValuePos(c.key); got != c.val {
			t.Errorf("ValuePos(%s) = %v, want %v", c.key, got, c.val)
		}
	}
	if spec.Pos != at(5, 1) {
		t.Errorf("Pos = %v", spec.Pos)
	}
	hand := &TrainSpec{Model: "M", Pos: at(1, 1), Fields: map[string]Value{"epochs": int64(1)}}
	if hand.KeyPos("epochs") != at(1, 1) || hand.ValuePos("epochs") != at(1, 1) {
		t.Errorf("a spec made by hand: %v %v", hand.KeyPos("epochs"), hand.ValuePos("epochs"))
	}
}
