package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/internal/safefile"
	"github.com/nnclang/nnc/runtime"
	"github.com/nnclang/nnc/tensor"
)

// CheckpointFormat is the value of a checkpoint's "format" metadata.
const CheckpointFormat = "nnc-checkpoint-1"

// Checkpoint is a training run at a step boundary: enough to resume it
// exactly. On disk it is one safetensors file: the parameters as tensors
// named "params/PATH", the states (optimizer moments and counters,
// running statistics, the learning-rate state) as "states/PATH", and in
// the header's __metadata__ (strings):
//
//	format        "nnc-checkpoint-1"
//	nnc_version   the version of nnc that wrote it
//	source_sha256 the SHA-256 of the model's source (Meta.SourceHash)
//	settings      the training settings, a JSON object of strings
//	step, epoch   steps and epochs completed
//	batch         batches of the current epoch completed: the position in
//	              the epoch's (seeded) data order
//	seed          the run's seed; rng: other generators' states, a JSON
//	              object of decimal strings
//	schedule      the schedule's state (ScheduleState's JSON), when any
//	extra         a JSON object of strings for the loop's own state (the
//	              best value of a monitored metric, early stopping's count)
//	vocab         a text model's vocabulary (data.EncodeVocab's JSON), when
//	              it has one, so that nnc sample can read a checkpoint alone
//	data_sha256   the SHA-256 of the file's data section (every byte after
//	              the header), checked on load
type Checkpoint struct {
	Params, States map[string]*tensor.Tensor
	Step, Epoch    int64
	Batch          int64
	Seed           uint64
	RNG            map[string]uint64
	Schedule       *ScheduleState
	Extra          map[string]string
	Meta           CheckpointMeta
}

// CheckpointMeta describes what a checkpoint was made from, so that a
// resume with another model or other settings can be refused.
type CheckpointMeta struct {
	SourceHash string            // hex SHA-256 of the model source
	Settings   map[string]string // the training settings, by key
	Version    string            // nnc's version
	Vocab      string            // a text model's vocabulary as JSON (data.EncodeVocab); "" for none
}

// SourceHash returns the hex SHA-256 of a model's source, as
// CheckpointMeta.SourceHash records it.
func SourceHash(src []byte) string {
	h := sha256.Sum256(src)
	return hex.EncodeToString(h[:])
}

const (
	paramPrefix = "params/"
	statePrefix = "states/"
	// hashHole is written where data_sha256 goes, then overwritten with the
	// hash in place (the same length, so no offset moves).
	hashHole = "0000000000000000000000000000000000000000000000000000000000000000"
	// maxCheckpointHeader bounds the JSON header, as the safetensors reader.
	maxCheckpointHeader = 100 << 20
)

// Encode returns the checkpoint as a safetensors file.
func (c *Checkpoint) Encode() ([]byte, error) {
	all := make(map[string]*tensor.Tensor, len(c.Params)+len(c.States))
	for prefix, m := range map[string]map[string]*tensor.Tensor{paramPrefix: c.Params, statePrefix: c.States} {
		for name, t := range m {
			if name == "" || t == nil {
				return nil, fmt.Errorf("checkpoint: an empty name or a nil tensor among the %s", strings.TrimSuffix(prefix, "/"))
			}
			all[prefix+name] = t
		}
	}
	meta, err := c.metadata()
	if err != nil {
		return nil, err
	}
	b, err := data.EncodeSafetensors(all, meta)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(b)
	header := b[8 : 8+hlen]
	hole := []byte(`"data_sha256":"` + hashHole + `"`)
	at := bytes.Index(header, hole)
	if at < 0 || bytes.Index(header[at+1:], hole) >= 0 {
		return nil, fmt.Errorf("checkpoint: internal error: no single place for the data hash in the header")
	}
	sum := sha256.Sum256(b[8+hlen:])
	copy(header[at+len(`"data_sha256":"`):], hex.EncodeToString(sum[:]))
	return b, nil
}

