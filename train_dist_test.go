package nnc

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/dist"
)

// distMLP is a digits MLP without dropout (a deterministic step, so that
// a plain run can be compared with the sharded one); batch 31 splits
// unevenly over 2 and 3 ranks.
const distMLP = `import "std/nn"

model Net {
    l1   = nn.Dense(64, 16)
    head = nn.Dense(16, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        return head(relu(l1(x)))
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train Net {
    data      = "digits"
    batch     = 31
    epochs    = 1
    optimizer = adam(lr = 1e-2)
    eval_train = false
}
`

// distCNN is a small convolutional net with batch normalization (running
// statistics: states) and dropout on the digits.
const distCNN = `import "std/nn"

model Net {
    c1   = nn.Conv2D(1, 4, kernel = 3, pad = 1)
    bn   = nn.BatchNorm(4)
    head = nn.Dense(4 * 4 * 4, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        h = max_pool2d(relu(bn(c1(reshape(x, [B, 1, 8, 8])))), 2)
        return head(dropout(flatten(h), 0.1))
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y)
    }
}

train Net {
    data      = "digits"
    batch     = 40
    epochs    = 1
    optimizer = sgd(lr = 0.05, momentum = 0.9)
    eval_train = false
}
`

// trainTo trains src with opts, the parameters written to a file of dir,
// and returns the file's bytes.
func trainTo(t *testing.T, src, dir, name string, opts TrainOptions) []byte {
	t.Helper()
	p := compileSource(t, src)
	opts.Output = filepath.Join(dir, name+".safetensors")
	if _, err := p.Train(opts); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return readFile(t, opts.Output)
}

// trainRanks trains src on n goroutine ranks (dist.NewLocal) and returns
// rank 0's parameters file and every rank's error.
func trainRanks(t *testing.T, src, dir, name string, n int, opts func(r int, o *TrainOptions)) ([]byte, []error) {
	t.Helper()
	comms, err := dist.NewLocal(n)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name+".safetensors")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Go(func() {
			defer c.Close()
			p, err := Compile("net.nn", []byte(src))
			if err != nil {
				errs[r] = err
				return
			}
			o := TrainOptions{Output: out, DataParallel: DataParallel{Comm: c}}
			if opts != nil {
				opts(r, &o)
			}
			_, errs[r] = p.Train(o)
		})
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			return nil, errs
		}
		_ = r
	}
	return readFile(t, out), errs
}

// TestDataParallelBitwise: 2 and 3 goroutine ranks train the MLP and the
// CNN to parameters bitwise equal to the same number of emulated shards,
// and the MLP within 1e-6 (relative to the largest parameter) of a plain
// run with the same global batch.
func TestDataParallelBitwise(t *testing.T) {
	dir := t.TempDir()
	for _, m := range []struct{ name, src string }{{"mlp", distMLP}, {"cnn", distCNN}} {
		for _, n := range []int{2, 3} {
			name := fmt.Sprintf("%s-%d", m.name, n)
			emu := trainTo(t, m.src, dir, name+"-shards", TrainOptions{DataParallel: DataParallel{Shards: n}})
			ranks, errs := trainRanks(t, m.src, dir, name+"-ranks", n, nil)
			if ranks == nil {
				t.Fatalf("%s: %v", name, errors.Join(errs...))
			}
			if !bytes.Equal(emu, ranks) {
				t.Errorf("%s: %d ranks' parameters differ from %d emulated shards'", name, n, n)
			}
			if m.name != "mlp" {
				continue
			}
			plain := trainTo(t, m.src, dir, name+"-plain", TrainOptions{})
			if d := maxRelDiff(t, dir, name+"-plain", name+"-shards"); !(d <= 1e-6) {
				t.Errorf("%s: the sharded parameters differ from the plain run's by %.3g of the largest, want ≤ 1e-6", name, d)
			} else if bytes.Equal(plain, emu) {
				t.Logf("%s: bitwise equal to the plain run", name)
			} else {
				t.Logf("%s: %.3g from the plain run", name, d)
			}
		}
	}
}

