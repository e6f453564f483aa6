package train

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The learning-rate schedules a Schedule's Kind names.
const (
	ScheduleConstant    = "constant"
	ScheduleStep        = "step"
	ScheduleExponential = "exponential"
	ScheduleCosine      = "cosine"
	ScheduleLinear      = "linear"
	ScheduleOneCycle    = "one_cycle"
	SchedulePlateau     = "plateau"
)

// Schedule is a learning-rate schedule: its settings and its state. The
// learning rate of the next step is Rate(); the training loop calls StepDone
// after every step and EpochDone after every epoch. All the schedule
// remembers is State, so saving State in a checkpoint and setting it back
// resumes the schedule exactly.
//
// With LR the base learning rate (the optimizer's), t the steps done, e the
// epochs done and T = Epochs·StepsPerEpoch the steps of the whole run:
//
//	constant                 LR
//	step(every, gamma)       LR·gamma^⌊e/every⌋                 per epoch (torch StepLR)
//	exponential(gamma)       LR·gamma^e                         per epoch (torch ExponentialLR)
//	cosine(warmup, min_lr)   t < W: LR·(t+1)/W                  per step: a linear warmup over W
//	                         else min_lr + (LR-min_lr)·(1+cos(π·(t-W)/(T-W)))/2
//	                                                            steps, then torch CosineAnnealingLR
//	linear(warmup)           t < W: LR·(t+1)/W                  per step: the same warmup, then a
//	                         else LR·(1 - (t-W)/(T-W))          linear decay towards 0 at T
//	one_cycle(max_lr, pct)   torch OneCycleLR (cosine annealing, div_factor 25,
//	                         final_div_factor 10⁴): from max_lr/25 up to max_lr over the
//	                         first pct·T steps, then down to max_lr/25/10⁴ at step T-1;
//	                         LR is not used
//	plateau(patience,        torch ReduceLROnPlateau (threshold 10⁻⁴ relative, no
//	  factor, monitor)       cooldown): after every epoch, the monitored metric is
//	                         compared with the best so far; after more than patience
//	                         epochs without improvement, the rate is multiplied by factor
//
// Steps past T keep the rate of step T (cosine: min_lr; linear: 0;
// one_cycle: the rate of step T-1). The warmup's first steps and the rates
// are those of torch's LinearLR(start_factor=1/W, total_iters=W-1)
// followed, at milestone W, by CosineAnnealingLR(T_max=T-W, eta_min=min_lr)
// or LinearLR(1, 0, total_iters=T-W) (SequentialLR).
type Schedule struct {
	Kind string
	// LR is the base learning rate.
	LR float64
	// Every and Gamma are step's epochs between decays and the factor of
	// step and exponential.
	Every int
	Gamma float64
	// Warmup (steps) and MinLR are cosine's and linear's (Warmup only).
	Warmup int
	MinLR  float64
	// MaxLR and Pct are one_cycle's peak rate and the fraction of the
	// steps spent rising to it.
	MaxLR float64
	Pct   float64
	// Patience, Factor, Monitor and Mode are plateau's: epochs without
	// improvement tolerated, the factor applied after them, the metric
	// watched ("val_loss") and whether lower ("min") or higher ("max") is
	// better (MonitorMode(Monitor) when empty).
	Patience int
	Factor   float64
	Monitor  string
	Mode     string
	// Epochs and StepsPerEpoch give the horizon T of cosine, linear and
	// one_cycle.
	Epochs, StepsPerEpoch int

	// State is all that changes as training goes.
	State ScheduleState
}

// ScheduleState is what a schedule remembers: the steps and epochs done
// and, for plateau, the current rate, the best value of the monitored
// metric and the epochs since it improved. It marshals to JSON with the
// floats written exactly (non-finite ones as the strings "Inf", "-Inf",
// "NaN").
type ScheduleState struct {
	Steps, Epochs int64
	// Plateau only: Rate is the current rate (0 before the first step
	// means LR); Best starts at the worst value (+Inf for "min").
	Rate      float64
	Best      float64
	BadEpochs int64
}

// Plateau's fixed settings, as torch's ReduceLROnPlateau defaults.
const (
	plateauThreshold = 1e-4
	plateauEps       = 1e-8
)

// MonitorMode says whether a metric improves downwards ("min": losses,
// errors, perplexity, bits) or upwards ("max": accuracy, top-k, precision,
// recall, F1, AUC, R²), from its name with any "train_"/"val_"/"test_"
// prefix.
func MonitorMode(metric string) string {
	m := metric
	for _, p := range []string{"train_", "val_", "test_"} {
		m = strings.TrimPrefix(m, p)
	}
	for _, up := range []string{"acc", "top", "precision", "recall", "f1", "auc", "r2"} {
		if strings.HasPrefix(m, up) {
			return "max"
		}
	}
	return "min"
}