func (c *Checkpoint) metadata() (map[string]string, error) {
	if c.Step < 0 || c.Epoch < 0 || c.Batch < 0 {
		return nil, fmt.Errorf("checkpoint: negative counters (step %d, epoch %d, batch %d)", c.Step, c.Epoch, c.Batch)
	}
	rng := make(map[string]string, len(c.RNG))
	for k, v := range c.RNG {
		rng[k] = strconv.FormatUint(v, 10)
	}
	jsonString := func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}
	m := map[string]string{
		"format":        CheckpointFormat,
		"nnc_version":   c.Meta.Version,
		"source_sha256": c.Meta.SourceHash,
		"step":          strconv.FormatInt(c.Step, 10),
		"epoch":         strconv.FormatInt(c.Epoch, 10),
		"batch":         strconv.FormatInt(c.Batch, 10),
		"seed":          strconv.FormatUint(c.Seed, 10),
		"data_sha256":   hashHole,
	}
	var err error
	for key, v := range map[string]any{"settings": nonNil(c.Meta.Settings), "rng": rng, "extra": nonNil(c.Extra)} {
		if m[key], err = jsonString(v); err != nil {
			return nil, fmt.Errorf("checkpoint: %s: %w", key, err)
		}
	}
	if c.Meta.Vocab != "" {
		m["vocab"] = c.Meta.Vocab
	}
	if c.Schedule != nil {
		if m["schedule"], err = jsonString(c.Schedule); err != nil {
			return nil, fmt.Errorf("checkpoint: schedule: %w", err)
		}
	}
	return m, nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// WriteCheckpoint writes c to path atomically (internal/safefile: an
// exclusive temporary file in the target's directory, fsync, rename over
// path, fsync of the directory): a reader, or a run killed at any moment,
// finds the old file or the new one, never a part.
func WriteCheckpoint(path string, c *Checkpoint) error {
	b, err := c.Encode()
	if err != nil {
		return err
	}
	return safefile.WriteBytes(path, b, 0o644)
}

// ReadCheckpoint reads and checks a checkpoint file; maxBytes bounds its
// size (0: data.DefaultMaxBytes()).
func ReadCheckpoint(path string, maxBytes int64) (*Checkpoint, error) {
	if maxBytes < 0 {
		return nil, fmt.Errorf("checkpoint: the size limit %d is negative", maxBytes)
	}
	if maxBytes == 0 {
		maxBytes = data.DefaultMaxBytes()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, ckErr(path, -1, "not a regular file")
	} else if fi.Size() > maxBytes {
		return nil, ckErr(path, -1, "the file is %d bytes, more than the limit of %d bytes", fi.Size(), maxBytes)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, ckErr(path, -1, "reading: %v", err)
	}
	if int64(len(b)) > maxBytes {
		return nil, ckErr(path, -1, "the file grew past the limit of %d bytes while it was read", maxBytes)
	}
	return DecodeCheckpoint(b, path)
}

func ckErr(file string, off int64, format string, a ...any) error {
	return &data.FormatError{File: file, Offset: off, Msg: "checkpoint: " + fmt.Sprintf(format, a...)}
}