// maxRelDiff is the largest difference between two parameter files'
// elements over the largest magnitude of a.
func maxRelDiff(t *testing.T, dir, a, b string) float64 {
	t.Helper()
	pa, err := data.LoadSafetensors(filepath.Join(dir, a+".safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	pb, err := data.LoadSafetensors(filepath.Join(dir, b+".safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	big, diff := 0.0, 0.0
	for name, x := range pa {
		y := pb[name]
		if y == nil || y.Len() != x.Len() {
			t.Fatalf("%s: %s missing or of another size in %s", a, name, b)
		}
		for i := range x.Len() {
			big = max(big, math.Abs(x.At(i)))
			diff = max(diff, math.Abs(x.At(i)-y.At(i)))
		}
	}
	return diff / big
}

// TestDataParallelFaults: a rank whose step fails ends every rank's run
// with an error naming it, and the options that exclude each other are
// errors.
func TestDataParallelFaults(t *testing.T) {
	dir := t.TempDir()
	_, errs := trainRanks(t, distMLP, dir, "fault", 3, func(r int, o *TrainOptions) {
		if r == 1 {
			o.Epochs = 2 // rank 1's job differs: refused before training
		}
	})
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "rank 1") {
			t.Errorf("rank %d: got %v, want an error naming rank 1", r, err)
		}
	}
	cause := errors.New("disk on fire")
	_, errs = trainRanks(t, distMLP, dir, "fault", 3, func(r int, o *TrainOptions) {
		if r == 2 {
			o.OnStep = func(e StepEvent) error {
				if e.GlobalStep == 3 {
					return cause
				}
				return nil
			}
		}
	})
	for r, err := range errs {
		var re *dist.RankError
		if r != 2 && (!errors.As(err, &re) || re.Rank != 2 || !errors.Is(err, cause)) {
			t.Errorf("rank %d: got %v, want rank 2's error", r, err)
		}
		t.Logf("rank %d: %v", r, err)
	}
	// A diverging run: the first rank whose shard's loss is not finite
	// ends the job, named in every rank's error.
	huge := func(r int, o *TrainOptions) { o.Optimizer = "sgd(lr = 1e30)" }
	_, errs = trainRanks(t, distMLP, dir, "nan", 2, huge)
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "the loss is") || !strings.Contains(err.Error(), "rank ") {
			t.Errorf("rank %d: got %v, want a rank's non-finite loss", r, err)
		}
	}
	emu := TrainOptions{Optimizer: "sgd(lr = 1e30)", DataParallel: DataParallel{Shards: 2}}
	if _, err := compileSource(t, distMLP).Train(emu); err == nil || !strings.Contains(err.Error(), "shard 0 of 2") {
		t.Errorf("emulated: got %v, want shard 0's non-finite loss", err)
	}
	p := compileSource(t, distMLP)
	c, _ := dist.NewLocal(1)
	for _, o := range []TrainOptions{
		{DataParallel: DataParallel{Shards: -1}},
		{DataParallel: DataParallel{Shards: 2, Comm: c[0]}},
		{DataParallel: DataParallel{Shards: 2}, StepSettings: StepSettings{Accumulate: 2}},
	} {
		if _, err := p.Train(o); err == nil {
			t.Errorf("%+v: no error", o.DataParallel)
		}
	}
}

// TestDataParallelResumeAcross: a checkpoint of a plain run resumes with
// 3 shards, one of 3 shards resumes plain (the accumulators, zero between
// updates, are matched), and one of 3 shards resumes on 2 goroutine ranks
// bitwise as 2 shards resume it.
func TestDataParallelResumeAcross(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(distMLP, "epochs    = 1", "epochs    = 2", 1)
	plainCk := filepath.Join(dir, "plain")
	shardCk := filepath.Join(dir, "shard")
	for _, c := range []struct {
		dir    string
		shards int
	}{{plainCk, 0}, {shardCk, 3}} {
		o := TrainOptions{Epochs: 1, Checkpoint: `checkpoint(every = "30 steps", keep = 1)`, CheckpointDir: c.dir, DataParallel: DataParallel{Shards: c.shards}}
		if _, err := compileSource(t, distMLP).Train(o); err != nil {
			t.Fatal(err)
		}
	}
	from := func(d string) string {
		m, _ := filepath.Glob(filepath.Join(d, "*.safetensors"))
		if len(m) != 1 {
			t.Fatalf("%s: want one checkpoint, got %v", d, m)
		}
		return m[0]
	}
	pc, sc := from(plainCk), from(shardCk)
	trainTo(t, src, dir, "plain-to-3", TrainOptions{Resume: pc, CheckpointDir: filepath.Join(dir, "a"), DataParallel: DataParallel{Shards: 3}})
	trainTo(t, src, dir, "3-to-plain", TrainOptions{Resume: sc, CheckpointDir: filepath.Join(dir, "b")})
	emu := trainTo(t, src, dir, "3-to-2-shards", TrainOptions{Resume: sc, CheckpointDir: filepath.Join(dir, "c"), DataParallel: DataParallel{Shards: 2}})
	ranks, errs := trainRanks(t, src, dir, "3-to-2-ranks", 2, func(r int, o *TrainOptions) {
		o.Resume, o.CheckpointDir = sc, filepath.Join(dir, "d")
	})
	if ranks == nil {
		t.Fatal(errors.Join(errs...))
	}
	if !bytes.Equal(emu, ranks) {
		t.Error("resumed on 2 ranks, the parameters differ from 2 shards resumed from the same checkpoint")
	}
}
