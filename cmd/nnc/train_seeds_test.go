package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedsModel is a small digits classifier with dropout, 2 epochs.
const seedsModel = `import "std/nn"

model Net {
    l1   = nn.Dense(64, 16)
    head = nn.Dense(16, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        return head(dropout(relu(l1(x)), 0.2))
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train Net {
    data   = "digits"
    batch  = 64
    epochs = 2
}
`

// TestTrainSeedsCLI: nnc train --seeds 3 --seed 2 --json gives each run's
// metrics, bitwise those of nnc train --seed K --json, and the spread of
// each metric, which the text form prints too; -o writes P.seedK files.
// --seeds 0 is a usage error.
func TestTrainSeedsCLI(t *testing.T) {
	m := writeFile(t, "net.nn", seedsModel)
	out := filepath.Join(filepath.Dir(m), "p.safetensors")
	stdout, stderr, code := nncCmd(t, "train", m, "--seeds", "3", "--seed", "2", "--json", "--quiet", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Seeds []struct {
			Seed    uint64
			Metrics map[string]float64
			Output  string
		}
		Spread map[string]struct{ Mean, Std, Min, Max float64 }
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(got.Seeds) != 3 || len(got.Spread) == 0 {
		t.Fatalf("output %s", stdout)
	}
	for i, r := range got.Seeds {
		seed := []string{"2", "3", "4"}[i]
		if r.Seed != uint64(2+i) || r.Output != filepath.Join(filepath.Dir(m), "p.seed"+seed+".safetensors") {
			t.Errorf("run %d: seed %d, output %q", i, r.Seed, r.Output)
		}
		if _, err := os.Stat(r.Output); err != nil {
			t.Error(err)
		}
		one, stderr, code := nncCmd(t, "train", m, "--seed", seed, "--json", "--quiet")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var alone map[string]float64
		if err := json.Unmarshal([]byte(one), &alone); err != nil {
			t.Fatal(err)
		}
		for k, v := range alone {
			if math.Float64bits(r.Metrics[k]) != math.Float64bits(v) {
				t.Errorf("seed %s: %s = %v, alone %v", seed, k, r.Metrics[k], v)
			}
		}
	}
	acc := got.Spread["test_accuracy"]
	if !(acc.Min <= acc.Mean && acc.Mean <= acc.Max && acc.Std >= 0) {
		t.Errorf("test accuracy spread %+v", acc)
	}
	text, stderr, code := nncCmd(t, "train", m, "--seeds", "3", "--seed", "2", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"seed 2: test accuracy ", "seed 4: test accuracy ", "over 3 seeds (2 to 4): mean ± standard deviation (sample), min, max", "  test_accuracy "} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
	if _, stderr, code := nncCmd(t, "train", m, "--seeds", "0"); code != 2 || !strings.Contains(stderr, "--seeds") {
		t.Errorf("--seeds 0: exit %d, %s", code, stderr)
	}
}
