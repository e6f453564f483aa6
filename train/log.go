package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"

	"github.com/nnclang/nnc/internal/safefile"
)

// LogRecord is one line of a training log (nnc train --log run.jsonl): a
// JSON object per logged step and per epoch. Fields, in the order written:
//
//	kind           "step" or "epoch" (readers skip kinds they do not know)
//	run            the run's name, when given (nnc plot's legend)
//	epoch          the epoch, from 1
//	step           steps completed when the record was written
//	time           seconds since the run started
//	loss           step: the step's training loss; epoch: the mean of the
//	               epoch's step losses
//	lr             the learning rate in effect
//	metrics        by name: "val_loss", "val_accuracy", "train_f1_macro", ...
//	grad_norm      the global L2 norm of the gradients
//	grad_norms     the L2 norm of each parameter's gradient, by path
//	update_ratios  ‖Δp‖/‖p‖ of each parameter's update, by path
//	step_seconds   the step's duration (epoch: the epoch's)
//	samples        the examples the step (epoch) trained on
//	memory_bytes   the memory the run held
//
// Floats are JSON numbers written exactly (strconv 'g', shortest form that
// reads back the same), or the strings "NaN", "Inf" and "-Inf", as nnc
// writes non-finite numbers everywhere. A field that was not measured is
// left out: zero lr, grad_norm, step_seconds, samples and memory_bytes and
// empty maps are not written.
type LogRecord struct {
	Kind         string
	Run          string
	Epoch        int
	Step         int64
	Time         float64
	Loss         float64
	LR           float64
	Metrics      map[string]float64
	GradNorm     float64
	GradNorms    map[string]float64
	UpdateRatios map[string]float64
	StepSeconds  float64
	Samples      int64
	MemoryBytes  int64
}

// The kinds of LogRecord.
const (
	LogStep  = "step"
	LogEpoch = "epoch"
)

// maxLogLine bounds one line of a log read back (a record with a norm per
// parameter of a large model stays far below it).
const maxLogLine = 16 << 20

// MarshalJSON writes the record as one JSON object, fields in the
// documented order.
func (r LogRecord) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	field := func(key string) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(key))
		b.WriteByte(':')
	}
	str := func(key, v string) {
		field(key)
		q, _ := json.Marshal(v)
		b.Write(q)
	}
	num := func(key string, v float64) {
		field(key)
		b.WriteString(logFloat(v))
	}
	floats := func(key string, m map[string]float64) {
		if len(m) == 0 {
			return
		}
		field(key)
		b.WriteByte('{')
		for i, k := range sortedFloatKeys(m) {
			if i > 0 {
				b.WriteByte(',')
			}
			q, _ := json.Marshal(k)
			b.Write(q)
			b.WriteByte(':')
			b.WriteString(logFloat(m[k]))
		}
		b.WriteByte('}')
	}
	str("kind", r.Kind)
	if r.Run != "" {
		str("run", r.Run)
	}
	field("epoch")
	b.WriteString(strconv.Itoa(r.Epoch))
	field("step")
	b.WriteString(strconv.FormatInt(r.Step, 10))
	num("time", r.Time)
	num("loss", r.Loss)
	if r.LR != 0 {
		num("lr", r.LR)
	}
	floats("metrics", r.Metrics)
	if r.GradNorm != 0 {
		num("grad_norm", r.GradNorm)
	}
	floats("grad_norms", r.GradNorms)
	floats("update_ratios", r.UpdateRatios)
	if r.StepSeconds != 0 {
		num("step_seconds", r.StepSeconds)
	}
	if r.Samples != 0 {
		field("samples")
		b.WriteString(strconv.FormatInt(r.Samples, 10))
	}
	if r.MemoryBytes != 0 {
		field("memory_bytes")
		b.WriteString(strconv.FormatInt(r.MemoryBytes, 10))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// logFloat writes v as a JSON number, or "NaN", "Inf", "-Inf" quoted.
func logFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return `"NaN"`
	case math.IsInf(v, 1):
		return `"Inf"`
	case math.IsInf(v, -1):
		return `"-Inf"`
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func sortedFloatKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// logNumber is a float read from a log: a JSON number or one of the
// strings "NaN", "Inf", "-Inf".
type logNumber float64

func (n *logNumber) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*n = logNumber(math.NaN())
		case "Inf", "+Inf":
			*n = logNumber(math.Inf(1))
		case "-Inf":
			*n = logNumber(math.Inf(-1))
		default:
			return fmt.Errorf("%q is not a number", s)
		}
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = logNumber(f)
	return nil
}

