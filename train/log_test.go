package train

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleLog() []LogRecord {
	return []LogRecord{
		{Kind: LogStep, Run: "a", Epoch: 1, Step: 1, Time: 0.25, Loss: 2.302585092994046, LR: 0.1 / 3,
			GradNorm: 1.5, GradNorms: map[string]float64{"l1.W": 1.2, "l1.b": 0.9}, UpdateRatios: map[string]float64{"l1.W": 1e-3},
			StepSeconds: 0.0125, Samples: 32, MemoryBytes: 1 << 20},
		{Kind: LogStep, Epoch: 1, Step: 2, Time: 0.5, Loss: math.NaN(), LR: 0.1, GradNorm: math.Inf(1)},
		{Kind: LogEpoch, Epoch: 1, Step: 2, Time: 0.75, Loss: 1.25,
			Metrics: map[string]float64{"val_loss": 1.5, "val_accuracy": 0.5, "train_loss": math.Inf(-1)}},
	}
}

// TestLogGolden checks the exact line written for a record: the field
// order, exact floats, NaN and infinities as strings, unmeasured fields
// left out.
func TestLogGolden(t *testing.T) {
	var buf bytes.Buffer
	w := NewLogWriter(&buf)
	for _, r := range sampleLog() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	want := `{"kind":"step","run":"a","epoch":1,"step":1,"time":0.25,"loss":2.302585092994046,"lr":0.03333333333333333,"grad_norm":1.5,"grad_norms":{"l1.W":1.2,"l1.b":0.9},"update_ratios":{"l1.W":0.001},"step_seconds":0.0125,"samples":32,"memory_bytes":1048576}
{"kind":"step","epoch":1,"step":2,"time":0.5,"loss":"NaN","lr":0.1,"grad_norm":"Inf"}
{"kind":"epoch","epoch":1,"step":2,"time":0.75,"loss":1.25,"metrics":{"train_loss":"-Inf","val_accuracy":0.5,"val_loss":1.5}}
`
	if buf.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// TestLogRoundTrip writes records to a file and reads them back equal
// (NaN compared as NaN), then appends and reads the longer log.
func TestLogRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	w, err := CreateLog(path, false)
	if err != nil {
		t.Fatal(err)
	}
	recs := sampleLog()
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLogFile(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("%d records read, %d written", len(got), len(recs))
	}
	if !math.IsNaN(got[1].Loss) || !math.IsInf(got[1].GradNorm, 1) || !math.IsInf(got[2].Metrics["train_loss"], -1) {
		t.Errorf("non-finite values read as %v %v %v", got[1].Loss, got[1].GradNorm, got[2].Metrics)
	}
	got[1].Loss, recs[1].Loss = 0, 0
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("read %+v\nwrote %+v", got, recs)
	}
	w, err = CreateLog(path, true)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(LogRecord{Kind: LogEpoch, Epoch: 2, Step: 4, Loss: 1})
	w.Close()
	if got, err := ReadLogFile(path, 0); err != nil || len(got) != 4 || got[3].Epoch != 2 {
		t.Errorf("after appending: %d records, %v", len(got), err)
	}
	w, _ = CreateLog(path, false)
	w.Close()
	if got, err := ReadLogFile(path, 0); err != nil || len(got) != 0 {
		t.Errorf("after truncating: %d records, %v", len(got), err)
	}
}

// TestReadLogErrors checks the errors of malformed logs, with the line,
// that blank lines, unknown fields and a last line cut short are
// accepted, and that links and oversized files are refused.
func TestReadLogErrors(t *testing.T) {
	ok := "{\"kind\":\"step\",\"epoch\":1,\"step\":1,\"loss\":1,\"future\":[1,2]}\n\n"
	for _, c := range []struct {
		text string
		want string // "" when it reads
		n    int
	}{
		{ok, "", 1},
		{ok + `{"kind":"step","epoch":1,"st`, "", 1},
		{ok + "{\"kind\":\"step\",\"epoch\":1,\"st\n", "x:3: not a log record", 0},
		{ok + "{\"kind\":\"step\",\"loss\":\"lots\"}\n", "x:3: not a log record", 0},
		{ok + "{\"epoch\":1}\n", "x:3: a log record without a kind", 0},
		{ok + "{\"kind\":\"step\",\"step\":-1}\n", "x:3: negative", 0},
		{"[1,2]\n" + ok, "x:1: not a log record", 0},
		{ok + `{"kind":"step","loss":"-Inf"}`, "", 2},
	} {
		got, err := ReadLog(strings.NewReader(c.text), "x")
		switch {
		case c.want == "" && (err != nil || len(got) != c.n):
			t.Errorf("%q: %d records, %v; want %d", c.text, len(got), err, c.n)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
	long := strings.Repeat(" ", maxLogLine+10) + "\n"
	if _, err := ReadLog(strings.NewReader(long), "x"); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a long line: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "big.jsonl")
	os.WriteFile(path, []byte(ok), 0o644)
	if _, err := ReadLogFile(path, 10); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("a log over the limit: %v", err)
	}
	if _, err := ReadLogFile(dir, 0); err == nil {
		t.Error("a directory read as a log")
	}
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(path, link); err == nil {
		if _, err := CreateLog(link, false); err == nil {
			t.Error("a log created through a symbolic link")
		}
	}
}

// FuzzReadLog reads arbitrary text: records or an error, never a panic;
// records read are written and read back the same number.
func FuzzReadLog(f *testing.F) {
	var buf bytes.Buffer
	w := NewLogWriter(&buf)
	for _, r := range sampleLog() {
		w.Write(r)
	}
	f.Add(buf.String())
	f.Add("{\"kind\":\"x\"}\n{")
	f.Fuzz(func(t *testing.T, s string) {
		recs, err := ReadLog(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		var out bytes.Buffer
		w := NewLogWriter(&out)
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		back, err := ReadLog(&out, "again")
		if err != nil || len(back) != len(recs) {
			t.Fatalf("rewritten log: %d records, %v; had %d", len(back), err, len(recs))
		}
	})
}
