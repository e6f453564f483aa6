package dist

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"
)

// run calls f on every rank of a local job of n, concurrently.
func run(t *testing.T, n int, f func(c Comm) error) []error {
	t.Helper()
	cs, err := NewLocal(n)
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for r, c := range cs {
		wg.Go(func() {
			errs[r] = f(c)
			c.Close()
		})
	}
	wg.Wait()
	return errs
}

// TestAllreduceRankOrder: the sum is formed in rank order, whatever the
// ranks' timing: values chosen so that another order rounds differently.
func TestAllreduceRankOrder(t *testing.T) {
	vals := []float32{1e8, 1, -1e8, 1} // in rank order: ((0+1e8)+1)-1e8)+1 = 1 in float32
	want := ((float32(0) + vals[0] + vals[1]) + vals[2]) + vals[3]
	if want != 1 {
		t.Fatalf("the test's values: rank-order sum %v, want 1", want)
	}
	for trial := range 20 {
		errs := run(t, 4, func(c Comm) error {
			time.Sleep(time.Duration((c.Rank()*7+trial)%4) * time.Millisecond)
			b := []float32{vals[c.Rank()], float32(c.Rank())}
			if err := c.AllreduceF32(b); err != nil {
				return err
			}
			if b[0] != want || b[1] != 6 {
				t.Errorf("rank %d: allreduce gives %v, want [%v 6]", c.Rank(), b, want)
			}
			d := []float64{float64(c.Rank()) + 0.5}
			if err := c.AllreduceF64(d); err != nil {
				return err
			}
			if d[0] != 8 {
				t.Errorf("rank %d: f64 allreduce gives %v, want 8", c.Rank(), d[0])
			}
			return c.Barrier()
		})
		for r, err := range errs {
			if err != nil {
				t.Fatalf("trial %d rank %d: %v", trial, r, err)
			}
		}
	}
}

func TestBcast(t *testing.T) {
	errs := run(t, 3, func(c Comm) error {
		b := []float64{float64(c.Rank()), math.Pi * float64(c.Rank())}
		if err := c.BcastF64(b, 2); err != nil {
			return err
		}
		if b[0] != 2 || b[1] != 2*math.Pi {
			t.Errorf("rank %d: bcast gives %v", c.Rank(), b)
		}
		f := []float32{float32(c.Rank())}
		if err := c.BcastF32(f, 0); err != nil {
			return err
		}
		if f[0] != 0 {
			t.Errorf("rank %d: bcast f32 gives %v", c.Rank(), f)
		}
		return c.BcastF32(f, 3)
	})
	for r, err := range errs {
		if err == nil {
			t.Errorf("rank %d: a broadcast from rank 3 of 3 gave no error", r)
		}
	}
}

// TestAbortAndLeave: a rank that aborts, or leaves, ends the others'
// waits with an error naming it.
func TestAbortAndLeave(t *testing.T) {
	cause := errors.New("the loss is NaN")
	errs := run(t, 3, func(c Comm) error {
		if c.Rank() == 1 {
			time.Sleep(5 * time.Millisecond)
			c.Abort(cause)
			return nil
		}
		return c.AllreduceF32(make([]float32, 4))
	})
	for _, r := range []int{0, 2} {
		var re *RankError
		if !errors.As(errs[r], &re) || re.Rank != 1 || !errors.Is(errs[r], cause) {
			t.Errorf("rank %d: got %v, want rank 1's abort", r, errs[r])
		}
	}
	errs = run(t, 2, func(c Comm) error {
		if c.Rank() == 0 {
			return nil // leaves: Close
		}
		return c.Barrier()
	})
	var re *RankError
	if !errors.As(errs[1], &re) || re.Rank != 0 || !errors.Is(errs[1], ErrLeft) {
		t.Errorf("rank 1: got %v, want rank 0 left", errs[1])
	}
	errs = run(t, 2, func(c Comm) error {
		if c.Rank() == 0 {
			return c.AllreduceF32(make([]float32, 3))
		}
		return c.AllreduceF32(make([]float32, 2))
	})
	if errs[0] == nil || errs[1] == nil {
		t.Errorf("mismatched lengths: got %v", errs)
	}
	if _, err := NewLocal(0); err == nil {
		t.Error("NewLocal(0) gave no error")
	}
}