// NewSchedule checks s and returns it ready to use, its state at the
// start of training.
func NewSchedule(s Schedule) (*Schedule, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	s.State = ScheduleState{}
	s.reset()
	return &s, nil
}

func (s *Schedule) reset() {
	if s.Kind == SchedulePlateau {
		s.State.Rate = s.LR
		if s.mode() == "max" {
			s.State.Best = math.Inf(-1)
		} else {
			s.State.Best = math.Inf(1)
		}
	}
}

func (s *Schedule) mode() string {
	if s.Mode != "" {
		return s.Mode
	}
	return MonitorMode(s.Monitor)
}

// Check reports settings the schedule cannot run with.
func (s *Schedule) Check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("schedule %s: "+format, append([]any{s.Kind}, a...)...)
	}
	if s.Kind != ScheduleOneCycle && !positive(s.LR) {
		return bad("the learning rate must be positive and finite, got %v", s.LR)
	}
	horizon := func() error {
		if s.Epochs <= 0 || s.StepsPerEpoch <= 0 {
			return bad("needs the number of epochs and of steps per epoch, got %d and %d", s.Epochs, s.StepsPerEpoch)
		}
		if int64(s.Epochs) > math.MaxInt32 || int64(s.StepsPerEpoch) > math.MaxInt32 {
			return bad("%d epochs of %d steps are too many", s.Epochs, s.StepsPerEpoch)
		}
		return nil
	}
	switch s.Kind {
	case ScheduleConstant:
	case ScheduleStep:
		if s.Every <= 0 {
			return bad("every must be a positive number of epochs, got %d", s.Every)
		}
		if !(s.Gamma > 0 && s.Gamma <= 1) {
			return bad("gamma must be in (0, 1], got %v", s.Gamma)
		}
	case ScheduleExponential:
		if !(s.Gamma > 0 && s.Gamma <= 1) {
			return bad("gamma must be in (0, 1], got %v", s.Gamma)
		}
	case ScheduleCosine, ScheduleLinear:
		if err := horizon(); err != nil {
			return err
		}
		if s.Warmup < 0 || int64(s.Warmup) >= s.total() {
			return bad("warmup must be at least 0 and fewer than the %d steps of the run, got %d", s.total(), s.Warmup)
		}
		if s.Kind == ScheduleCosine && !(nonNegative(s.MinLR) && s.MinLR <= s.LR) {
			return bad("min_lr must be in [0, lr], got %v", s.MinLR)
		}
	case ScheduleOneCycle:
		if err := horizon(); err != nil {
			return err
		}
		if !positive(s.MaxLR) {
			return bad("max_lr must be positive and finite, got %v", s.MaxLR)
		}
		if !(s.Pct > 0 && s.Pct < 1) {
			return bad("pct must be in (0, 1), got %v", s.Pct)
		}
		if s.total() < 2 {
			return bad("needs at least 2 steps, got %d", s.total())
		}
	case SchedulePlateau:
		if s.Patience < 0 {
			return bad("patience must be at least 0, got %d", s.Patience)
		}
		if !(s.Factor > 0 && s.Factor < 1) {
			return bad("factor must be in (0, 1), got %v", s.Factor)
		}
		if s.Monitor == "" {
			return bad("needs the name of the metric to monitor")
		}
		if m := s.mode(); m != "min" && m != "max" {
			return bad(`mode must be "min" or "max", got %q`, m)
		}
	default:
		return fmt.Errorf("unknown schedule %q (constant, step, exponential, cosine, linear, one_cycle, plateau)", s.Kind)
	}
	return nil
}

// total is T, the steps of the whole run.
func (s *Schedule) total() int64 { return int64(s.Epochs) * int64(s.StepsPerEpoch) }

// PerEpoch reports whether the rate changes only between epochs (step,
// exponential, plateau, constant) rather than at every step.
func (s *Schedule) PerEpoch() bool {
	switch s.Kind {
	case ScheduleCosine, ScheduleLinear, ScheduleOneCycle:
		return false
	}
	return true
}

// Rate returns the learning rate of the next step.
func (s *Schedule) Rate() float64 {
	st := &s.State
	switch s.Kind {
	case ScheduleStep:
		return s.LR * math.Pow(s.Gamma, float64(st.Epochs/int64(s.Every)))
	case ScheduleExponential:
		return s.LR * math.Pow(s.Gamma, float64(st.Epochs))
	case ScheduleCosine, ScheduleLinear:
		return s.warmDecay(min(st.Steps, s.total()))
	case ScheduleOneCycle:
		return s.oneCycle(min(st.Steps, s.total()-1))
	case SchedulePlateau:
		if st.Rate == 0 {
			return s.LR
		}
		return st.Rate
	}
	return s.LR
}