// DecodeCheckpoint reads a checkpoint held in memory; name is used in
// errors. It checks the header's bounds, the data's SHA-256 against
// data_sha256 before anything else is read from the data, every tensor's
// offsets and size (data.ParseSafetensors), the tensors' names and every
// metadata field.
func DecodeCheckpoint(b []byte, name string) (*Checkpoint, error) {
	if len(b) < 8 {
		return nil, ckErr(name, 0, "%d bytes, shorter than the 8-byte header length", len(b))
	}
	hlen := binary.LittleEndian.Uint64(b)
	if hlen > maxCheckpointHeader || hlen > uint64(len(b)-8) {
		return nil, ckErr(name, 0, "header length %d exceeds the file (%d bytes)", hlen, len(b))
	}
	var header struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(b[8:8+hlen], &header); err != nil {
		return nil, ckErr(name, 8, "header: %v", err)
	}
	meta := header.Meta
	if meta["format"] != CheckpointFormat {
		return nil, ckErr(name, 8, "not an nnc checkpoint (format %q, want %q)", meta["format"], CheckpointFormat)
	}
	sum := sha256.Sum256(b[8+hlen:])
	if got := hex.EncodeToString(sum[:]); got != meta["data_sha256"] {
		return nil, ckErr(name, int64(8+hlen), "the data's SHA-256 is %s, the header records %q: the file is corrupt", got, meta["data_sha256"])
	}
	tensors, err := data.ParseSafetensors(b, name)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Params: map[string]*tensor.Tensor{}, States: map[string]*tensor.Tensor{}}
	for key, t := range tensors {
		switch {
		case strings.HasPrefix(key, paramPrefix) && len(key) > len(paramPrefix):
			c.Params[key[len(paramPrefix):]] = t
		case strings.HasPrefix(key, statePrefix) && len(key) > len(statePrefix):
			c.States[key[len(statePrefix):]] = t
		default:
			return nil, ckErr(name, 8, "tensor %q is neither params/... nor states/...", key)
		}
	}
	if err := c.readMeta(meta); err != nil {
		return nil, ckErr(name, 8, "%v", err)
	}
	return c, nil
}

// readMeta fills c's counters and descriptions from the metadata.
func (c *Checkpoint) readMeta(meta map[string]string) error {
	counters := []struct {
		key string
		dst *int64
	}{{"step", &c.Step}, {"epoch", &c.Epoch}, {"batch", &c.Batch}}
	for _, k := range counters {
		v, err := strconv.ParseInt(meta[k.key], 10, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("%s %q is not a count", k.key, meta[k.key])
		}
		*k.dst = v
	}
	seed, err := strconv.ParseUint(meta["seed"], 10, 64)
	if err != nil {
		return fmt.Errorf("seed %q is not a 64-bit unsigned number", meta["seed"])
	}
	c.Seed = seed
	c.Meta = CheckpointMeta{SourceHash: meta["source_sha256"], Version: meta["nnc_version"], Vocab: meta["vocab"]}
	var rng map[string]string
	for key, dst := range map[string]*map[string]string{"settings": &c.Meta.Settings, "rng": &rng, "extra": &c.Extra} {
		if err := json.Unmarshal([]byte(meta[key]), dst); err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
	}
	c.RNG = make(map[string]uint64, len(rng))
	for k, v := range rng {
		u, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("rng %q: %q is not a 64-bit unsigned number", k, v)
		}
		c.RNG[k] = u
	}
	if s, ok := meta["schedule"]; ok {
		c.Schedule = new(ScheduleState)
		if err := json.Unmarshal([]byte(s), c.Schedule); err != nil {
			return fmt.Errorf("schedule: %v", err)
		}
	}
	return nil
}

