package nnc

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Training with several seeds (TrainOptions.Seeds, the train block's
// seeds, nnc train --seeds N): the model is trained once per seed, seed
// s, s+1, ..., s+N-1 from the run's seed s (TrainOptions.Seed, else the
// block's seed, else 0), one run after the other, each exactly the run
// that Seed alone would make; then every final metric is summarized over
// the runs by its mean, sample standard deviation, minimum and maximum.

// maxSeeds bounds TrainOptions.Seeds and the block's seeds.
const maxSeeds = 10000

// SeedRun is one run of a training with several seeds.
type SeedRun struct {
	Seed    uint64             `json:"seed"`
	Metrics map[string]float64 `json:"metrics"`
	// Output is where this run's parameters were written (SeedPath of
	// TrainOptions.Output); "" when not written.
	Output string `json:"output,omitempty"`
}

// SeedStats summarizes one metric over the runs of several seeds: the
// mean, the sample standard deviation (divided by N-1, NumPy's
// std(ddof = 1)), the smallest and the largest value. A NaN in any run
// makes the mean, the deviation, the minimum and the maximum NaN.
type SeedStats struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// SeedPath is where a run with several seeds writes the file of one seed
// in place of path: ".seedN" before the extension ("p.safetensors" gives
// "p.seed3.safetensors", "run.jsonl" "run.seed3.jsonl").
func SeedPath(path string, seed uint64) string {
	ext := filepath.Ext(path)
	if strings.ContainsAny(ext, `/\`) {
		ext = ""
	}
	return strings.TrimSuffix(path, ext) + ".seed" + strconv.FormatUint(seed, 10) + ext
}

// SummarizeSeeds gives each metric's SeedStats over the values of the
// runs, the metrics that every run has. The mean is the sum in the order
// of the runs over N; the deviation the square root of the sum of the
// squared differences from the mean over N-1 (0 for one run).
func SummarizeSeeds(runs []SeedRun) map[string]SeedStats {
	if len(runs) == 0 {
		return nil
	}
	out := map[string]SeedStats{}
	for k := range runs[0].Metrics {
		vals := make([]float64, 0, len(runs))
		for _, r := range runs {
			v, ok := r.Metrics[k]
			if !ok {
				break
			}
			vals = append(vals, v)
		}
		if len(vals) == len(runs) {
			out[k] = seedStats(vals)
		}
	}
	return out
}

// seedStats computes SeedStats of vals (at least one).
func seedStats(vals []float64) SeedStats {
	n := float64(len(vals))
	var sum float64
	st := SeedStats{Min: vals[0], Max: vals[0]}
	for _, v := range vals {
		sum += v
		if math.IsNaN(v) || math.IsNaN(st.Min) {
			st.Min, st.Max = math.NaN(), math.NaN()
		} else {
			st.Min, st.Max = min(st.Min, v), max(st.Max, v)
		}
	}
	st.Mean = sum / n
	if len(vals) == 1 {
		if math.IsNaN(st.Mean) {
			st.Std = math.NaN()
		}
		return st
	}
	var sq float64
	for _, v := range vals {
		d := v - st.Mean
		sq += d * d
	}
	st.Std = math.Sqrt(sq / (n - 1))
	return st
}

// trainSeeds trains with seeds base, base+1, ..., base+n-1 (n > 1). Each
// run's parameters go to SeedPath(opts.Output, seed) and its log to
// SeedPath(opts.Log, seed). A run that fails or is cancelled ends the
// whole: the result then holds the runs done and the failed run's
// Details, its Metrics those of the runs done.
func (p *Program) trainSeeds(ctx context.Context, opts TrainOptions, ls loopSettings, n int, base uint64) (*TrainResult, error) {
	switch {
	case base > math.MaxUint64-uint64(n-1):
		return nil, &OptionError{Option: "TrainOptions.Seeds", Value: strconv.Itoa(n), Msg: fmt.Sprintf("the seeds from %d overflow a 64-bit seed", base)}
	case opts.Resume != "":
		return nil, &OptionError{Option: "TrainOptions.Resume", Value: opts.Resume, Msg: "a resume continues one run: give its seed (Seed) without Seeds"}
	case ls.ckpt != nil:
		return nil, &OptionError{Option: "TrainOptions.Seeds", Value: strconv.Itoa(n), Msg: "the checkpoint setting writes one run's checkpoints: train one seed at a time to keep them"}
	}
	res := &TrainResult{}
	for i := range n {
		seed := base + uint64(i)
		o := opts
		o.Seeds, o.Seed = 1, &seed
		if opts.Output != "" {
			o.Output = SeedPath(opts.Output, seed)
		}
		if opts.Log != "" {
			o.Log = SeedPath(opts.Log, seed)
		}
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "seed %d (%d of %d)\n", seed, i+1, n)
		}
		r, err := p.TrainContext(ctx, o)
		if r != nil {
			res.Details = r.Details
		}
		if err != nil {
			res.Spread = SummarizeSeeds(res.Seeds)
			res.Metrics = spreadMeans(res.Spread)
			return res, err
		}
		res.Seeds = append(res.Seeds, SeedRun{Seed: seed, Metrics: r.Metrics, Output: o.Output})
	}
	res.Spread = SummarizeSeeds(res.Seeds)
	res.Metrics = spreadMeans(res.Spread)
	return res, nil
}

// spreadMeans is the mean of each metric.
func spreadMeans(sp map[string]SeedStats) map[string]float64 {
	out := make(map[string]float64, len(sp))
	for k, st := range sp {
		out[k] = st.Mean
	}
	return out
}

// SpreadNames lists the metrics of a summary, sorted.
func SpreadNames(sp map[string]SeedStats) []string {
	names := make([]string, 0, len(sp))
	for k := range sp {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// seedCount reads the number of seeds (opts.Seeds, else the block's
// seeds, else 1) and the first seed (opts.Seed, else the block's seed,
// else 0).
func (p *Program) seedCount(opts *TrainOptions) (n int, base uint64, ls loopSettings, err error) {
	s, ls, err := p.trainSettings(opts)
	if err != nil {
		return 0, 0, ls, err
	}
	n = opts.Seeds
	if n == 0 {
		n = max(ls.seeds, 1)
	}
	if opts.Seed != nil {
		return n, *opts.Seed, ls, nil
	}
	v, err := s.int("seed", 0, 0)
	return n, uint64(v), ls, err
}
