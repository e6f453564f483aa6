package main

import (
	"bytes"
	"fmt"
	"io"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/nnclang/nnc"
)

// cmdBench is nnc bench: time per call, rate, allocations, memory and a
// profile by op and by source line of one entry or training step.
func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench")
	shapes := shapesFlag{}
	fs.Var(shapes, "shapes", "values of the entry's shape variables, e.g. B=64,T=128 (all are needed)")
	entry := fs.String("entry", "", "the function or method to run (M.loss)")
	trainStep := fs.Bool("train", false, "time a whole training step (forward, backward, update) as nnc train builds it")
	threads := fs.Int("threads", 0, "threads the kernels use (default: GOMAXPROCS)")
	rounds := fs.Int("rounds", 10, "timed rounds")
	roundTime := fs.Duration("round-time", 100*time.Millisecond, "least time of one round")
	peak := fs.Bool("peak", true, "probe the machine's f32 matmul rate to state the share of it reached")
	top := fs.Int("top", 10, "source lines, and steps, the profile lists")
	seed := fs.Uint64("seed", 0, "seed of the parameters and the random inputs")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the timed rounds to this file (go tool pprof reads it)")
	var ins listFlag
	fs.Var(&ins, "in", "an input, NAME=VALUE (inline JSON or .npy), instead of random values (repeatable)")
	memoryFlag(fs, memoryHelp)
	file, err := parseFile(fs, args, stderr)
	if err != nil {
		return err
	}
	if *entry == "" {
		return usagef("--entry is required (a function f or a method Model.fn)")
	}
	if *threads < 0 || *rounds < 1 || *roundTime <= 0 || *top < 1 {
		return usagef("--threads wants a count from 0, --rounds and --top from 1, --round-time a positive duration")
	}
	if _, err := setMemoryLimit(fs); err != nil {
		return err
	}
	p, err := compileFile(file)
	if err != nil {
		return err
	}
	opts := nnc.BenchOptions{Entry: *entry, Train: *trainStep, Shapes: shapes, Rounds: *rounds,
		RoundTime: *roundTime, Peak: *peak, Top: *top, Seed: *seed}
	if len(ins) > 0 {
		f, err := p.Func(*entry)
		if err != nil {
			return err
		}
		if opts.Inputs, err = someInputs(f, ins); err != nil {
			return err
		}
	}
	if *threads > 0 {
		defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(*threads))
	}
	var prof bytes.Buffer
	if *cpuProfile != "" {
		if err := nnc.CheckOutput(*cpuProfile); err != nil { // before the timing, not after
			return err
		}
		opts.CPUProfile = &prof
	}
	rep, err := p.Bench(opts)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		if err := nnc.WriteFile(*cpuProfile, prof.Bytes()); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	fmt.Fprint(stdout, benchText(file, rep))
	return nil
}

// benchText is the report as nnc bench prints it.
func benchText(file string, r *nnc.BenchReport) string {
	var b strings.Builder
	threads := "threads"
	if r.Threads == 1 {
		threads = "thread"
	}
	fmt.Fprintf(&b, "%s %s (%s), %d %s\n", file, r.Entry, r.Mode, r.Threads, threads)
	for _, in := range r.Inputs {
		drawn := "given"
		if in.Drawn != "" {
			drawn = in.Drawn
		}
		fmt.Fprintf(&b, "  input %s %s: %s\n", in.Name, in.Type, drawn)
	}
	fmt.Fprintf(&b, "time per call  min %s  median %s  p90 %s  (%d rounds of %d calls)\n",
		ms(r.Time.Min), ms(r.Time.Median), ms(r.Time.P90), r.Rounds, r.Calls)
	if r.CPU > 0 && r.Time.Median > 0 {
		fmt.Fprintf(&b, "cpu time       %s per call (all threads), %.2f× the median time\n", ms(r.CPU), r.CPU/r.Time.Median)
	}
	fmt.Fprintf(&b, "compute        %s per call, %.2f GFLOP/s at the median", flopsText(r.Flops), r.GFlops)
	if r.PeakGFlops > 0 {
		fmt.Fprintf(&b, ", %.1f%% of %.0f GFLOP/s (%s)", 100*r.PeakShare, r.PeakGFlops, r.PeakProbe)
	}
	b.WriteString("\n")
	if len(r.FlopsEstimated) > 0 {
		fmt.Fprintf(&b, "               (counted roughly: %s)\n", strings.Join(r.FlopsEstimated, ", "))
	}
	fmt.Fprintf(&b, "allocations    %.1f per call (%s)\n", r.Allocs, bytesString(int64(r.AllocBytes)))
	fmt.Fprintf(&b, "memory         plan peak %s, kernel scratch %s\n", bytesString(r.PeakBytes), bytesString(r.ScratchBytes))
	pr := r.Profile
	fmt.Fprintf(&b, "\nprofile by op (every step timed: %s per call, %.0f%% of it inside the steps)\n", ms(pr.Time), 100*pr.Covered)
	fmt.Fprintf(&b, "  %6s  %10s  %5s  %-20s  %s\n", "share", "per call", "steps", "op", "hottest line")
	for _, o := range pr.Ops {
		hot := o.Hottest
		if hot == "" {
			hot = "(no source position)"
		}
		fmt.Fprintf(&b, "  %5.1f%%  %10s  %5d  %-20s  %s\n", 100*o.Share, ms(o.Time), o.Steps, o.Op, hot)
	}
	fmt.Fprintf(&b, "\nprofile by source line (top %d)\n", len(pr.Lines))
	for _, l := range pr.Lines {
		where, text := "(no source position)", "optimizer updates and other generated steps"
		if l.Line > 0 {
			where, text = fmt.Sprintf("%s:%d", l.File, l.Line), l.Text
		}
		fmt.Fprintf(&b, "  %5.1f%%  %10s  %-24s  %s  [%s]\n", 100*l.Share, ms(l.Time), where, text, strings.Join(l.Ops, " "))
	}
	fmt.Fprintf(&b, "\nslowest steps (top %d)\n", len(pr.Steps))
	fmt.Fprintf(&b, "  %6s  %10s  %8s  %-24s  %s\n", "share", "per call", "GFLOP/s", "line", "step")
	for _, s := range pr.Steps {
		where, rate := "(no source position)", "-"
		if s.Line > 0 {
			where = fmt.Sprintf("%s:%d", s.File, s.Line)
		}
		if s.GFlops > 0 {
			rate = fmt.Sprintf("%.1f", s.GFlops)
		}
		fmt.Fprintf(&b, "  %5.1f%%  %10s  %8s  %-24s  %s\n", 100*s.Share, ms(s.Time), rate, where, s.Call)
	}
	return b.String()
}

// ms prints seconds as milliseconds (microseconds below 0.1 ms).
func ms(s float64) string {
	if s < 1e-4 {
		return fmt.Sprintf("%.1f µs", s*1e6)
	}
	return fmt.Sprintf("%.3f ms", s*1e3)
}

// flopsText prints a FLOP count with a unit.
func flopsText(f int64) string {
	switch {
	case f >= 1e9:
		return fmt.Sprintf("%.2f GFLOP", float64(f)/1e9)
	case f >= 1e6:
		return fmt.Sprintf("%.2f MFLOP", float64(f)/1e6)
	case f >= 1e3:
		return fmt.Sprintf("%.2f kFLOP", float64(f)/1e3)
	}
	return fmt.Sprintf("%d FLOP", f)
}
