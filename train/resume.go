package train

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// CheckpointPolicy says when a run writes checkpoints (Config.Checkpoint):
// every EveryEpochs epochs and every EverySteps steps (either may be 0),
// under Rotation's names, keeping its newest Keep; and, when Best names an
// epoch metric ("val_loss"), also to Rotation.Dir/NAME-best.safetensors
// after every epoch at which that metric is the best so far (lower or
// higher, as MonitorMode says, or BestMode). A run whose context is
// cancelled writes one more, at the step boundary where it stopped. Meta
// describes the run (model, settings, version) in every checkpoint.
type CheckpointPolicy struct {
	Rotation    Rotation
	EveryEpochs int
	EverySteps  int
	Best        string
	BestMode    string
	Meta        CheckpointMeta
	// Saved, when not nil, is called with the path of every checkpoint
	// written.
	Saved func(path string)
}

func (p *CheckpointPolicy) check() error {
	switch {
	case p.Rotation.Name == "" || strings.ContainsAny(p.Rotation.Name, `/\`):
		return fmt.Errorf("checkpoint: the name %q is not a file name", p.Rotation.Name)
	case p.Rotation.Keep < 0:
		return fmt.Errorf("checkpoint: keep is %d, not at least 0", p.Rotation.Keep)
	case p.EveryEpochs < 0 || p.EverySteps < 0:
		return fmt.Errorf("checkpoint: every must not be negative (%d epochs, %d steps)", p.EveryEpochs, p.EverySteps)
	}
	if m := p.bestMode(); p.Best != "" && m != "min" && m != "max" {
		return fmt.Errorf(`checkpoint: the mode of best must be "min" or "max", got %q`, m)
	}
	return nil
}

func (p *CheckpointPolicy) bestMode() string {
	if p.BestMode != "" {
		return p.BestMode
	}
	return MonitorMode(p.Best)
}

// BestPath is the file of the best checkpoint.
func (p *CheckpointPolicy) BestPath() string {
	return filepath.Join(p.Rotation.Dir, p.Rotation.Name+"-best.safetensors")
}

// bestPrefix names, among a checkpoint's states, the copies of early
// stopping's best parameters and states ("train/best:l1.W"); no model
// state can be so named (a path has no "/" and no ":").
const bestPrefix = "train/best:"

// The keys of a checkpoint's Extra that the loop writes.
const (
	extraLossSum   = "loss_sum"   // the running loss of the epoch in progress
	extraLossRows  = "loss_rows"  // and its rows
	extraLastLoss  = "last_loss"  // the last epoch's mean step loss ("" before one)
	extraBest      = "best"       // CheckpointPolicy.Best's best value ("" before one)
	extraEarlyStop = "early_stop" // EarlyStopState's JSON
)

// capture copies the store's parameters and states.
func (l *loop) capture() map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor, len(l.paramNames)+len(l.stateNames))
	for _, n := range append(slices.Clone(l.paramNames), l.stateNames...) {
		if t := l.cfg.Store.Get(n); t != nil {
			out[n] = t.Clone()
		}
	}
	return out
}

// restoreSnapshot writes early stopping's best tensors back into the
// store.
func (l *loop) restoreSnapshot() error {
	for n, t := range l.snapshot {
		old := l.cfg.Store.Get(n)
		if old == nil || old.DType != t.DType || !sameDims(old.Shape, t.Shape) {
			return fmt.Errorf("train: early stopping's copy of %s no longer fits the store", n)
		}
		old.CopyFrom(t)
	}
	return nil
}

// checkpoint returns the checkpoint of the run's position.
func (l *loop) checkpoint() (*Checkpoint, error) {
	c, err := Capture(l.cfg.Store, l.paramNames, l.stateNames)
	if err != nil {
		return nil, err
	}
	c.Step, c.Epoch, c.Batch = int64(l.res.Steps), int64(l.res.Epochs), int64(l.batch)
	c.Seed = l.cfg.Seed
	c.RNG = map[string]uint64{}
	if s := l.cfg.Schedule; s != nil {
		st := s.State
		c.Schedule = &st
	}
	c.Extra = map[string]string{
		extraLossSum:  formatExact(l.sum),
		extraLossRows: strconv.Itoa(l.rows),
	}
	if l.hasLastLoss {
		c.Extra[extraLastLoss] = formatExact(l.lastLoss)
	}
	if l.hasBest {
		c.Extra[extraBest] = formatExact(l.best)
	}
	if es := l.cfg.EarlyStop; es != nil {
		b, err := json.Marshal(es.State)
		if err != nil {
			return nil, err
		}
		c.Extra[extraEarlyStop] = string(b)
		for n, t := range l.snapshot {
			c.States[bestPrefix+n] = t
		}
	}
	if p := l.cfg.Checkpoint; p != nil {
		c.Meta = p.Meta
	}
	return c, nil
}

// save writes the checkpoint of the run's position under the policy's
// rotation and returns its path.
func (l *loop) save() (string, error) {
	c, err := l.checkpoint()
	if err != nil {
		return "", err
	}
	p := l.cfg.Checkpoint
	path, err := p.Rotation.Save(c)
	if err != nil {
		return "", fmt.Errorf("writing a checkpoint: %w", err)
	}
	l.res.Checkpoint = path
	if p.Saved != nil {
		p.Saved(path)
	}
	return path, nil
}

// saveBest writes the best checkpoint when the policy's Best metric
// improved this epoch.
func (l *loop) saveBest(metrics map[string]float64) error {
	p := l.cfg.Checkpoint
	if p == nil || p.Best == "" {
		return nil
	}
	v, ok := metrics[p.Best]
	if !ok {
		return fmt.Errorf("checkpoint: best = %q was not measured this epoch (measured: %s)", p.Best, metricKeys(metrics))
	}
	better := !l.hasBest || p.bestMode() == "min" && v < l.best || p.bestMode() == "max" && v > l.best
	if math.IsNaN(v) || !better {
		return nil
	}
	l.best, l.hasBest = v, true
	c, err := l.checkpoint()
	if err != nil {
		return err
	}
	if err := WriteCheckpoint(p.BestPath(), c); err != nil {
		return fmt.Errorf("writing the best checkpoint: %w", err)
	}
	if p.Saved != nil {
		p.Saved(p.BestPath())
	}
	return nil
}

// metricKeys lists a metrics map's keys for a message.
func metricKeys(m map[string]float64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// resume sets the run's position and the store from c.
func (l *loop) resume(c *Checkpoint) error {
	cfg := &l.cfg
	bad := func(format string, a ...any) error {
		return fmt.Errorf("cannot resume: "+format, a...)
	}
	switch {
	case c.Seed != cfg.Seed:
		return bad("the checkpoint's seed is %d, the run's %d", c.Seed, cfg.Seed)
	case c.Epoch > int64(cfg.Epochs) || c.Epoch == int64(cfg.Epochs) && c.Batch > 0:
		return bad("the checkpoint is at epoch %d (batch %d), past the run's %d epochs", c.Epoch, c.Batch, cfg.Epochs)
	case c.Batch > int64(l.perEpoch):
		return bad("the checkpoint is at batch %d of an epoch that has %d", c.Batch, l.perEpoch)
	case c.Step > math.MaxInt32*int64(math.MaxInt32):
		return bad("the checkpoint's step count %d is out of range", c.Step)
	}
	states := make(map[string]*tensor.Tensor, len(c.States))
	snapshot := map[string]*tensor.Tensor{}
	for n, t := range c.States {
		if best, ok := strings.CutPrefix(n, bestPrefix); ok {
			snapshot[best] = t
		} else {
			states[n] = t
		}
	}
	if err := sameNames("parameter", l.paramNames, c.Params); err != nil {
		return bad("%v", err)
	}
	if err := sameNames("state", l.stateNames, states); err != nil {
		return bad("%v", err)
	}
	if err := l.resumeControls(c, len(snapshot) > 0); err != nil {
		return err
	}
	rc := *c
	rc.States = states
	if err := rc.Restore(cfg.Store, false); err != nil {
		return err
	}
	if len(snapshot) > 0 {
		l.snapshot = snapshot
	}
	l.res.Steps, l.res.Epochs, l.batch = int(c.Step), int(c.Epoch), int(c.Batch)
	return nil
}

// resumeControls restores the running loss, the schedule, early stopping
// and the best value from c.
func (l *loop) resumeControls(c *Checkpoint, hasSnapshot bool) error {
	cfg := &l.cfg
	exact := func(key string) (float64, bool, error) {
		s, ok := c.Extra[key]
		if !ok || s == "" {
			return 0, false, nil
		}
		v, err := parseExact(s)
		if err != nil {
			return 0, false, fmt.Errorf("cannot resume: the checkpoint's %s %q is not a number", key, s)
		}
		return v, true, nil
	}
	var err error
	if l.sum, _, err = exact(extraLossSum); err != nil {
		return err
	}
	rows, err := strconv.Atoi(c.Extra[extraLossRows])
	if err != nil || rows < 0 || rows == 0 && c.Batch > 0 {
		return fmt.Errorf("cannot resume: the checkpoint's %s %q is not a count of rows", extraLossRows, c.Extra[extraLossRows])
	}
	l.rows = rows
	if l.lastLoss, l.hasLastLoss, err = exact(extraLastLoss); err != nil {
		return err
	}
	if l.best, l.hasBest, err = exact(extraBest); err != nil {
		return err
	}
	if s := cfg.Schedule; s != nil {
		if c.Schedule == nil {
			return fmt.Errorf("cannot resume: the run has a schedule, the checkpoint none")
		}
		if err := s.SetState(*c.Schedule); err != nil {
			return fmt.Errorf("cannot resume: %w", err)
		}
	}
	if es := cfg.EarlyStop; es != nil {
		j, ok := c.Extra[extraEarlyStop]
		if !ok {
			return fmt.Errorf("cannot resume: the run stops early, the checkpoint has no early stopping state")
		}
		if err := json.Unmarshal([]byte(j), &es.State); err != nil {
			return fmt.Errorf("cannot resume: %w", err)
		}
		if es.RestoreBest && es.State.BestEpoch > 0 && !hasSnapshot {
			return fmt.Errorf("cannot resume: the checkpoint has no copy of the best epoch's parameters (restore_best)")
		}
		l.stopped = es.State.Stopped
		l.res.StoppedEarly = es.State.Stopped
	}
	return nil
}

// sameNames checks that a checkpoint's tensors are the run's: none
// missing, none extra.
func sameNames(what string, want []string, got map[string]*tensor.Tensor) error {
	var missing, extra []string
	for _, n := range want {
		if _, ok := got[n]; !ok {
			missing = append(missing, n)
		}
	}
	for n := range got {
		if !slices.Contains(want, n) {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("the checkpoint lacks the %s %s", plural(what, len(missing)), strings.Join(missing, ", ")))
	}
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("the checkpoint has the %s %s, which the model has not", plural(what, len(extra)), strings.Join(extra, ", ")))
	}
	if len(parts) > 0 {
		return fmt.Errorf("%s", strings.Join(parts, "; "))
	}
	return nil
}

func plural(s string, n int) string {
	if n == 1 {
		return s
	}
	return s + "s"
}