// warmDecay is cosine's or linear's rate at step t ≤ T.
func (s *Schedule) warmDecay(t int64) float64 {
	w := int64(s.Warmup)
	if t < w {
		return s.LR * float64(t+1) / float64(w)
	}
	frac := float64(t-w) / float64(s.total()-w)
	if s.Kind == ScheduleLinear {
		return s.LR * (1 - frac)
	}
	return s.MinLR + (s.LR-s.MinLR)*(1+math.Cos(math.Pi*frac))/2
}

// oneCycle is torch OneCycleLR's rate at step t (two phases, cosine).
func (s *Schedule) oneCycle(t int64) float64 {
	initial := s.MaxLR / 25
	final := initial / 1e4
	end1 := s.Pct*float64(s.total()) - 1
	end2 := float64(s.total() - 1)
	anneal := func(from, to, start, end float64) float64 {
		pct := 1.0
		if end != start {
			pct = (float64(t) - start) / (end - start)
		}
		return to + (from-to)/2*(math.Cos(math.Pi*pct)+1)
	}
	if float64(t) <= end1 {
		return anneal(initial, s.MaxLR, 0, end1)
	}
	return anneal(s.MaxLR, final, end1, end2)
}

// StepDone records a finished training step.
func (s *Schedule) StepDone() { s.State.Steps++ }

// EpochDone records a finished epoch; metrics holds the epoch's measured
// metrics by name ("val_loss"), of which plateau reads Monitor (an error
// when it is missing).
func (s *Schedule) EpochDone(metrics map[string]float64) error {
	st := &s.State
	st.Epochs++
	if s.Kind != SchedulePlateau {
		return nil
	}
	cur, ok := metrics[s.Monitor]
	if !ok {
		return fmt.Errorf("schedule plateau: the monitored metric %q was not measured this epoch", s.Monitor)
	}
	if st.Rate == 0 {
		st.Rate = s.LR
	}
	var better bool
	if s.mode() == "max" {
		better = cur > st.Best*(1+plateauThreshold)
	} else {
		better = cur < st.Best*(1-plateauThreshold)
	}
	if better {
		st.Best, st.BadEpochs = cur, 0
	} else {
		st.BadEpochs++
	}
	if st.BadEpochs > int64(s.Patience) {
		if next := st.Rate * s.Factor; st.Rate-next > plateauEps {
			st.Rate = next
		}
		st.BadEpochs = 0
	}
	return nil
}

// SetState restores a state saved from a schedule of the same settings,
// checking that it is one such a schedule can reach.
func (s *Schedule) SetState(st ScheduleState) error {
	if st.Steps < 0 || st.Epochs < 0 || st.BadEpochs < 0 {
		return fmt.Errorf("schedule %s: negative counters in the saved state", s.Kind)
	}
	if s.Kind == SchedulePlateau && !(st.Rate > 0 && st.Rate <= s.LR) {
		return fmt.Errorf("schedule plateau: the saved rate %v is not in (0, %v]", st.Rate, s.LR)
	}
	s.State = st
	return nil
}

// stateJSON is ScheduleState with exact, JSON-safe floats.
type stateJSON struct {
	Steps     int64  `json:"steps"`
	Epochs    int64  `json:"epochs"`
	Rate      string `json:"rate"`
	Best      string `json:"best"`
	BadEpochs int64  `json:"bad_epochs"`
}

// MarshalJSON writes the state with each float as a string that parses
// back to the same float64 ("0.1", "Inf").
func (st ScheduleState) MarshalJSON() ([]byte, error) {
	return json.Marshal(stateJSON{st.Steps, st.Epochs, formatExact(st.Rate), formatExact(st.Best), st.BadEpochs})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (st *ScheduleState) UnmarshalJSON(b []byte) error {
	var j stateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	rate, err := parseExact(j.Rate)
	if err != nil {
		return fmt.Errorf("schedule state rate: %w", err)
	}
	best, err := parseExact(j.Best)
	if err != nil {
		return fmt.Errorf("schedule state best: %w", err)
	}
	*st = ScheduleState{j.Steps, j.Epochs, rate, best, j.BadEpochs}
	return nil
}

// formatExact writes v so that parseExact gives back the same float64.
func formatExact(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// parseExact reads formatExact's output (and "Inf", "-Inf", "NaN").
func parseExact(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseFloat(s, 64)
}
