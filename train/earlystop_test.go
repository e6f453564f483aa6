package train

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestEarlyStopArithmetic feeds sequences of a monitored metric and
// checks, epoch by epoch, what improves and when training stops, against
// the rule worked out by hand (Keras's EarlyStopping: an improvement is
// v + min_delta < best for a loss, v - min_delta > best for an accuracy,
// in float64; the count of epochs without improvement stops training
// when it reaches patience).
func TestEarlyStopArithmetic(t *testing.T) {
	for _, c := range []struct {
		name      string
		es        EarlyStop
		values    []float64
		improved  string // per epoch: + improved, . not
		stopAt    int    // the epoch after which training stops (0: never)
		bestEpoch int64
	}{
		// 1.0 first; 0.95+0.1 = 1.05 ≮ 1.0; 0.85+0.1 = 0.95 < 1.0;
		// 0.9+0.1 ≮ 0.85; 0.76+0.1 = 0.86 ≮ 0.85: two epochs without
		// improvement reach patience 2 at epoch 5.
		{"loss", EarlyStop{Monitor: "val_loss", Patience: 2, MinDelta: 0.1},
			[]float64{1.0, 0.95, 0.85, 0.9, 0.76, 0.1}, "+.+..", 5, 3},
		// Without min_delta any decrease improves; equal values do not.
		{"strict", EarlyStop{Monitor: "val_loss", Patience: 1},
			[]float64{0.5, 0.4, 0.4, 0.3}, "++.", 3, 2},
		// Patience 0 stops at the first epoch that does not improve.
		{"patience0", EarlyStop{Monitor: "val_loss"},
			[]float64{3, 2, 1, 1.5, 0}, "+++.", 4, 3},
		// An accuracy improves upwards: 0.5; 0.52-0.05 = 0.47 ≯ 0.5;
		// 0.56-0.05 = 0.51 > 0.5; 0.6-0.05 = 0.55 ≯ 0.56; 0.62-0.05 =
		// 0.57 > 0.56; never three epochs in a row without improvement.
		{"accuracy", EarlyStop{Monitor: "val_accuracy", Patience: 3, MinDelta: 0.05},
			[]float64{0.5, 0.52, 0.56, 0.6, 0.62}, "+.+.+", 0, 5},
		// Keras's form, not best - min_delta: 0.04 + 0.1 is
		// 0.14000000000000001, not below 0.14 (0.04 < 0.14 - 0.1 would be).
		{"rounding", EarlyStop{Monitor: "val_loss", MinDelta: 0.1},
			[]float64{0.14, 0.04}, "+.", 2, 1},
		// A loss of +Inf first still counts as the first best.
		{"inf", EarlyStop{Monitor: "val_loss", Patience: 1},
			[]float64{math.Inf(1), 2, 2}, "++.", 3, 2},
	} {
		es := c.es
		if err := es.Check(); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		stopAt := 0
		for i, v := range c.values {
			imp, stop, err := es.Update(i+1, map[string]float64{c.es.Monitor: v})
			if err != nil {
				t.Fatal(err)
			}
			got.WriteString(map[bool]string{true: "+", false: "."}[imp])
			if stop {
				stopAt = i + 1
				break
			}
		}
		if got.String() != c.improved || stopAt != c.stopAt || es.State.BestEpoch != c.bestEpoch {
			t.Errorf("%s: improved %s, stopped after epoch %d, best epoch %d; want %s, %d, %d",
				c.name, got.String(), stopAt, es.State.BestEpoch, c.improved, c.stopAt, c.bestEpoch)
		}
		// The state survives JSON exactly.
		b, err := json.Marshal(es.State)
		if err != nil {
			t.Fatal(err)
		}
		var back EarlyStopState
		if err := json.Unmarshal(b, &back); err != nil || back != es.State {
			t.Errorf("%s: state %+v came back as %+v (%v)", c.name, es.State, back, err)
		}
	}
}

// TestEarlyStopErrors: settings refused, a metric not measured, NaN.
func TestEarlyStopErrors(t *testing.T) {
	for _, es := range []EarlyStop{
		{},
		{Monitor: "val_loss", Patience: -1},
		{Monitor: "val_loss", MinDelta: -0.1},
		{Monitor: "val_loss", MinDelta: math.Inf(1)},
		{Monitor: "val_loss", Mode: "up"},
	} {
		if err := es.Check(); err == nil {
			t.Errorf("%+v: no error", es)
		}
	}
	es := EarlyStop{Monitor: "val_loss"}
	if _, _, err := es.Update(1, map[string]float64{"train_loss": 1}); err == nil || !strings.Contains(err.Error(), "measured: train_loss") {
		t.Errorf("a missing metric: %v", err)
	}
	if _, _, err := es.Update(1, map[string]float64{"val_loss": math.NaN()}); err == nil {
		t.Error("NaN: no error")
	}
	var st EarlyStopState
	if err := json.Unmarshal([]byte(`{"best":"1","best_epoch":-1,"wait":0}`), &st); err == nil {
		t.Error("a negative count: no error")
	}
}

// TestEarlyStopInRun: in a run, training stops after the epoch the rule
// says (recomputed here from the epochs' monitored values) and the
// parameters left are those of the best epoch (restore_best).
func TestEarlyStopInRun(t *testing.T) {
	cfg := digitsConfig(t, 12, 3)
	cfg.SkipTrainEval = true
	cfg.EarlyStop = &EarlyStop{Monitor: "val_loss", Patience: 1, MinDelta: 0.01, RestoreBest: true}
	saved := map[int]map[string][]float64{}
	cfg.AfterEpoch = func(st EpochStats) error {
		saved[st.Epoch] = storeCopy(cfg.Store)
		return nil
	}
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Recompute: the first epoch is the best; after it, an epoch improves
	// when its loss + 0.01 is below the best; one epoch without stops.
	best, bestEpoch, stop := math.Inf(1), 0, 0
	for _, st := range res.History {
		v := st.Metrics["val_loss"]
		if v != st.Val.Loss {
			t.Fatalf("epoch %d: val_loss %v in Metrics, %v measured", st.Epoch, v, st.Val.Loss)
		}
		if bestEpoch == 0 || v+0.01 < best {
			best, bestEpoch = v, st.Epoch
		} else {
			stop = st.Epoch
			break
		}
	}
	if stop == 0 {
		t.Fatalf("the run did not stop early (val_loss %v)", res.History)
	}
	if res.Epochs != stop || len(res.History) != stop || !res.StoppedEarly || res.BestEpoch != bestEpoch {
		t.Fatalf("ran %d epochs, stopped early %v, best %d; want %d epochs, best %d", res.Epochs, res.StoppedEarly, res.BestEpoch, stop, bestEpoch)
	}
	final := storeCopy(cfg.Store)
	for _, n := range []string{"l1.W", "l1.b", "head.W", "head.b"} {
		if d := sameBits(map[string][]float64{n: saved[bestEpoch][n]}, map[string][]float64{n: final[n]}); d != "" {
			t.Errorf("%s is not the best epoch's", n)
		}
	}
	if res.ValLoss != res.History[bestEpoch-1].Val.Loss {
		t.Errorf("final val_loss %v, the best epoch's %v", res.ValLoss, res.History[bestEpoch-1].Val.Loss)
	}
}