type logRecordJSON struct {
	Kind         string               `json:"kind"`
	Run          string               `json:"run"`
	Epoch        int                  `json:"epoch"`
	Step         int64                `json:"step"`
	Time         logNumber            `json:"time"`
	Loss         logNumber            `json:"loss"`
	LR           logNumber            `json:"lr"`
	Metrics      map[string]logNumber `json:"metrics"`
	GradNorm     logNumber            `json:"grad_norm"`
	GradNorms    map[string]logNumber `json:"grad_norms"`
	UpdateRatios map[string]logNumber `json:"update_ratios"`
	StepSeconds  logNumber            `json:"step_seconds"`
	Samples      int64                `json:"samples"`
	MemoryBytes  int64                `json:"memory_bytes"`
}

func floatMap(m map[string]logNumber) map[string]float64 {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}

// UnmarshalJSON reads what MarshalJSON writes; unknown fields are ignored
// (a newer nnc may log more).
func (r *LogRecord) UnmarshalJSON(b []byte) error {
	var j logRecordJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = LogRecord{Kind: j.Kind, Run: j.Run, Epoch: j.Epoch, Step: j.Step, Time: float64(j.Time), Loss: float64(j.Loss),
		LR: float64(j.LR), Metrics: floatMap(j.Metrics), GradNorm: float64(j.GradNorm), GradNorms: floatMap(j.GradNorms),
		UpdateRatios: floatMap(j.UpdateRatios), StepSeconds: float64(j.StepSeconds), Samples: j.Samples, MemoryBytes: j.MemoryBytes}
	return nil
}

// LogWriter writes log records, one line each, each with a single Write,
// so that a run killed at any moment leaves whole lines but perhaps the
// last.
type LogWriter struct {
	w   io.Writer
	f   *os.File
	buf []byte
}

// NewLogWriter writes records to w.
func NewLogWriter(w io.Writer) *LogWriter { return &LogWriter{w: w} }

// CreateLog opens path for a log: truncated, or appended to when appending
// (a resumed run continues its log). A symbolic link, a directory or
// another special file is refused. Close the writer when done.
func CreateLog(path string, appending bool) (*LogWriter, error) {
	if err := safefile.CheckTarget(path); err != nil {
		return nil, err
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appending {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, err
	}
	return &LogWriter{w: f, f: f}, nil
}

// Write writes one record as a line.
func (l *LogWriter) Write(r LogRecord) error {
	b, err := r.MarshalJSON()
	if err != nil {
		return err
	}
	l.buf = append(append(l.buf[:0], b...), '\n')
	_, err = l.w.Write(l.buf)
	return err
}

// Close syncs and closes the file CreateLog opened (nothing for a writer
// of NewLogWriter).
func (l *LogWriter) Close() error {
	if l.f == nil {
		return nil
	}
	serr := l.f.Sync()
	if err := l.f.Close(); err != nil {
		return err
	}
	return serr
}

// ReadLog reads a log's records; name is used in errors ("run.jsonl:12:
// ..."). Blank lines are skipped; a last line without its newline that is
// not a whole record (a run killed while writing it) is dropped; any other
// malformed line is an error.
func ReadLog(r io.Reader, name string) ([]LogRecord, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLogLine)
	unterminated := false
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		adv, tok, err := bufio.ScanLines(data, atEOF)
		if atEOF && adv == len(data) && len(data) > 0 && data[len(data)-1] != '\n' {
			unterminated = true
		}
		return adv, tok, err
	})
	var out []LogRecord
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var rec LogRecord
		if err := json.Unmarshal(text, &rec); err != nil {
			if unterminated {
				break
			}
			return nil, fmt.Errorf("%s:%d: not a log record: %v", name, line, err)
		}
		if rec.Kind == "" {
			return nil, fmt.Errorf("%s:%d: a log record without a kind", name, line)
		}
		if rec.Epoch < 0 || rec.Step < 0 {
			return nil, fmt.Errorf("%s:%d: negative epoch or step", name, line)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: a line longer than %d bytes", name, line+1, maxLogLine)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return out, nil
}

// ReadLogFile reads the log at path, refusing a file larger than maxBytes
// (0: 1 GiB).
func ReadLogFile(path string, maxBytes int64) ([]LogRecord, error) {
	if maxBytes <= 0 {
		maxBytes = 1 << 30
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > maxBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the limit of %d bytes for a log", path, fi.Size(), maxBytes)
	}
	return ReadLog(io.LimitReader(f, maxBytes), path)
}
