package nnc

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	goruntime "runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nnclang/nnc/internal/cputime"
	"github.com/nnclang/nnc/lang"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// BenchOptions say what Program.Bench measures.
type BenchOptions struct {
	// Entry is the function or method to run ("f", "Model.loss").
	Entry string
	// Train benchmarks a whole training step of Entry (forward, backward
	// and the update of the model's train block, or SGD without one) as
	// Train builds it, instead of a call of Entry in inference mode.
	Train bool
	// Shapes give the entry's shape variables values (every one is
	// needed: the inputs are drawn with these shapes).
	Shapes map[string]int
	// Inputs replace the random inputs of these names.
	Inputs map[string]*Tensor
	// Rounds is the number of timed rounds (0: 10). Each round runs the
	// entry enough times to take RoundTime.
	Rounds int
	// RoundTime is the least time of one round (0: 100ms).
	RoundTime time.Duration
	// Seed seeds the parameters' initializers and the random inputs.
	Seed uint64
	// Peak runs a short f32 matrix product probe for the machine's peak
	// rate, to state the share of it the entry reaches.
	Peak bool
	// Top is the number of source lines, and of steps, the profile lists
	// (0: 10).
	Top int
	// CPUProfile, when not nil, receives a Go CPU profile (runtime/pprof's
	// format, for go tool pprof) of the timed rounds only: the kernels'
	// functions, below the ops the report's profile names.
	CPUProfile io.Writer
}

// BenchReport is what Program.Bench measured. Times are in seconds per
// call.
type BenchReport struct {
	Entry   string           `json:"entry"`
	Mode    string           `json:"mode"` // "inference" or "train"
	Shapes  map[string]int64 `json:"shapes,omitempty"`
	Threads int              `json:"threads"` // GOMAXPROCS during the runs
	Inputs  []BenchInput     `json:"inputs"`
	Rounds  int              `json:"rounds"`
	Calls   int              `json:"calls_per_round"`
	// Time is the time per call: the min, median and 90th percentile of
	// the rounds' means.
	Time BenchTime `json:"time"`
	// CPU is the process's CPU time (user and system) per call over the
	// timed rounds, every thread's together (0 where the system does not
	// report it): with more than one thread, what the call costs the
	// machine beside what it takes (pool threads waiting for the next
	// parallel kernel spin, and count).
	CPU float64 `json:"cpu_s_per_call,omitempty"`
	// Flops is the FLOP count of one call (as nnc check counts it);
	// GFlops the rate at the median time.
	Flops          int64    `json:"flops"`
	FlopsEstimated []string `json:"flops_estimated,omitempty"`
	GFlops         float64  `json:"gflops"`
	// PeakGFlops is the probe's rate (BenchOptions.Peak; 0 without), a
	// PeakProbe f32 product on Threads threads; PeakShare is GFlops / PeakGFlops.
	PeakGFlops float64 `json:"peak_gflops,omitempty"`
	PeakProbe  string  `json:"peak_probe,omitempty"`
	PeakShare  float64 `json:"peak_share,omitempty"`
	// Allocs and AllocBytes are the heap allocations of one steady call.
	Allocs     float64 `json:"allocs_per_call"`
	AllocBytes float64 `json:"alloc_bytes_per_call"`
	// PeakBytes is the plan's arena (the peak of its values);
	// ScratchBytes the kernels' own scratch.
	PeakBytes    int64 `json:"peak_bytes"`
	ScratchBytes int64 `json:"scratch_bytes"`
	// Profile is the time per op kind and per source line, from
	// separate rounds with every step timed.
	Profile BenchProfile `json:"profile"`
}

// BenchInput is one input as Bench drew it (or was given it).
type BenchInput struct {
	Name  string `json:"name"`
	Type  string `json:"type"`            // concrete: "f32[64, 64]"
	Drawn string `json:"drawn,omitempty"` // how, for random inputs: "uniform [-1, 1)", "ints [0, 10)"
}

// BenchTime is a spread of times per call, in seconds.
type BenchTime struct {
	Min    float64 `json:"min_s"`
	Median float64 `json:"median_s"`
	P90    float64 `json:"p90_s"`
}

