package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
	"github.com/nnclang/nnc/kernels"
)

// TestSummaryText: check's text gives parameter counts with grouped digits,
// the signature, FLOPs, the peak in binary units, the kernel scratch (when
// there is any) with its sum with the peak, and the memory limit they pass;
// an entry without shapes asks for them.
func TestSummaryText(t *testing.T) {
	s := &nnc.Summary{
		Models: []nnc.ModelSummary{{Name: "M", Count: 1234567, Params: []nnc.ParamSummary{{Path: "W", Type: "f32[1234567]", Count: 1234567}}}},
		Entries: []nnc.EntrySummary{
			{Name: "M.f", Inputs: []nnc.Arg{{Name: "x", Type: "f32[B, 4]"}}, Results: []string{"f32[B]"},
				PeakBytes: 4e10, NaiveBytes: 3 << 19, Flops: 1000, MemoryLimit: 1 << 30},
			{Name: "h", Inputs: []nnc.Arg{{Name: "x", Type: "f32[1000, 64]"}}, Results: []string{"f32[1000, 10]"},
				PeakBytes: 1 << 20, NaiveBytes: 3 << 20, ScratchBytes: 3 << 19, Flops: 1280000, MemoryLimit: 2 << 20},
			{Name: "g", Inputs: []nnc.Arg{{Name: "y", Type: "f32[T, N]"}}, Results: []string{"f32"}, Missing: []string{"N", "T"}},
		},
	}
	want := `model M: 1,234,567 parameters
  W                        f32[1234567]         1,234,567
M.f(x: f32[B, 4]) -> f32[B]
  FLOPs 1,000 per call
  peak memory 37.3 GiB (1.5 MiB without buffer reuse)
  more than the memory limit of 1.0 GiB: running it for these shapes would be refused
h(x: f32[1000, 64]) -> f32[1000, 10]
  FLOPs 1,280,000 per call
  peak memory 1.0 MiB (3.0 MiB without buffer reuse)
  kernel scratch 1.5 MiB (2.5 MiB with the peak memory)
  more than the memory limit of 2.0 MiB: running it for these shapes would be refused
g(y: f32[T, N]) -> f32
  FLOPs and peak memory: give --shapes N=N,T=N
`
	if got := summaryText(s); got != want {
		t.Errorf("summaryText:\n%s\nwant\n%s", got, want)
	}
	if summaryText(nil) != "" {
		t.Error("a nil summary prints something")
	}
}

