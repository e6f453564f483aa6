package nnc

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainSeedsBitwise: a training with Seeds 3 from seed 4 is the runs
// of seeds 4, 5 and 6 trained one at a time: each run's final metrics and
// its parameters file (-o's P.seedK.safetensors) are bitwise those of the
// separate run with Seed K and Output P; its Spread is SummarizeSeeds of
// those runs, and its Metrics their means. The block's seeds = 3 does the
// same as the option, and Seeds 1 overrides it (one run, no summary).
func TestTrainSeedsBitwise(t *testing.T) {
	file := tinyModel(t, `    data = "d.csv"
    epochs = 3
    batch = 10
    seed = 4
    metrics = ["accuracy", "f1"]`)
	p, err := CompileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := p.Train(TrainOptions{Seeds: 3, Output: filepath.Join(dir, "p.safetensors")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Seeds) != 3 {
		t.Fatalf("%d runs, want 3", len(res.Seeds))
	}
	for i, r := range res.Seeds {
		seed := uint64(4 + i)
		if r.Seed != seed {
			t.Errorf("run %d has seed %d, want %d", i, r.Seed, seed)
		}
		one := filepath.Join(dir, "one.safetensors")
		alone, err := p.Train(TrainOptions{Seed: &seed, Output: one})
		if err != nil {
			t.Fatal(err)
		}
		if len(alone.Metrics) != len(r.Metrics) || len(r.Metrics) < 6 {
			t.Errorf("seed %d: metrics %v, alone %v", seed, r.Metrics, alone.Metrics)
		}
		for k, v := range alone.Metrics {
			if math.Float64bits(r.Metrics[k]) != math.Float64bits(v) {
				t.Errorf("seed %d: %s = %v, alone %v", seed, k, r.Metrics[k], v)
			}
		}
		if want := filepath.Join(dir, "p.seed"+string(rune('0'+seed))+".safetensors"); r.Output != want {
			t.Errorf("seed %d written to %q, want %q", seed, r.Output, want)
		}
		a, errA := os.ReadFile(r.Output)
		b, errB := os.ReadFile(one)
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("seed %d: parameters differ from the run alone (%v, %v)", seed, errA, errB)
		}
	}
	if a, b := res.Seeds[0].Metrics["test_loss"], res.Seeds[1].Metrics["test_loss"]; a == b {
		t.Errorf("seeds 4 and 5 reach the same test loss %v: the seed is not used", a)
	}
	sum := SummarizeSeeds(res.Seeds)
	if len(sum) != len(res.Spread) || len(sum) != len(res.Seeds[0].Metrics) {
		t.Errorf("spread of %d metrics, summary %d", len(res.Spread), len(sum))
	}
	for k, st := range sum {
		if res.Spread[k] != st || res.Metrics[k] != st.Mean {
			t.Errorf("%s: spread %+v, mean %v; summary %+v", k, res.Spread[k], res.Metrics[k], st)
		}
	}

	blockFile := tinyModel(t, `    data = "d.csv"
    epochs = 3
    batch = 10
    seed = 4
    seeds = 3
    metrics = ["accuracy", "f1"]`)
	pb, err := CompileFile(blockFile)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := pb.Train(TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k, st := range res.Spread {
		if rb.Spread[k] != st {
			t.Errorf("block seeds = 3: %s %+v, option %+v", k, rb.Spread[k], st)
		}
	}
	r1, err := pb.Train(TrainOptions{Seeds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Seeds != nil || r1.Metrics["test_loss"] != res.Seeds[0].Metrics["test_loss"] {
		t.Errorf("Seeds 1 over the block's 3: %d runs, test loss %v", len(r1.Seeds), r1.Metrics["test_loss"])
	}
}

// TestTrainSeedsErrors: a number of seeds out of range (option or block),
// a resume or the checkpoint setting with several seeds, and seeds that
// overflow 64 bits are errors before any training.
func TestTrainSeedsErrors(t *testing.T) {
	p, err := CompileFile(tinyModel(t, `    data = "d.csv"`))
	if err != nil {
		t.Fatal(err)
	}
	big := uint64(math.MaxUint64 - 1)
	for _, c := range []struct {
		o    TrainOptions
		want string
	}{
		{TrainOptions{Seeds: -1}, "TrainOptions.Seeds is -1"},
		{TrainOptions{Seeds: maxSeeds + 1}, "TrainOptions.Seeds is 10001"},
		{TrainOptions{Seeds: 2, Resume: "x.safetensors"}, "a resume continues one run"},
		{TrainOptions{Seeds: 2, Checkpoint: "checkpoint(every = 1)"}, "train one seed at a time"},
		{TrainOptions{Seeds: 3, Seed: &big}, "overflow a 64-bit seed"},
	} {
		_, err := p.Train(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.o, err, c.want)
		}
	}
	pb, err := CompileFile(tinyModel(t, `    data = "d.csv"
    seeds = 0`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pb.Train(TrainOptions{})
	var list ErrorList
	if !errors.As(err, &list) || !strings.Contains(err.Error(), "m.nn:15:13: train M: seeds: want a number of seeds from 1 to 10000, got 0") {
		t.Errorf("seeds = 0: err = %v", err)
	}
}

// TestSeedPath: the file of one seed has .seedN before the extension.
func TestSeedPath(t *testing.T) {
	for in, want := range map[string]string{
		"p.safetensors":        "p.seed3.safetensors",
		"out/run.jsonl":        "out/run.seed3.jsonl",
		"params":               "params.seed3",
		"a.b/params":           "a.b/params.seed3",
		"dir.v2/m.safetensors": "dir.v2/m.seed3.safetensors",
	} {
		if got := SeedPath(in, 3); got != want {
			t.Errorf("SeedPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSummarizeSeedsNumPy compares SummarizeSeeds with NumPy's mean,
// std(ddof=1), min and max (testdata/seeds/make_spread_reference.py) on
// made-up values: equal within 2 ulp (NumPy sums 8 or more values
// pairwise, SummarizeSeeds in order; the min and max exactly). One run's
// deviation is 0 by SummarizeSeeds's rule (NumPy's is NaN), and a NaN
// run makes every figure NaN.
func TestSummarizeSeedsNumPy(t *testing.T) {
	b, err := os.ReadFile("testdata/seeds/spread_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]struct {
		Values              []any
		Mean, Std, Min, Max any
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	num := func(v any) float64 {
		if v == "NaN" {
			return math.NaN()
		}
		return v.(float64)
	}
	for name, c := range ref {
		var runs []SeedRun
		for i, v := range c.Values {
			runs = append(runs, SeedRun{Seed: uint64(i), Metrics: map[string]float64{"m": num(v)}})
		}
		got := SummarizeSeeds(runs)["m"]
		for _, f := range []struct {
			what      string
			got, want float64
			ulps      float64
		}{{"mean", got.Mean, num(c.Mean), 2}, {"std", got.Std, num(c.Std), 2}, {"min", got.Min, num(c.Min), 0}, {"max", got.Max, num(c.Max), 0}} {
			if math.IsNaN(f.want) != math.IsNaN(f.got) || math.Abs(f.got-f.want) > f.ulps*ulp(f.want) {
				t.Errorf("%s: %s = %v, NumPy %v", name, f.what, f.got, f.want)
			}
		}
	}
	if len(ref) != 7 {
		t.Errorf("%d cases, want 7", len(ref))
	}
}

// ulp is the spacing of float64 values at v.
func ulp(v float64) float64 {
	return math.Nextafter(math.Abs(v), math.Inf(1)) - math.Abs(v)
}