// Bench compiles the entry for the shapes given, draws random inputs of
// the declared types, initializes the parameters from the seed, and runs
// the entry (or a training step) repeatedly after a warm-up, reporting
// the time per call, the achieved rate, allocations, memory and a profile
// by op kind and by source line. Integer inputs are drawn in the range the
// ops that read them accept where that can be read from the graph (class
// labels below the class count, ids below the table's rows, a sparse
// input's row pointers ascending and its column indices below its
// columns), else in [0, 2); give other values in opts.Inputs. The
// parameters and the caller's inputs are not changed (a training step
// updates a private copy).
func (p *Program) Bench(opts BenchOptions) (rep *BenchReport, err error) {
	defer recoverInternal(&err)
	if !p.ok() {
		return nil, errNoProgram
	}
	if opts.Entry == "" {
		return nil, fmt.Errorf("empty entry name (entries: %s)", strings.Join(p.Entries(), ", "))
	}
	if opts.Rounds <= 0 {
		opts.Rounds = 10
	}
	if opts.RoundTime <= 0 {
		opts.RoundTime = 100 * time.Millisecond
	}
	bg, err := p.benchGraph(opts)
	if err != nil {
		return nil, err
	}
	rep = &BenchReport{Entry: opts.Entry, Mode: "inference", Shapes: bg.env, Threads: goruntime.GOMAXPROCS(0),
		Flops: bg.flops.Total, FlopsEstimated: bg.flops.Estimated}
	if opts.Train {
		rep.Mode = "train"
	}
	store := runtime.NewStore()
	if err := runtime.InitParams(store, bg.g, opts.Seed); err != nil {
		return nil, err
	}
	in, err := benchInputs(bg, opts, rep)
	if err != nil {
		return nil, err
	}
	s := runtime.NewSession(bg.g, store)
	// As a Func's sessions do: weights packed once while they do not
	// change (a training step's updates still repack them every step).
	s.SetParamsFixed(true)
	plan, err := s.Plan(in...)
	if err != nil {
		return nil, err
	}
	rep.PeakBytes, rep.ScratchBytes = plan.PeakBytes(), plan.ScratchBytes()
	if err := benchTime(s, in, opts, rep); err != nil {
		return nil, err
	}
	if err := benchProfile(s, in, opts, rep); err != nil {
		return nil, err
	}
	if opts.Peak {
		if err := benchPeak(rep); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// benchGraphs is the graph Bench runs, with its shape values and FLOPs.
type benchGraphs struct {
	g      *ops.Graph
	inputs []*ops.Node // g's inputs
	env    map[string]int64
	flops  ops.FlopCount
}

// benchGraph lowers and optimizes the entry (or builds its training step)
// for the shape values of opts, which must give every shape variable of the
// entry's inputs.
func (p *Program) benchGraph(opts BenchOptions) (*benchGraphs, error) {
	types, err := p.inputTypes(opts.Entry)
	if err != nil {
		return nil, err
	}
	env := map[string]int64{}
	for k, v := range opts.Shapes {
		env[k] = int64(v)
	}
	var missing []string
	for _, t := range types {
		for _, d := range t.Shape {
			for _, v := range d.Vars() {
				if _, ok := env[v]; !ok && !slices.Contains(missing, v) {
					missing = append(missing, v)
				}
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &OptionError{Option: "BenchOptions.Shapes", Missing: true,
			Msg: "the inputs' shape variable(s) " + strings.Join(missing, ", ") + " need a value"}
	}
	bg := &benchGraphs{env: env}
	if opts.Train {
		model, fn, ok := strings.Cut(opts.Entry, ".")
		if !ok {
			return nil, &OptionError{Option: "BenchOptions.Entry", Value: opts.Entry, Msg: "a training step needs a model's method (Model.loss)"}
		}
		s, _, err := p.trainSettings(&TrainOptions{Model: model, Entry: fn})
		if err != nil {
			return nil, err
		}
		o, err := s.optimizer("", 0)
		if err != nil {
			return nil, err
		}
		so, _, err := s.stepOptions(o, &StepSettings{})
		if err != nil {
			return nil, err
		}
		fz, err := s.readFreezing(p.resolve) // the step of a frozen sub-model's block leaves it out (train_freeze.go)
		if err != nil {
			return nil, err
		}
		// The step as training builds it: the batch axis (axis 0 of the
		// inputs) symbolic, the other shape values given only when the
		// entry needs them to lower (a scan over T), as training does.
		batch := leadingVars(types)
		rest := map[string]int64{}
		for k, v := range env {
			if !batch[k] {
				rest[k] = v
			}
		}
		var bs *builtStep
		err = withShapes(nil, rest, func(sh map[string]int64) (err error) {
			bs, err = p.buildStepGraph(opts.Entry, so, stepBuild{shapes: sh, fz: fz})
			return err
		})
		if err != nil {
			return nil, err
		}
		bg.g = bs.step
	} else {
		low, err := p.lower(opts.Entry, lang.LowerOptions{Shapes: env})
		if err != nil {
			return nil, err
		}
		for i, o := range low.Outputs {
			low.B.Output(outName(i, len(low.Outputs)), o)
		}
		if bg.flops, err = ops.CountFlops(low.B.G, env); err != nil {
			return nil, err
		}
		if bg.g, err = p.optimize(low.B.G); err != nil {
			return nil, err
		}
	}
	if opts.Train {
		if bg.flops, err = ops.CountFlops(bg.g, env); err != nil {
			return nil, err
		}
	}
	bg.inputs = bg.g.Inputs()
	return bg, nil
}

// inputTypes are the declared types of the entry's inputs, from a
// lowering with the program's model arguments (the signature alone when
// the entry needs concrete shapes to lower).
func (p *Program) inputTypes(entry string) ([]ops.Type, error) {
	var types []ops.Type
	low, err := p.lower(entry, lang.LowerOptions{})
	if err == nil {
		for _, n := range low.Inputs {
			types = append(types, n.Type)
		}
		return types, nil
	}
	if !lang.NeedsShapes(err) {
		return nil, err
	}
	sig, err := p.signature(entry)
	if err != nil {
		return nil, err
	}
	for _, a := range sig {
		types = append(types, a.Type)
	}
	return types, nil
}

// benchRounds times opts.Rounds rounds of calls calls each and returns
// the seconds per call of each and the process's CPU seconds per call over
// them all (0 where it is not known), under a CPU profile into
// opts.CPUProfile when it is set.
func benchRounds(call func(uint64) error, opts BenchOptions, calls int) ([]float64, float64, error) {
	if opts.CPUProfile != nil {
		if err := pprof.StartCPUProfile(opts.CPUProfile); err != nil {
			return nil, 0, fmt.Errorf("nnc: the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	means := make([]float64, opts.Rounds)
	cpu0 := cputime.Used()
	for r := range means {
		t0 := time.Now()
		for i := range calls {
			if err := call(uint64(i)); err != nil {
				return nil, 0, err
			}
		}
		means[r] = time.Since(t0).Seconds() / float64(calls)
	}
	cpu := 0.0
	if cputime.Supported {
		cpu = (cputime.Used() - cpu0).Seconds() / float64(len(means)*calls)
	}
	return means, cpu, nil
}

// benchTime warms the session up, picks the calls per round and times the
// rounds, then counts a steady call's allocations.
func benchTime(s *runtime.Session, in []*tensor.Tensor, opts BenchOptions, rep *BenchReport) error {
	ctx := context.Background()
	call := func(seed uint64) error {
		_, err := s.RunContext(ctx, seed, in...)
		return err
	}
	// Warm up: the first call (which builds the plan and allocates its
	// arenas), then at least 3 calls and a tenth of a round.
	if err := call(0); err != nil {
		return err
	}
	start, calls := time.Now(), 0
	for calls < 3 || time.Since(start) < opts.RoundTime/10 {
		if err := call(uint64(calls)); err != nil {
			return err
		}
		calls++
	}
	per := time.Since(start) / time.Duration(calls)
	rep.Calls = max(1, int(opts.RoundTime/max(per, 1)))
	means, cpu, err := benchRounds(call, opts, rep.Calls)
	if err != nil {
		return err
	}
	rep.CPU = cpu
	rep.Rounds = len(means)
	slices.Sort(means)
	rep.Time = BenchTime{Min: means[0], Median: quantile(means, 0.5), P90: quantile(means, 0.9)}
	if rep.Time.Median > 0 {
		rep.GFlops = float64(rep.Flops) / rep.Time.Median / 1e9
	}
	n := min(max(rep.Calls, 20), 100) // enough calls that a one-off allocation averages out
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	for i := range n {
		if err := call(uint64(i)); err != nil {
			return err
		}
	}
	goruntime.ReadMemStats(&after)
	rep.Allocs = float64(after.Mallocs-before.Mallocs) / float64(n)
	rep.AllocBytes = float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
	return nil
}

// quantile is the q-quantile of sorted xs, interpolated linearly.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 1 {
		return xs[0]
	}
	f := q * float64(len(xs)-1)
	i := int(f)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[i] + (f-float64(i))*(xs[i+1]-xs[i])
}

// benchPeak times an f32 matrix product of 512×512 by 512×512 on the
// threads the entry ran on: the best of five rounds.
func benchPeak(rep *BenchReport) error {
	const n = 512
	b := ops.NewBuilder()
	t := ops.Type{DType: ops.F32, Shape: ops.ShapeOf(n, n)}
	x, y := b.Input("x", t), b.Input("y", t)
	b.Output("z", b.Must(ops.Matmul, nil, x, y))
	s := runtime.NewSession(b.G, runtime.NewStore())
	xs, ys := tensor.New(tensor.F32, n, n), tensor.New(tensor.F32, n, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range xs.F32 {
		xs.F32[i], ys.F32[i] = r.Float32(), r.Float32()
	}
	best := time.Duration(1<<63 - 1)
	for round := range 6 {
		t0 := time.Now()
		for range 4 {
			if _, err := s.Run(0, xs, ys); err != nil {
				return err
			}
		}
		if d := time.Since(t0) / 4; round > 0 && d < best { // round 0 warms up
			best = d
		}
	}
	rep.PeakProbe = fmt.Sprintf("f32 matmul %d×%d×%d, best of 5 rounds", n, n, n)
	rep.PeakGFlops = 2 * n * n * n / best.Seconds() / 1e9
	if rep.PeakGFlops > 0 {
		rep.PeakShare = rep.GFlops / rep.PeakGFlops
	}
	return nil
}
