package nnc

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nnclang/nnc/internal/cputime"
	"github.com/nnclang/nnc/lang"
)

// stdSourceLine is line n of a standard library file, trimmed.
func stdSourceLine(file string, n int) (string, bool) {
	b, ok := lang.StdSource(file)
	lines := strings.Split(string(b), "\n")
	if !ok || n < 1 || n > len(lines) {
		return "", false
	}
	return strings.TrimSpace(lines[n-1]), true
}

// quickBench are options for tests: one short round, no probe.
func quickBench(entry string, train bool, shapes map[string]int) BenchOptions {
	return BenchOptions{Entry: entry, Train: train, Shapes: shapes, Rounds: 2, RoundTime: time.Millisecond}
}

// TestBenchDigits: the report on models/digits.nn, inference and training
// step: times ordered, FLOPs as nnc check counts them, under one
// allocation per call (steady calls allocate nothing; a one-off, such as a
// worker starting, averages below one over the 20 calls counted),
// shares summing to 1, every line named exists with its text, and the
// hottest op's line among the top lines.
func TestBenchDigits(t *testing.T) {
	p, err := CompileFile("models/digits.nn")
	if err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile("models/digits.nn")
	lines := strings.Split(string(src), "\n")
	sum, err := p.Summary(map[string]int{"B": 32})
	if err != nil {
		t.Fatal(err)
	}
	for _, train := range []bool{false, true} {
		o := quickBench("Classifier.loss", train, map[string]int{"B": 32})
		o.Top = 100
		r, err := p.Bench(o)
		if err != nil {
			t.Fatal(err)
		}
		if !(0 < r.Time.Min && r.Time.Min <= r.Time.Median && r.Time.Median <= r.Time.P90) || r.Rounds != 2 || r.Calls < 1 {
			t.Errorf("train %v: time %+v, %d rounds of %d", train, r.Time, r.Rounds, r.Calls)
		}
		if !train {
			for _, e := range sum.Entries {
				if e.Name == "Classifier.loss" && e.Flops != r.Flops {
					t.Errorf("flops %d, nnc check counts %d", r.Flops, e.Flops)
				}
			}
		}
		// The CPU time of the timed rounds: some, and no more than every
		// thread busy through the slowest round (half again for the
		// rounds' spread around their mean).
		if cputime.Supported && !(r.CPU > 0 && r.CPU <= 1.5*float64(r.Threads)*r.Time.P90) {
			t.Errorf("train %v: cpu %v s a call on %d threads, p90 time %v s", train, r.CPU, r.Threads, r.Time.P90)
		}
		if r.Flops <= 0 || r.GFlops <= 0 || r.PeakBytes <= 0 || r.Allocs >= 1 {
			t.Errorf("train %v: flops %d, %v GFLOP/s, peak %d, %v allocs", train, r.Flops, r.GFlops, r.PeakBytes, r.Allocs)
		}
		if len(r.Inputs) != 2 || r.Inputs[1].Drawn != "ints [0, 10)" {
			t.Errorf("inputs %+v: want y's labels below the 10 classes", r.Inputs)
		}
		var opShare, lineShare float64
		for _, o := range r.Profile.Ops {
			opShare += o.Share
		}
		inTop := map[string]bool{}
		for _, l := range r.Profile.Lines {
			lineShare += l.Share
			if l.Line == 0 {
				continue
			}
			inTop[l.File+":"+itoa(l.Line)] = true
			want := ""
			if l.File == "models/digits.nn" && l.Line <= len(lines) {
				want = strings.TrimSpace(lines[l.Line-1])
			} else if b, ok := stdSourceLine(l.File, l.Line); ok {
				want = b
			}
			if want == "" || l.Text != want {
				t.Errorf("line %s:%d: text %q, the file has %q", l.File, l.Line, l.Text, want)
			}
		}
		if math.Abs(opShare-1) > 1e-9 || math.Abs(lineShare-1) > 1e-9 {
			t.Errorf("train %v: shares sum to %v by op, %v by line", train, opShare, lineShare)
		}
		if hot := r.Profile.Ops[0].Hottest; hot != "" && !inTop[hot] {
			t.Errorf("hottest op %s's line %s is not among the lines %v", r.Profile.Ops[0].Op, hot, inTop)
		}
		checkBenchSteps(t, r.Profile)
	}
}

