package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/nnclang/nnc"
)

// summaryText renders check's summary for people ("" for a nil Summary):
// per entry its FLOPs, peak memory, kernel scratch (when its kernels need
// any) and whether the two together pass the memory limit.
func summaryText(s *nnc.Summary) string {
	if s == nil {
		return ""
	}
	var sb strings.Builder
	for _, m := range s.Models {
		fmt.Fprintf(&sb, "model %s: %s parameters\n", m.Name, groupDigits(m.Count))
		for _, p := range m.Params {
			fmt.Fprintf(&sb, "  %-24s %-20s %s\n", p.Path, p.Type, groupDigits(p.Count))
		}
	}
	for _, e := range s.Entries {
		args := make([]string, len(e.Inputs))
		for i, a := range e.Inputs {
			args[i] = a.Name + ": " + a.Type
		}
		fmt.Fprintf(&sb, "%s(%s) -> %s\n", e.Name, strings.Join(args, ", "), strings.Join(e.Results, ", "))
		switch {
		case e.PeakBytes > 0:
			fmt.Fprintf(&sb, "  FLOPs %s per call", groupDigits(e.Flops))
			if len(e.FlopsEstimated) > 0 {
				fmt.Fprintf(&sb, " (estimated for %s)", strings.Join(e.FlopsEstimated, ", "))
			}
			fmt.Fprintf(&sb, "\n  peak memory %s (%s without buffer reuse)\n", bytesString(e.PeakBytes), bytesString(e.NaiveBytes))
			if e.ScratchBytes > 0 {
				fmt.Fprintf(&sb, "  kernel scratch %s (%s with the peak memory)\n", bytesString(e.ScratchBytes), bytesString(sumBytes(e.PeakBytes, e.ScratchBytes)))
			}
			if e.MemoryLimit > 0 {
				fmt.Fprintf(&sb, "  more than the memory limit of %s: running it for these shapes would be refused\n", bytesString(e.MemoryLimit))
			}
		case len(e.Missing) > 0:
			fmt.Fprintf(&sb, "  FLOPs and peak memory: give --shapes %s=N\n", strings.Join(e.Missing, "=N,"))
		}
	}
	return sb.String()
}

// sumBytes adds two sizes from 0, saturating at math.MaxInt64.
func sumBytes(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func bytesString(b int64) string {
	switch {
	case b >= 1<<40:
		return fmt.Sprintf("%.1f TiB", float64(b)/(1<<40))
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// gradcheckTable prints gradcheck's report as an aligned table, one row per
// input and parameter, with a verdict line ("" for a nil report).
func gradcheckTable(r *nnc.GradCheckReport) string {
	if r == nil {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-24s %-6s %-18s %8s %12s %14s %14s\n", "name", "kind", "type", "checked", "max rel err", "analytic", "numeric")
	for _, c := range r.Checks {
		flag := ""
		if !(c.MaxRelErr <= r.Tol) {
			flag = "  FAIL"
		}
		fmt.Fprintf(&sb, "%-24s %-6s %-18s %8d %12.3g %14.6g %14.6g%s\n", c.Name, c.Kind, c.Type, c.Checked, c.MaxRelErr, c.Analytic, c.Numeric, flag)
	}
	verdict := "ok"
	if !r.OK {
		verdict = "FAIL"
	}
	fmt.Fprintf(&sb, "%s: %s (tolerance %g, step %g, in f64)\n", r.Entry, verdict, r.Tol, r.Eps)
	return sb.String()
}

// paramFileText renders check --params's report ("" for nil): the
// parameters' sparsity, then each tensor's zeros.
func paramFileText(pf *nnc.ParamFile) string {
	if pf == nil {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "params %s: %s parameters, %s zeros (sparsity %.4f)\n", pf.File, groupDigits(pf.Count), groupDigits(pf.Zeros), pf.Sparsity)
	for _, t := range pf.Tensors {
		what := ""
		if !t.Param {
			what = "  (not a parameter)"
		}
		fmt.Fprintf(&sb, "  %-24s %-20s %s zeros of %s, sparsity %.4f%s\n", t.Path, t.Type, groupDigits(t.Zeros), groupDigits(t.Count), t.Sparsity, what)
	}
	for _, m := range pf.Missing {
		fmt.Fprintf(&sb, "  missing: %s\n", m)
	}
	return sb.String()
}
