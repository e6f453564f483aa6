package train

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// scheduleCase is one case of testdata/schedule_reference.json, made by
// testdata/make_schedule_reference.py with torch.optim.lr_scheduler.
type scheduleCase struct {
	Kind          string    `json:"kind"`
	LR            float64   `json:"lr"`
	Every         int       `json:"every"`
	Gamma         float64   `json:"gamma"`
	Warmup        int       `json:"warmup"`
	MinLR         float64   `json:"min_lr"`
	MaxLR         float64   `json:"max_lr"`
	Pct           float64   `json:"pct"`
	Patience      int       `json:"patience"`
	Factor        float64   `json:"factor"`
	Monitor       string    `json:"monitor"`
	Epochs        int       `json:"epochs"`
	StepsPerEpoch int       `json:"steps_per_epoch"`
	Per           string    `json:"per"`
	Metrics       []float64 `json:"metrics"`
	Rates         []float64 `json:"rates"`
}

func loadScheduleCases(t *testing.T) []scheduleCase {
	t.Helper()
	b, err := os.ReadFile("testdata/schedule_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases []scheduleCase }
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 15 {
		t.Fatalf("%d reference cases, want at least 15", len(ref.Cases))
	}
	return ref.Cases
}

func (c scheduleCase) schedule(t *testing.T) *Schedule {
	t.Helper()
	s, err := NewSchedule(Schedule{Kind: c.Kind, LR: c.LR, Every: c.Every, Gamma: c.Gamma, Warmup: c.Warmup,
		MinLR: c.MinLR, MaxLR: c.MaxLR, Pct: c.Pct, Patience: c.Patience, Factor: c.Factor,
		Monitor: c.Monitor, Epochs: c.Epochs, StepsPerEpoch: c.StepsPerEpoch})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// advance moves s past unit i (a step or an epoch, as the case defines).
func (c scheduleCase) advance(t *testing.T, s *Schedule, i int) {
	t.Helper()
	if c.Per == "step" {
		s.StepDone()
		return
	}
	m := map[string]float64{}
	if c.Metrics != nil {
		m[c.Monitor] = c.Metrics[i]
	}
	if err := s.EpochDone(m); err != nil {
		t.Fatal(err)
	}
}

// TestScheduleTorch compares every rate of each schedule with torch's
// sequence (StepLR, ExponentialLR, LinearLR+CosineAnnealingLR,
// LinearLR+LinearLR, OneCycleLR, ReduceLROnPlateau), to 1e-12 relative.
func TestScheduleTorch(t *testing.T) {
	for ci, c := range loadScheduleCases(t) {
		s := c.schedule(t)
		if got := s.PerEpoch(); got != (c.Per == "epoch") {
			t.Errorf("case %d %s: PerEpoch %v", ci, c.Kind, got)
		}
		for i, want := range c.Rates {
			got := s.Rate()
			if math.Abs(got-want) > 1e-12*math.Abs(want)+1e-18 {
				t.Fatalf("case %d %s: rate %d is %.17g, torch %.17g", ci, c.Kind, i, got, want)
			}
			c.advance(t, s, i)
		}
	}
}

// TestScheduleResume stops each schedule halfway, saves its state as JSON,
// restores it in a fresh schedule and checks that the rest of the rates
// are bitwise those of the uninterrupted schedule.
func TestScheduleResume(t *testing.T) {
	for ci, c := range loadScheduleCases(t) {
		full := c.schedule(t)
		var want []float64
		for i := range c.Rates {
			want = append(want, full.Rate())
			c.advance(t, full, i)
		}
		half := len(c.Rates) / 2
		a := c.schedule(t)
		for i := 0; i < half; i++ {
			c.advance(t, a, i)
		}
		b, err := json.Marshal(a.State)
		if err != nil {
			t.Fatal(err)
		}
		var st ScheduleState
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		r := c.schedule(t)
		if err := r.SetState(st); err != nil {
			t.Fatalf("case %d: %v", ci, err)
		}
		for i := half; i < len(c.Rates); i++ {
			if got := r.Rate(); math.Float64bits(got) != math.Float64bits(want[i]) {
				t.Fatalf("case %d %s: resumed rate %d is %v, uninterrupted %v (state %s)", ci, c.Kind, i, got, want[i], b)
			}
			c.advance(t, r, i)
		}
	}
}

// TestScheduleStateJSON checks that non-finite floats survive the JSON
// form exactly.
func TestScheduleStateJSON(t *testing.T) {
	for _, v := range []float64{math.Inf(1), math.Inf(-1), 0.1, 1e-300, 5e-324, -0.0} {
		st := ScheduleState{Steps: 7, Epochs: 2, Rate: 0.1 / 3, Best: v, BadEpochs: 1}
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		var back ScheduleState
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(back.Best) != math.Float64bits(v) || back.Rate != st.Rate || back.Steps != 7 || back.Epochs != 2 || back.BadEpochs != 1 {
			t.Errorf("%v: %s read back as %+v", v, b, back)
		}
	}
	var st ScheduleState
	if err := json.Unmarshal([]byte(`{"rate":"x"}`), &st); err == nil {
		t.Error("a rate that is not a number was accepted")
	}
}

// TestSchedulePastHorizon checks the rates after the T steps a schedule was
// built for: cosine stays at min_lr, linear at 0, one_cycle at its last
// rate.
func TestSchedulePastHorizon(t *testing.T) {
	mk := func(s Schedule) *Schedule {
		s.Epochs, s.StepsPerEpoch = 2, 5
		r, err := NewSchedule(s)
		if err != nil {
			t.Fatal(err)
		}
		r.State.Steps = 1000
		return r
	}
	if got := mk(Schedule{Kind: "cosine", LR: 0.1, Warmup: 2, MinLR: 0.01}).Rate(); got != 0.01 {
		t.Errorf("cosine past T: %v, want 0.01", got)
	}
	if got := mk(Schedule{Kind: "linear", LR: 0.1, Warmup: 2}).Rate(); got != 0 {
		t.Errorf("linear past T: %v, want 0", got)
	}
	oc := mk(Schedule{Kind: "one_cycle", MaxLR: 1, Pct: 0.3})
	last := oc.Rate()
	oc.State.Steps = 9
	if want := oc.Rate(); last != want || math.Abs(want-1.0/25/1e4) > 1e-18 {
		t.Errorf("one_cycle past T: %v, at T-1: %v, want %v", last, want, 1.0/25/1e4)
	}
}

// TestScheduleCheck lists settings each schedule refuses.
func TestScheduleCheck(t *testing.T) {
	h := func(s Schedule) Schedule { s.Epochs, s.StepsPerEpoch = 3, 10; return s }
	for _, c := range []struct {
		s    Schedule
		want string
	}{
		{Schedule{Kind: "constant", LR: 0}, "learning rate"},
		{Schedule{Kind: "constant", LR: math.Inf(1)}, "learning rate"},
		{Schedule{Kind: "warm", LR: 0.1}, "unknown schedule"},
		{Schedule{Kind: "step", LR: 0.1, Every: 0, Gamma: 0.5}, "every"},
		{Schedule{Kind: "step", LR: 0.1, Every: 2, Gamma: 1.5}, "gamma"},
		{Schedule{Kind: "exponential", LR: 0.1, Gamma: math.NaN()}, "gamma"},
		{Schedule{Kind: "cosine", LR: 0.1}, "number of epochs"},
		{h(Schedule{Kind: "cosine", LR: 0.1, Warmup: 30}), "warmup"},
		{h(Schedule{Kind: "cosine", LR: 0.1, Warmup: -1}), "warmup"},
		{h(Schedule{Kind: "cosine", LR: 0.1, MinLR: 0.2}), "min_lr"},
		{h(Schedule{Kind: "linear", LR: 0.1, Warmup: 31}), "warmup"},
		{h(Schedule{Kind: "one_cycle", MaxLR: 0, Pct: 0.3}), "max_lr"},
		{h(Schedule{Kind: "one_cycle", MaxLR: 1, Pct: 1}), "pct"},
		{Schedule{Kind: "one_cycle", MaxLR: 1, Pct: 0.5, Epochs: 1, StepsPerEpoch: 1}, "at least 2 steps"},
		{Schedule{Kind: "one_cycle", MaxLR: 1, Pct: 0.5, Epochs: 1 << 40, StepsPerEpoch: 1 << 40}, "too many"},
		{Schedule{Kind: "plateau", LR: 0.1, Factor: 0.5}, "metric to monitor"},
		{Schedule{Kind: "plateau", LR: 0.1, Factor: 1, Monitor: "val_loss"}, "factor"},
		{Schedule{Kind: "plateau", LR: 0.1, Factor: 0.5, Patience: -1, Monitor: "val_loss"}, "patience"},
		{Schedule{Kind: "plateau", LR: 0.1, Factor: 0.5, Monitor: "val_loss", Mode: "up"}, "mode"},
	} {
		_, err := NewSchedule(c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.s, err, c.want)
		}
	}
}

// TestSchedulePlateauMissingMetric checks that plateau reports a monitored
// metric the epoch did not measure, and that SetState refuses a rate
// above the base rate.
func TestSchedulePlateauMissingMetric(t *testing.T) {
	s, err := NewSchedule(Schedule{Kind: "plateau", LR: 0.1, Factor: 0.5, Monitor: "val_loss"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EpochDone(map[string]float64{"train_loss": 1}); err == nil || !strings.Contains(err.Error(), `"val_loss"`) {
		t.Errorf("missing metric: %v", err)
	}
	if err := s.SetState(ScheduleState{Rate: 0.2}); err == nil {
		t.Error("a saved rate above lr was accepted")
	}
	if err := s.SetState(ScheduleState{Steps: -1, Rate: 0.1}); err == nil {
		t.Error("a negative step count was accepted")
	}
}

// TestMonitorMode checks which metrics improve upwards.
func TestMonitorMode(t *testing.T) {
	for name, want := range map[string]string{
		"val_loss": "min", "train_loss": "min", "val_accuracy": "max", "val_top5_accuracy": "max",
		"test_f1_macro": "max", "val_auc": "max", "val_r2": "max", "val_rmse": "min", "val_perplexity": "min",
		"val_precision_macro": "max", "val_recall_macro": "max", "val_mae": "min", "val_bits_per_token": "min",
	} {
		if got := MonitorMode(name); got != want {
			t.Errorf("MonitorMode(%q) = %s, want %s", name, got, want)
		}
	}
}
