package nnc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sourcePos finds where token first occurs on the line of file that
// contains marker, as "file:line:col" (col from 1): the position a report
// must give, read off the source text.
func sourcePos(t *testing.T, file, marker, token string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(src), "\n") {
		if strings.Contains(line, marker) {
			col := strings.Index(line, token)
			if col < 0 {
				t.Fatalf("%s: no %q on line %d", file, token, i+1)
			}
			return fmt.Sprintf("%s:%d:%d", file, i+1, col+1)
		}
	}
	t.Fatalf("%s: no line with %q", file, marker)
	return ""
}

// csvRows reads testdata/numerics/rows.csv: line n (from 1) is rows[n-1].
func csvRows(t *testing.T, file string) [][]float64 {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	for _, line := range strings.Fields(string(src)) {
		var r []float64
		for _, f := range strings.Split(line, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			r = append(r, v)
		}
		rows = append(rows, r)
	}
	return rows
}

// rowLine turns a row as a report names it ("testdata/numerics/rows.csv:6")
// into its line number.
func rowLine(t *testing.T, row string) int {
	t.Helper()
	i := strings.LastIndexByte(row, ':')
	n, err := strconv.Atoi(row[i+1:])
	if i < 0 || err != nil {
		t.Fatalf("row %q is not file:line", row)
	}
	return n
}

// divergeRef is testdata/numerics/diverge_ref.json (make_diverge.py):
// the first step (from 1) of diverge.nn whose forward pass overflows, the
// error e in it, the loss of the step before, and the gradient norms of
// the first 8 steps.
type divergeRef struct {
	Step      int
	E         float64
	PrevLoss  float64   `json:"prev_loss"`
	GradNorms []float64 `json:"grad_norms"`
}

func divergeReference(t *testing.T) *divergeRef {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "numerics", "diverge_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref divergeRef
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	return &ref
}

// trainNumerics trains a model of testdata/numerics and returns its
// *NumericsError; every model there fails.
func trainNumerics(t *testing.T, name string, o TrainOptions) *NumericsError {
	t.Helper()
	p, err := CompileFile(filepath.Join("testdata", "numerics", name))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Train(o)
	var ne *NumericsError
	if !errors.As(err, &ne) {
		t.Fatalf("%s: err = %v, want a *NumericsError", name, err)
	}
	return ne
}

