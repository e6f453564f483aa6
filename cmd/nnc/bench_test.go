package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// benchArgs are the flags of a short nnc bench run on digits.nn.
var benchArgs = []string{"bench", "../../models/digits.nn", "--entry", "Classifier.loss", "--shapes", "B=16",
	"--rounds", "2", "--round-time", "1ms", "--threads", "1"}

// TestBenchText: the text report's sections, in order, and the per-line
// profile's lines with their source text (std/nn.nn's too).
func TestBenchText(t *testing.T) {
	out, errOut, code := nncCmd(t, append(benchArgs, "--train", "--peak=false")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	last := -1
	sections := []string{"Classifier.loss (train), 1 thread", "input y i32[16]: ints [0, 10)",
		"time per call  min ", "compute ", "allocations ", "memory         plan peak ",
		"profile by op", "profile by source line", "slowest steps (top 10)"}
	if runtime.GOOS == "linux" { // where the process's CPU time is read
		sections = slices.Insert(sections, 3, "cpu time       ")
	}
	for _, s := range sections {
		i := strings.Index(out, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order in\n%s", s, out)
		}
		last = i
	}
	for _, s := range []string{"digits.nn:9  h = dropout(relu(l1(x)), p)", "std/nn.nn:13              return x @ W + b",
		"(no source position)      optimizer updates", "fused_matmul([16, 64], [64, 128], [128]; with add, relu) → [16, 128]"} {
		if !strings.Contains(out, s) {
			t.Errorf("line %q missing in\n%s", s, out)
		}
	}
	if strings.Contains(out, "GFLOP/s (") {
		t.Errorf("--peak=false printed a probe:\n%s", out)
	}
}

// TestBenchJSON: the JSON report's fields, the shares summing to 1, a given
// input reported as given, and the probe's share.
func TestBenchJSON(t *testing.T) {
	out, errOut, code := nncCmd(t, append(benchArgs, "--json", "--in", "y=[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5]")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range keys {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"alloc_bytes_per_call", "allocs_per_call", "calls_per_round", "entry", "flops", "gflops", "inputs", "mode",
		"peak_bytes", "peak_gflops", "peak_probe", "peak_share", "profile", "rounds", "scratch_bytes", "shapes", "threads", "time"}
	if runtime.GOOS == "linux" { // where the process's CPU time is read
		want = slices.Insert(want, 3, "cpu_s_per_call")
	}
	if !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	var r struct {
		Mode   string             `json:"mode"`
		Shapes map[string]int     `json:"shapes"`
		Time   map[string]float64 `json:"time"`
		Inputs []struct {
			Name, Type, Drawn string
		} `json:"inputs"`
		PeakShare float64 `json:"peak_share"`
		Profile   struct {
			TimeS   float64 `json:"time_s"`
			Covered float64 `json:"covered"`
			Ops     []struct {
				Op      string  `json:"op"`
				Share   float64 `json:"share"`
				Hottest string  `json:"hottest"`
			} `json:"ops"`
			Lines []struct {
				File  string  `json:"file"`
				Line  int     `json:"line"`
				Text  string  `json:"text"`
				Share float64 `json:"share"`
			} `json:"lines"`
		} `json:"profile"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Mode != "inference" || r.Shapes["B"] != 16 || len(r.Time) != 3 || r.Time["min_s"] <= 0 || r.PeakShare <= 0 {
		t.Errorf("mode %q, shapes %v, time %v, peak share %v", r.Mode, r.Shapes, r.Time, r.PeakShare)
	}
	if len(r.Inputs) != 2 || r.Inputs[1].Name != "y" || r.Inputs[1].Drawn != "" || r.Inputs[0].Drawn == "" {
		t.Errorf("inputs %+v: want x drawn, y given", r.Inputs)
	}
	var ops, lines float64
	for _, o := range r.Profile.Ops {
		ops += o.Share
	}
	for _, l := range r.Profile.Lines {
		lines += l.Share
		if l.Line > 0 && l.Text == "" {
			t.Errorf("line %s:%d has no text", l.File, l.Line)
		}
	}
	if math.Abs(ops-1) > 1e-9 || math.Abs(lines-1) > 1e-9 || r.Profile.Covered <= 0 {
		t.Errorf("shares sum to %v by op, %v by line; covered %v", ops, lines, r.Profile.Covered)
	}
}

// TestBenchErrors: usage errors exit 2, errors of the program or the
// entry 1, each naming the problem.
func TestBenchErrors(t *testing.T) {
	file := "../../models/digits.nn"
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench", file, "--shapes", "B=4"}, 2, "--entry is required"},
		{[]string{"bench", file, "--entry", "Nope.loss", "--shapes", "B=4"}, 1, "no entry"},
		{[]string{"bench", file, "--entry", "Classifier.loss", "--shapes", "B=x"}, 2, "NAME=SIZE"},
		{[]string{"bench", file, "--entry", "Classifier.loss"}, 1, "B need a value"},
		{[]string{"bench", file, "--entry", "Classifier.loss", "--shapes", "B=4", "--rounds", "0"}, 2, "--rounds"},
		{[]string{"bench", file, "--entry", "Classifier.loss", "--shapes", "B=4", "--in", "z=1"}, 2, "no parameter"},
	} {
		_, errOut, code := nncCmd(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

// TestBenchCPUProfile: --cpuprofile writes a gzipped pprof profile of CPU
// time (its string table names the sample type) and the report still
// prints.
func TestBenchCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	args := append(slices.Clone(benchArgs), "--peak=false", "--cpuprofile", path)
	args[slices.Index(args, "1ms")] = "50ms"
	out, errOut, code := nncCmd(t, args...)
	if code != 0 || !strings.Contains(out, "profile by op") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"cpu", "nanoseconds", "samples"} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Errorf("the profile has no %q", s)
		}
	}
}

// TestOutputCheckedFirst: an output nnc cannot write (its directory does
// not exist) is refused before the work, with exit status 1: nnc bench
// --cpuprofile before timing (no report printed), nnc train -o before the
// first epoch.
func TestOutputCheckedFirst(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such")
	out, errOut, code := nncCmd(t, append(slices.Clone(benchArgs), "--cpuprofile", filepath.Join(missing, "cpu.pprof"))...)
	if code != 1 || strings.Contains(out, "time per call") || !strings.Contains(errOut, "does not exist") {
		t.Errorf("bench: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = nncCmd(t, "train", "../../models/digits.nn", "--epochs", "1", "-o", filepath.Join(missing, "p.safetensors"))
	if code != 1 || strings.Contains(out+errOut, "epoch 1") || !strings.Contains(errOut, "does not exist") {
		t.Errorf("train: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
