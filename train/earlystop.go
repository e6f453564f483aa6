package train

import (
	"encoding/json"
	"fmt"
	"math"
)

// EarlyStop ends training when a monitored metric has stopped improving,
// as Keras's EarlyStopping does. After every epoch, the metric's value v
// is compared with the best so far: it improves when v + MinDelta < best
// (Mode "min") or v - MinDelta > best ("max"), computed in float64 as
// Keras computes it; the first epoch always improves. An epoch that improves sets the count of epochs without
// improvement to 0, any other adds 1, and training stops after the epoch
// at which the count reaches Patience (Patience 0 stops at the first epoch
// that does not improve). With RestoreBest, the parameters and states of
// the best epoch are put back when training ends, whether it stopped early
// or ran all its epochs.
type EarlyStop struct {
	// Monitor names an epoch metric ("val_loss", "val_accuracy").
	Monitor string
	// Patience is the number of epochs without improvement tolerated.
	Patience int
	// MinDelta is the least change that counts as an improvement (≥ 0).
	MinDelta float64
	// RestoreBest puts back the best epoch's parameters at the end.
	RestoreBest bool
	// Mode is "min" or "max"; empty: MonitorMode(Monitor).
	Mode string

	// State is all that changes as training goes.
	State EarlyStopState
}

// EarlyStopState is what early stopping remembers: the best value, the
// epoch (from 1) where it was reached (0: none yet), the epochs since and
// whether training was stopped.
type EarlyStopState struct {
	Best      float64
	BestEpoch int64
	Wait      int64
	Stopped   bool
}

// maxPatience bounds patience (a count of epochs).
const maxPatience = 1 << 30

// Check reports settings early stopping cannot run with.
func (s *EarlyStop) Check() error {
	switch {
	case s.Monitor == "":
		return fmt.Errorf("early_stop: needs the name of the metric to monitor")
	case s.Patience < 0 || s.Patience > maxPatience:
		return fmt.Errorf("early_stop: patience must be a number of epochs from 0 to %d, got %d", maxPatience, s.Patience)
	case !nonNegative(s.MinDelta):
		return fmt.Errorf("early_stop: min_delta must be non-negative and finite, got %v", s.MinDelta)
	}
	if m := s.mode(); m != "min" && m != "max" {
		return fmt.Errorf(`early_stop: mode must be "min" or "max", got %q`, m)
	}
	return nil
}

func (s *EarlyStop) mode() string {
	if s.Mode != "" {
		return s.Mode
	}
	return MonitorMode(s.Monitor)
}

// Reset sets the state of a run that has not started.
func (s *EarlyStop) Reset() { s.State = EarlyStopState{} }

// Update records epoch's metrics: it reports whether the monitored value
// improved on the best so far and whether training should stop now. A
// metric that was not measured, or is NaN, is an error: a monitor that
// never sees a value would never stop anything.
func (s *EarlyStop) Update(epoch int, metrics map[string]float64) (improved, stop bool, err error) {
	v, ok := metrics[s.Monitor]
	if !ok {
		return false, false, fmt.Errorf("early_stop: the monitored metric %q was not measured this epoch (measured: %s)", s.Monitor, metricKeys(metrics))
	}
	if math.IsNaN(v) {
		return false, false, fmt.Errorf("early_stop: the monitored metric %q is NaN at epoch %d", s.Monitor, epoch)
	}
	st := &s.State
	switch {
	case st.BestEpoch == 0:
		improved = true
	case s.mode() == "max":
		improved = v-s.MinDelta > st.Best
	default:
		improved = v+s.MinDelta < st.Best
	}
	if improved {
		st.Best, st.BestEpoch, st.Wait = v, int64(epoch), 0
	} else {
		st.Wait++
	}
	if st.Wait > 0 && st.Wait >= int64(s.Patience) {
		st.Stopped = true
	}
	return improved, st.Stopped, nil
}

// earlyStopJSON is EarlyStopState with exact, JSON-safe floats.
type earlyStopJSON struct {
	Best      string `json:"best"`
	BestEpoch int64  `json:"best_epoch"`
	Wait      int64  `json:"wait"`
	Stopped   bool   `json:"stopped"`
}

// MarshalJSON writes the state with the best value exactly.
func (st EarlyStopState) MarshalJSON() ([]byte, error) {
	return json.Marshal(earlyStopJSON{formatExact(st.Best), st.BestEpoch, st.Wait, st.Stopped})
}

// UnmarshalJSON reads what MarshalJSON writes, refusing negative counts.
func (st *EarlyStopState) UnmarshalJSON(b []byte) error {
	var j earlyStopJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	best, err := parseExact(j.Best)
	if err != nil {
		return fmt.Errorf("early stopping state: best: %w", err)
	}
	if j.BestEpoch < 0 || j.Wait < 0 {
		return fmt.Errorf("early stopping state: negative counts")
	}
	*st = EarlyStopState{best, j.BestEpoch, j.Wait, j.Stopped}
	return nil
}