// TestCheckScratch: check --json gives an entry's kernel scratch
// (scratch_bytes: the packing buffers of x @ w for [1000, 64] @ [64, 10] in
// f32, as kernels.MatmulScratch computes them) and, with a --max-memory
// that holds the peak (the result, 40,000 bytes) but not the peak and the
// scratch, the limit that running would pass; the text says it too.
func TestCheckScratch(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.nn")
	src := "fn f(x: f32[B, 64], w: f32[64, 10]) -> f32[B, 10] {\n    return x @ w\n}\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	const peak = 1000 * 10 * 4
	scratch := kernels.MatmulScratch[float32]([]int{1000, 64}, []int{64, 10}, false, false)
	limit := fmt.Sprintf("%dB", peak+scratch-1)
	out, errOut, code := nncCmd(t, "check", file, "--shapes", "B=1000", "--max-memory", limit, "--json")
	if code != 0 {
		t.Fatalf("check --json: exit %d, stderr %q", code, errOut)
	}
	var s struct {
		Entries []struct {
			PeakBytes    int64 `json:"peak_bytes"`
			ScratchBytes int64 `json:"scratch_bytes"`
			MemoryLimit  int64 `json:"memory_limit"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(s.Entries) != 1 || s.Entries[0].PeakBytes != peak || s.Entries[0].ScratchBytes != scratch || s.Entries[0].MemoryLimit != peak+scratch-1 {
		t.Errorf("check --max-memory %s --json: %+v; want peak %d, scratch %d, memory_limit %d", limit, s.Entries, peak, scratch, peak+scratch-1)
	}
	out, _, _ = nncCmd(t, "check", file, "--shapes", "B=1000", "--max-memory", limit)
	want := fmt.Sprintf("  kernel scratch %s (%s with the peak memory)\n  more than the memory limit of %s: running it for these shapes would be refused\n",
		bytesString(scratch), bytesString(peak+scratch), bytesString(peak+scratch-1))
	if !strings.Contains(out, want) {
		t.Errorf("check --max-memory %s:\n%s\nwant it to hold\n%s", limit, out, want)
	}
	out, _, _ = nncCmd(t, "check", file, "--shapes", "B=1000", "--max-memory", fmt.Sprintf("%dB", peak+scratch), "--json")
	if strings.Contains(out, "memory_limit") || !strings.Contains(out, fmt.Sprintf(`"scratch_bytes":%d`, scratch)) {
		t.Errorf("check --max-memory %dB --json (values and scratch fit): %s", peak+scratch, out)
	}
}

// TestMemoryErrorText: a memory error under the default limit says, on the
// command line, which flag and variable set another (the library's note
// speaks of the option); one under a limit that was set, or any other
// error, prints as it reads.
func TestMemoryErrorText(t *testing.T) {
	me := &nnc.MemoryError{What: "the plan", Need: 2 << 30, Limit: 1 << 30}
	err := fmt.Errorf("epoch 1, step 1: %w", me)
	want := "epoch 1, step 1: the plan needs 2.00 GiB of memory, more than the 1.00 GiB of memory available" +
		" (the default limit; --max-memory or NNC_MAX_MEMORY sets another)"
	if got := errorText(err); got != want {
		t.Errorf("errorText:\n%s\nwant\n%s", got, want)
	}
	me.Set = true
	if got, want := errorText(fmt.Errorf("epoch 1, step 1: %w", me)), "epoch 1, step 1: the plan needs 2.00 GiB of memory, more than the memory limit of 1.00 GiB"; got != want {
		t.Errorf("errorText with the limit set:\n%s\nwant\n%s", got, want)
	}
	// End to end: a plan of 4·10^12 bytes (3.64 TiB), more than any memory
	// available, run without --max-memory or NNC_MAX_MEMORY.
	t.Setenv("NNC_MAX_MEMORY", "")
	file := filepath.Join(t.TempDir(), "z.nn")
	if err := os.WriteFile(file, []byte("fn f() -> f32[1000000, 1000000] {\n    return zeros([1000000, 1000000])\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := nncCmd(t, "run", file, "--entry", "f")
	if code != 1 || !strings.Contains(errOut, "the plan needs 3.64 TiB of memory, more than the ") ||
		!strings.HasSuffix(errOut, " of memory available (the default limit; --max-memory or NNC_MAX_MEMORY sets another); its largest value is full f32[1000000, 1000000] (3.64 TiB)\n") {
		t.Errorf("run of a 3.64 TiB plan: exit %d, stderr %q", code, errOut)
	}
}

// TestGradcheckTable: one row per input and parameter, FAIL on the rows over
// the tolerance (and on NaN), and the verdict.
func TestGradcheckTable(t *testing.T) {
	r := &nnc.GradCheckReport{Entry: "f", Eps: 1e-5, Tol: 1e-5, Checks: []nnc.GradCheckItem{
		{Name: "x", Kind: "input", Type: "f32[3]", Checked: 3, MaxRelErr: 1e-9, Analytic: 2, Numeric: 2},
		{Name: "W", Kind: "param", Type: "f32[3, 3]", Checked: 9, MaxRelErr: 0.5, Analytic: 1, Numeric: 2},
		{Name: "b", Kind: "param", Type: "f32[3]", Checked: 3, MaxRelErr: math.NaN()},
	}}
	lines := strings.Split(gradcheckTable(r), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "name ") || lines[5] != "" {
		t.Fatalf("table:\n%s", strings.Join(lines, "\n"))
	}
	for i, fail := range []bool{false, true, true} {
		if strings.HasSuffix(lines[i+1], "  FAIL") != fail {
			t.Errorf("row %d: %q, FAIL %v", i, lines[i+1], fail)
		}
	}
	if lines[4] != "f: FAIL (tolerance 1e-05, step 1e-05, in f64)" {
		t.Errorf("verdict %q", lines[4])
	}
	r.OK, r.Checks = true, r.Checks[:1]
	if got := strings.Split(gradcheckTable(r), "\n")[2]; got != "f: ok (tolerance 1e-05, step 1e-05, in f64)" {
		t.Errorf("verdict %q", got)
	}
	if gradcheckTable(nil) != "" {
		t.Error("a nil report prints something")
	}
}
