package train

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nnclang/nnc/data"
)

// TestRunPrep: Config.Prep sees every training batch of every epoch, in
// order, before its step; an error of Prep stops training naming the epoch;
// no prefetching goroutine outlives a Run that failed.
func TestRunPrep(t *testing.T) {
	cfg := digitsConfig(t, 2, 3)
	cfg.Forward, cfg.Loss, cfg.Val, cfg.Test = nil, nil, nil, nil
	var seen []int
	epochs := map[int]int{}
	cfg.Prep = func(b *data.Batch, epoch int) error {
		seen = append(seen, b.Index)
		epochs[epoch]++
		return nil
	}
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine() // after the kernels' worker pool started
	per := res.Steps / 2
	if len(seen) != res.Steps || epochs[0] != per || epochs[1] != per {
		t.Fatalf("Prep saw %d batches (%v by epoch) for %d steps", len(seen), epochs, res.Steps)
	}
	for i, idx := range seen {
		if idx != i%per {
			t.Fatalf("batch %d of the run came as index %d", i, idx)
		}
	}

	bad := errors.New("no room for the image")
	cfg = digitsConfig(t, 2, 3)
	cfg.Forward, cfg.Loss, cfg.Val, cfg.Test = nil, nil, nil, nil
	cfg.Prep = func(b *data.Batch, epoch int) error {
		if epoch == 1 && b.Index == 4 {
			return bad
		}
		return nil
	}
	if _, err := Run(cfg); !errors.Is(err, bad) || !strings.Contains(err.Error(), "epoch 2: preparing a batch: no room for the image") {
		t.Fatalf("failing Prep: %v", err)
	}
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > base; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Run, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
	}
}
