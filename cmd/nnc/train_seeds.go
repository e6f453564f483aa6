package main

import (
	"fmt"
	"io"

	"github.com/nnclang/nnc"
)

// printSeeds prints a training with several seeds: each run's final line
// and where its parameters went, then every metric's mean ± sample
// standard deviation, min and max; with --json one object {"seeds":
// [{"seed", "metrics", "output"}, ...], "spread": {metric: {"mean",
// "std", "min", "max"}}}.
func printSeeds(w io.Writer, res *nnc.TrainResult, asJSON bool) error {
	if asJSON {
		return writeJSON(w, struct {
			Seeds  []nnc.SeedRun            `json:"seeds"`
			Spread map[string]nnc.SeedStats `json:"spread"`
		}{res.Seeds, res.Spread})
	}
	for _, r := range res.Seeds {
		fmt.Fprintf(w, "seed %d: %s\n", r.Seed, finalLine(r.Metrics))
		if r.Output != "" {
			fmt.Fprintf(w, "  parameters written to %s\n", r.Output)
		}
	}
	first, last := res.Seeds[0].Seed, res.Seeds[len(res.Seeds)-1].Seed
	fmt.Fprintf(w, "over %d seeds (%d to %d): mean ± standard deviation (sample), min, max\n", len(res.Seeds), first, last)
	for _, k := range nnc.SpreadNames(res.Spread) {
		st := res.Spread[k]
		fmt.Fprintf(w, "  %-24s %.4f ± %.4f  min %.4f  max %.4f\n", k, st.Mean, st.Std, st.Min, st.Max)
	}
	return nil
}