// Compatible reports, as one error listing every difference, whether a
// run of the model whose source hashes to sourceHash, with settings, may
// resume from c: the same model and the same settings, except those named
// in mayDiffer (epochs, say, to train for longer).
func (c *Checkpoint) Compatible(sourceHash string, settings map[string]string, mayDiffer ...string) error {
	var diffs []string
	if c.Meta.SourceHash != sourceHash {
		diffs = append(diffs, "the model source differs from the one the checkpoint was made with")
	}
	free := map[string]bool{}
	for _, k := range mayDiffer {
		free[k] = true
	}
	keys := map[string]bool{}
	for k := range c.Meta.Settings {
		keys[k] = true
	}
	for k := range settings {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		was, had := c.Meta.Settings[k]
		now, has := settings[k]
		switch {
		case free[k] || had && has && was == now:
		case !had:
			diffs = append(diffs, fmt.Sprintf("%s is %s now, unset in the checkpoint", k, now))
		case !has:
			diffs = append(diffs, fmt.Sprintf("%s was %s in the checkpoint, unset now", k, was))
		default:
			diffs = append(diffs, fmt.Sprintf("%s was %s in the checkpoint, %s now", k, was, now))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("cannot resume: %s", strings.Join(diffs, "; "))
	}
	return nil
}

// Capture returns a checkpoint holding copies of the named params and
// states of store (counters and metadata left for the caller to fill).
func Capture(store *runtime.Store, params, states []string) (*Checkpoint, error) {
	c := &Checkpoint{Params: map[string]*tensor.Tensor{}, States: map[string]*tensor.Tensor{}}
	for _, set := range []struct {
		names []string
		dst   map[string]*tensor.Tensor
	}{{params, c.Params}, {states, c.States}} {
		for _, n := range set.names {
			t := store.Get(n)
			if t == nil {
				return nil, fmt.Errorf("checkpoint: %s has no value in the store", n)
			}
			set.dst[n] = t.Clone()
		}
	}
	return c, nil
}

// Restore writes c's params (and its states, unless paramsOnly) into
// store: into the store's tensors in place when it holds them (sessions
// bound to them see the new values), which must then have the same type
// and shape. Nothing is written unless every tensor fits.
func (c *Checkpoint) Restore(store *runtime.Store, paramsOnly bool) error {
	sets := []map[string]*tensor.Tensor{c.Params}
	if !paramsOnly {
		sets = append(sets, c.States)
	}
	var errs []error
	for _, m := range sets {
		for _, n := range sortedTensorNames(m) {
			if old := store.Get(n); old != nil && (old.DType != m[n].DType || !sameDims(old.Shape, m[n].Shape)) {
				errs = append(errs, fmt.Errorf("%s is %s in the checkpoint, %s in the model", n, typeOf(m[n]), typeOf(old)))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("checkpoint does not fit the model: %w", errors.Join(errs...))
	}
	for _, m := range sets {
		for n, t := range m {
			if old := store.Get(n); old != nil {
				old.CopyFrom(t)
			} else {
				store.Set(n, t.Clone())
			}
		}
	}
	return nil
}

func sortedTensorNames(m map[string]*tensor.Tensor) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Rotation names a run's checkpoints DIR/NAME-step000000123.safetensors
// and keeps the Keep newest (all when Keep is 0).
type Rotation struct {
	Dir, Name string
	Keep      int
}

// Path is the file of the checkpoint after step steps.
func (r Rotation) Path(step int64) string {
	return filepath.Join(r.Dir, fmt.Sprintf("%s-step%09d.safetensors", r.Name, step))
}

// Save writes c at Path(c.Step), then removes this run's oldest
// checkpoints beyond Keep. It returns the path written.
func (r Rotation) Save(c *Checkpoint) (string, error) {
	if r.Keep < 0 {
		return "", fmt.Errorf("checkpoint: keep is %d, not at least 0", r.Keep)
	}
	path := r.Path(c.Step)
	if err := WriteCheckpoint(path, c); err != nil {
		return "", err
	}
	if r.Keep == 0 {
		return path, nil
	}
	all, err := r.List()
	if err != nil {
		return path, err
	}
	for len(all) > r.Keep {
		if all[0] != path {
			if err := os.Remove(all[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
				return path, err
			}
		}
		all = all[1:]
	}
	return path, nil
}

// List returns this run's checkpoint files, oldest (fewest steps) first:
// the regular files of Dir named NAME-stepN.safetensors.
func (r Rotation) List() ([]string, error) {
	dir := r.Dir
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type ck struct {
		step int64
		path string
	}
	var found []ck
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), r.Name+"-step")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		digits, ok := strings.CutSuffix(rest, ".safetensors")
		step, err := strconv.ParseInt(digits, 10, 64)
		if !ok || err != nil || step < 0 || digits == "" || digits[0] == '+' {
			continue
		}
		found = append(found, ck{step, filepath.Join(r.Dir, e.Name())})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].step < found[j].step })
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.path
	}
	return out, nil
}

// Latest returns this run's newest checkpoint, or "" when there is none.
func (r Rotation) Latest() (string, error) {
	all, err := r.List()
	if err != nil || len(all) == 0 {
		return "", err
	}
	return all[len(all)-1], nil
}
