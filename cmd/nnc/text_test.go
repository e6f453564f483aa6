package main

import (
	"math"
	"strings"
	"testing"

	"github.com/nnclang/nnc"
)

// TestSummaryText: check's text gives parameter counts with grouped digits,
// the signature, FLOPs, the peak in binary units and the memory limit a peak
// passes; an entry without shapes asks for them.
func TestSummaryText(t *testing.T) {
	s := &nnc.Summary{
		Models: []nnc.ModelSummary{{Name: "M", Count: 1234567, Params: []nnc.ParamSummary{{Path: "W", Type: "f32[1234567]", Count: 1234567}}}},
		Entries: []nnc.EntrySummary{
			{Name: "M.f", Inputs: []nnc.Arg{{Name: "x", Type: "f32[B, 4]"}}, Results: []string{"f32[B]"},
				PeakBytes: 4e10, NaiveBytes: 3 << 19, Flops: 1000, MemoryLimit: 1 << 30},
			{Name: "g", Inputs: []nnc.Arg{{Name: "y", Type: "f32[T, N]"}}, Results: []string{"f32"}, Missing: []string{"N", "T"}},
		},
	}
	want := `model M: 1,234,567 parameters
  W                        f32[1234567]         1,234,567
M.f(x: f32[B, 4]) -> f32[B]
  FLOPs 1,000 per call
  peak memory 37.3 GiB (1.5 MiB without buffer reuse)
  more than the memory limit of 1.0 GiB: running it for these shapes would be refused
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