// TestNumericsPlanted: in each model of testdata/numerics a NaN or an
// infinity is planted; with --check-numerics, and without it (the step
// whose loss is not finite is run again with the checks on), training
// stops at the op that made it, at its line and column, in the right step,
// with the batch's rows and the op's operands as the data says they are.
func TestNumericsPlanted(t *testing.T) {
	dir := filepath.Join("testdata", "numerics")
	rows := csvRows(t, filepath.Join(dir, "rows.csv"))
	ref := divergeReference(t)
	for _, check := range []bool{false, true} {
		// log0.nn: relu(x - 2) is 0 for every x in [0, 1]: log's 8 values
		// are -Inf at the first step.
		file := filepath.Join(dir, "log0.nn")
		e := trainNumerics(t, "log0.nn", TrainOptions{CheckNumerics: check})
		if got, want := e.Pos().String(), sourcePos(t, file, "log(z)", "log("); got != want || e.Node.Op.Name != "log" {
			t.Errorf("log(0), check %v: %s at %s, want log at %s", check, e.Node.Op.Name, got, want)
		}
		if e.Output.NegInf != 8 || e.Output.Len != 8 || e.Operands[0].Stats.Zeros != 8 || e.When != "epoch 1, step 1" || len(e.Rows) != 4 {
			t.Errorf("log(0), check %v: %+v", check, e)
		}

		// div0.nn: x / x is 0/0 = NaN in both columns of line 6, the one
		// row of zeros, and nowhere else.
		file = filepath.Join(dir, "div0.nn")
		e = trainNumerics(t, "div0.nn", TrainOptions{CheckNumerics: check})
		if got, want := e.Pos().String(), sourcePos(t, file, "x / x", "/"); got != want || e.Node.Op.Name != "div" {
			t.Errorf("0/0, check %v: %s at %s, want div at %s", check, e.Node.Op.Name, got, want)
		}
		if e.Output.NaN != 2 || e.Output.NonFinite() != 2 || len(e.First) != 2 || e.First[1] != 0 || rowLine(t, e.Rows[e.First[0]]) != 6 {
			t.Errorf("0/0, check %v: %+v, want 2 NaN, the first in the row of line 6", check, e)
		}

		// exp.nn: exp(100 x) overflows f32 where x > ln(MaxFloat32)/100.
		file = filepath.Join(dir, "exp.nn")
		e = trainNumerics(t, "exp.nn", TrainOptions{CheckNumerics: check})
		if got, want := e.Pos().String(), sourcePos(t, file, "exp(100.0 * x)", "exp("); got != want || e.Node.Op.Name != "exp" {
			t.Errorf("exp overflow, check %v: %s at %s, want exp at %s", check, e.Node.Op.Name, got, want)
		}
		limit := math.Log(math.MaxFloat32) / 100
		over, lo, hi := 0, math.Inf(1), math.Inf(-1)
		for _, r := range e.Rows {
			for _, v := range rows[rowLine(t, r)-1][:2] {
				if v > limit {
					over++
				}
				lo, hi = min(lo, 100*v), max(hi, 100*v)
			}
		}
		first := rows[rowLine(t, e.Rows[e.First[0]])-1][e.First[1]]
		op := e.Operands[0].Stats
		if e.Output.PosInf != over || over == 0 || first <= limit || float32(op.Min) != float32(lo) || float32(op.Max) != float32(hi) {
			t.Errorf("exp overflow, check %v: %d +Inf (want %d), first at x = %g (want > %g), operand in [%g, %g] (want [%g, %g])",
				check, e.Output.PosInf, over, first, limit, op.Min, op.Max, lo, hi)
		}

		// diverge.nn: the error e grows 24-fold a step until e*e
		// overflows, in the step make_diverge.py finds (8 rows a epoch).
		file = filepath.Join(dir, "diverge.nn")
		e = trainNumerics(t, "diverge.nn", TrainOptions{CheckNumerics: check})
		if got, want := e.Pos().String(), sourcePos(t, file, "mean(e * e)", "*"); got != want || e.Node.Op.Name != "mul" {
			t.Errorf("diverging lr, check %v: %s at %s, want mul at %s", check, e.Node.Op.Name, got, want)
		}
		wantWhen := fmt.Sprintf("epoch %d, step %d (the previous step's loss: ", (ref.Step-1)/8+1, (ref.Step-1)%8+1)
		if !strings.HasPrefix(e.When, wantWhen) || e.Output.PosInf != 1 || float32(e.Operands[0].Stats.Min) != float32(ref.E) {
			t.Errorf("diverging lr, check %v: %q, operand %+v; want %q..., e = %g", check, e.When, e.Operands[0].Stats, wantWhen, ref.E)
		}
		prev, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(e.When, wantWhen), ")"), 64)
		if err != nil || math.Abs(prev-ref.PrevLoss) > 1e-5*ref.PrevLoss {
			t.Errorf("diverging lr, check %v: previous loss %q, want %g", check, e.When, ref.PrevLoss)
		}
	}
}

// TestWarnGradNorm: on diverge.nn the gradient 2·e·x grows 24-fold a
// step from 2.795 (make_diverge.py); above 1000, steps 3 to 8 of the
// epoch warn, each naming W and its norm; the same with --remat.
func TestWarnGradNorm(t *testing.T) {
	for _, remat := range []bool{false, true} {
		t.Run(fmt.Sprint("remat=", remat), func(t *testing.T) { warnGradNorm(t, remat) })
	}
}