// checkBenchSteps: with every step listed (Top above their number), the
// steps fall in time, their shares sum to 1 and each op's steps to the
// op's time, each call names its op and shapes (and a fused program's
// member ops), and a rate is its FLOPs over its time.
func checkBenchSteps(t *testing.T, pr BenchProfile) {
	t.Helper()
	var share float64
	byOp := map[string]float64{}
	for i, s := range pr.Steps {
		share += s.Share
		byOp[s.Op] += s.Time
		if i > 0 && s.Time > pr.Steps[i-1].Time {
			t.Errorf("step %d (%v) is slower than step %d (%v)", i, s.Time, i-1, pr.Steps[i-1].Time)
		}
		if !strings.HasPrefix(s.Call, s.Op+"(") || !strings.Contains(s.Call, ") → [") {
			t.Errorf("step %d: call %q", i, s.Call)
		}
		programmed := s.Op == "fused_elementwise" || s.Op == "fused_reduce" || s.Op == "fused_matmul"
		if programmed != strings.Contains(s.Call, "; with ") {
			t.Errorf("step %d: call %q names no member ops, or names some of an unfused op", i, s.Call)
		}
		if s.Flops > 0 && s.Time > 0 && math.Abs(s.GFlops-float64(s.Flops)/s.Time/1e9) > 1e-9*s.GFlops {
			t.Errorf("step %d: %v GFLOP/s for %d FLOP in %v s", i, s.GFlops, s.Flops, s.Time)
		}
	}
	if math.Abs(share-1) > 1e-9 {
		t.Errorf("the %d steps' shares sum to %v", len(pr.Steps), share)
	}
	for _, o := range pr.Ops {
		if math.Abs(byOp[o.Op]-o.Time) > 1e-9*o.Time {
			t.Errorf("op %s: %v s, its steps %v s", o.Op, o.Time, byOp[o.Op])
		}
	}
}

// TestBenchErrors: a bad entry, a missing or unknown shape, a method-less
// training entry and an unknown input are errors.
func TestBenchErrors(t *testing.T) {
	p, err := CompileFile("models/digits.nn")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    BenchOptions
		want string
	}{
		{quickBench("Nope.loss", false, map[string]int{"B": 4}), "no entry"},
		{quickBench("Classifier.loss", false, nil), "B need a value"},
		{quickBench("", false, nil), "empty entry"},
		{BenchOptions{Entry: "Classifier.loss", Shapes: map[string]int{"B": 4}, Inputs: map[string]*Tensor{"z": nil}}, "no input of this name"},
		{quickBench("Classifier.loss", false, map[string]int{"B": 1 << 62}), "too large"},
	} {
		_, err := p.Bench(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.o, err, c.want)
		}
	}
}

// TestBenchModels: every entry of models/*.nn and of the design's
// examples runs under nnc bench (loss entries also as a training step),
// with every shape variable 4 and the model arguments without defaults 8.
func TestBenchModels(t *testing.T) {
	files, _ := filepath.Glob("models/*.nn")
	ex, _ := filepath.Glob("/work/shared/design/examples/*.nn")
	for _, f := range append(files, ex...) {
		p, err := CompileFile(f)
		if err != nil {
			t.Fatal(err)
		}
		args := map[string]any{}
		for _, a := range p.ModelArgNames() {
			if a == "users" || a == "items" { // matrix_factorization's, without defaults
				args[a] = 8
			}
		}
		p.SetModelArgs(args)
		for _, e := range p.Entries() {
			types, err := p.inputTypes(e)
			if err != nil {
				// A submodel whose arguments have no defaults
				// (deep_mlp's Layer): nnc check reports it too.
				if !strings.Contains(err.Error(), "give model argument n_in") {
					t.Errorf("%s %s: %v", f, e, err)
				}
				continue
			}
			shapes := map[string]int{}
			for _, ty := range types {
				for _, d := range ty.Shape {
					for _, v := range d.Vars() {
						shapes[v] = 4
					}
				}
			}
			for _, train := range []bool{false, strings.HasSuffix(e, ".loss")} {
				r, err := p.Bench(quickBench(e, train, shapes))
				if err != nil {
					t.Errorf("%s %s (train %v): %v", f, e, train, err)
					continue
				}
				if len(r.Profile.Ops) == 0 || r.Time.Median <= 0 {
					t.Errorf("%s %s: empty report %+v", f, e, r)
				}
				for _, in := range r.Inputs {
					// char_lstm's and tiny_gpt's next characters are
					// labels of their 65 classes, flattened before
					// cross_entropy.
					if in.Name == "next" && in.Drawn != "ints [0, 65)" {
						t.Errorf("%s %s: next drawn as %s, want below the 65 classes", f, e, in.Drawn)
					}
				}
			}
		}
	}
}