func warnGradNorm(t *testing.T, remat bool) {
	ref := divergeReference(t)
	p, err := CompileFile(filepath.Join("testdata", "numerics", "diverge.nn"))
	if err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	if _, err := p.Train(TrainOptions{Epochs: 1, WarnGradNorm: 1000, Warnings: &warn, Remat: remat, Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(warn.String()), "\n")
	re := regexp.MustCompile(`^warning: epoch 1, step (\d+): gradient norm above 1000: W (\S+) \(all params: (\S+)\)$`)
	want := 0
	for k, n := range ref.GradNorms {
		if n > 1000 {
			want++
			if want > len(lines) {
				break
			}
			m := re.FindStringSubmatch(lines[want-1])
			if m == nil || m[1] != strconv.Itoa(k+1) {
				t.Errorf("warning %d: %q, want step %d", want, lines[want-1], k+1)
				continue
			}
			for _, s := range m[2:] {
				if v, _ := strconv.ParseFloat(s, 64); math.Abs(v-n) > 1e-3*n {
					t.Errorf("step %d: norm %s, want %.4g", k+1, s, n)
				}
			}
		}
	}
	if want != 6 || len(lines) != want {
		t.Errorf("%d warnings, want %d:\n%s", len(lines), want, warn.String())
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		var oe *OptionError
		if _, err := p.Train(TrainOptions{Epochs: 1, WarnGradNorm: bad}); !errors.As(err, &oe) || oe.Option != "TrainOptions.WarnGradNorm" {
			t.Errorf("WarnGradNorm %v: err = %v, want an OptionError", bad, err)
		}
	}
}

// TestCheckNumericsFinite: a run whose values stay finite trains the same
// with and without the checks (and with gradient norms measured), within
// rounding (the checked step runs unfused), and as many steps; also with
// gradient accumulation, whose micro-batch graph the checks' own build of
// the step must leave alone.
func TestCheckNumericsFinite(t *testing.T) {
	for _, extra := range []string{"", "\n    accumulate = 2"} {
		file := tinyModel(t, `    data = "d.csv"
    batch = 10
    epochs = 3
    optimizer = adam(lr = 0.01)`+extra)
		p, err := CompileFile(file)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := p.Train(TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var warn bytes.Buffer
		for _, o := range []TrainOptions{{CheckNumerics: true}, {WarnGradNorm: 1e30, Warnings: &warn}, {CheckNumerics: true, WarnGradNorm: 1e30, Warnings: &warn}} {
			checked, err := p.Train(o)
			if err != nil {
				t.Fatalf("%q %+v: %v", extra, o, err)
			}
			if plain.Details.Steps != checked.Details.Steps || plain.Details.Steps != 21 {
				t.Errorf("%q %+v: steps %d and %d, want 21", extra, o, plain.Details.Steps, checked.Details.Steps)
			}
			for k, v := range plain.Metrics {
				if c := checked.Metrics[k]; math.Abs(c-v) > 1e-4*math.Max(1, math.Abs(v)) {
					t.Errorf("%q %+v: %s: %g, %g unchecked", extra, o, k, c, v)
				}
			}
		}
		if warn.Len() != 0 {
			t.Errorf("warnings above 1e30: %q", warn.String())
		}
	}
}

// TestNumericsGradient: in grad.nn the loss stays finite while the
// gradient of sqrt at 0 is +Inf. With CheckNumerics, training stops in
// step 1 at sqrt's position, in its gradient; without, the update of step
// 1 writes NaN into W, and the report of step 2 names W as the source and
// says how to find the op.
func TestNumericsGradient(t *testing.T) {
	file := filepath.Join("testdata", "numerics", "grad.nn")
	e := trainNumerics(t, "grad.nn", TrainOptions{CheckNumerics: true})
	if got, want := e.Pos().String(), sourcePos(t, file, "mean(sqrt(z))", "sqrt("); got != want || e.Grad == nil || e.Grad.Op.Name != "sqrt" || e.When != "epoch 1, step 1" {
		t.Errorf("got %q (grad %v, %s), want the gradient of sqrt at %s in step 1", e.Error(), e.Grad, e.When, want)
	}
	if !strings.Contains(e.Error(), ": in the gradient of sqrt: ") || e.Output.PosInf != 8 {
		t.Errorf("message %q, want 8 +Inf in the gradient of sqrt", e.Error())
	}
	e = trainNumerics(t, "grad.nn", TrainOptions{})
	if e.Node != nil || len(e.Sources) != 1 || e.Sources[0].Node.Name() != "W" || e.Sources[0].Stats.NaN != 4 || !strings.HasPrefix(e.When, "epoch 1, step 2 ") || e.Hint == "" {
		t.Errorf("without checks: %q, want param W with 4 NaN in step 2, and a hint", e.Error())
	}
}

// TestFuncCheckNumerics: Func.CheckNumerics runs an entry with every op
// checked. sqrt(x) at x = 0 is finite and the run gives sum(2 sqrt(x)) =
// 2 + 0 + 4; its gradient 1/sqrt(x) is +Inf at 0, reported in the gradient
// of sqrt at sqrt's position. log(0) is -Inf from a finite operand; a NaN
// input carried through log is not an error.
func TestFuncCheckNumerics(t *testing.T) {
	src := "fn f(x: f32[3]) -> f32 {\n    return sum(sqrt(x) * 2.0)\n}\n\nfn g(x: f32[3]) -> f32[3] {\n    return log(x)\n}\n"
	p, err := Compile("c.nn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	x, err := TensorOf(F32, []int{3}, []float64{1, 0, 4})
	if err != nil {
		t.Fatal(err)
	}
	f, err := p.Func("f")
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.CheckNumerics(context.Background(), nil, map[string]*Tensor{"x": x})
	if err != nil || len(out) != 1 || out[0].F32[0] != 6 {
		t.Fatalf("run: %v, %v; want 6", out, err)
	}
	_, err = f.CheckNumerics(context.Background(), []string{"x"}, map[string]*Tensor{"x": x})
	var ne *NumericsError
	if !errors.As(err, &ne) || ne.Pos().String() != "c.nn:2:16" || ne.Grad == nil || ne.Grad.Op.Name != "sqrt" || ne.Output.PosInf != 1 || ne.First[0] != 1 {
		t.Fatalf("grad: %v; want +Inf at [1] in the gradient of sqrt at c.nn:2:16", err)
	}
	g, err := p.Func("g")
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.CheckNumerics(context.Background(), nil, map[string]*Tensor{"x": x})
	if !errors.As(err, &ne) || ne.Pos().String() != "c.nn:6:12" || ne.Node.Op.Name != "log" || ne.Output.NegInf != 1 || ne.Grad != nil {
		t.Fatalf("log(0): %v; want -Inf from log at c.nn:6:12", err)
	}
	nan, _ := TensorOf(F32, []int{3}, []float64{math.NaN(), 1, math.E})
	out, err = g.CheckNumerics(context.Background(), nil, map[string]*Tensor{"x": nan})
	if err != nil || !math.IsNaN(float64(out[0].F32[0])) || out[0].F32[1] != 0 || math.Abs(float64(out[0].F32[2])-1) > 1e-6 {
		t.Fatalf("log of a NaN input: %v, %v; want [NaN 0 1] and no error", out, err)
	}
}

// TestNumericsAccumulate: under accumulate = 2..4 the batches that only
// accumulate their gradients run the micro-batch graph; a NaN or an
// infinity there is traced to its op and line as in any other step, with
// the checks on every step and without (the batch is run again with the
// checks). log0.nn's -Inf comes in step 1, the first batch of a group.
// diverge.nn's rows are all the same, so the accumulated gradient is the
// one row's and the updates follow make_diverge.py's steps: e*e overflows
// in the first batch after ref.Step-1 updates, the first of its group,
// which the group rule (groups of k batches, the last group of an epoch of
// 8 possibly smaller) places. grad.nn's gradient of sqrt is +Inf in step 1;
// with the checks on, the micro-batch graph reports it there.
func TestNumericsAccumulate(t *testing.T) {
	dir := filepath.Join("testdata", "numerics")
	ref := divergeReference(t)
	for k := 2; k <= 4; k++ {
		acc := StepSettings{Accumulate: k}
		// The batch after ref.Step-1 updates: walk the epochs' groups.
		var epoch, step int
		for b, updates := 0, 0; epoch == 0; b++ {
			i := b % 8
			if updates == ref.Step-1 {
				epoch, step = b/8+1, i+1
			}
			if (i+1)%k == 0 || i == 7 {
				updates++
			}
		}
		if (step-1)%k != 0 {
			t.Fatalf("k = %d: step %d does not start a group", k, step)
		}
		for _, check := range []bool{false, true} {
			file := filepath.Join(dir, "log0.nn")
			e := trainNumerics(t, "log0.nn", TrainOptions{CheckNumerics: check, StepSettings: acc})
			if got, want := e.Pos().String(), sourcePos(t, file, "log(z)", "log("); got != want || e.Node.Op.Name != "log" || e.When != "epoch 1, step 1" || e.Output.NegInf != 8 {
				t.Errorf("log(0), accumulate %d, check %v: %s at %s in %q (%d -Inf), want log at %s in epoch 1, step 1 (8 -Inf)", k, check, e.Node.Op.Name, got, e.When, e.Output.NegInf, want)
			}

			file = filepath.Join(dir, "diverge.nn")
			e = trainNumerics(t, "diverge.nn", TrainOptions{CheckNumerics: check, StepSettings: acc, Epochs: 10})
			if got, want := e.Pos().String(), sourcePos(t, file, "mean(e * e)", "*"); got != want || e.Node.Op.Name != "mul" {
				t.Errorf("diverging lr, accumulate %d, check %v: %s at %s, want mul at %s", k, check, e.Node.Op.Name, got, want)
			}
			wantWhen := fmt.Sprintf("epoch %d, step %d (the previous step's loss: ", epoch, step)
			prev, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(e.When, wantWhen), ")"), 64)
			if !strings.HasPrefix(e.When, wantWhen) || err != nil || math.Abs(prev-ref.PrevLoss) > 1e-5*ref.PrevLoss || e.Output.PosInf != 1 {
				t.Errorf("diverging lr, accumulate %d, check %v: %q (%d +Inf), want %q%.6g) and 1 +Inf", k, check, e.When, e.Output.PosInf, wantWhen, ref.PrevLoss)
			}
		}
		file := filepath.Join(dir, "grad.nn")
		e := trainNumerics(t, "grad.nn", TrainOptions{CheckNumerics: true, StepSettings: acc})
		if got, want := e.Pos().String(), sourcePos(t, file, "mean(sqrt(z))", "sqrt("); got != want || e.Grad == nil || e.Grad.Op.Name != "sqrt" || e.When != "epoch 1, step 1" {
			t.Errorf("gradient of sqrt, accumulate %d: %q (grad %v, %s), want the gradient of sqrt at %s in step 1", k, e.Error(), e.Grad, e.When, want)
		}
	}
}
