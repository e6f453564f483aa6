//go:build mpi

package mpi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nnclang/nnc/dist"
)

// TestMPICollectives runs this test binary under mpirun with 3 ranks
// (NNC_MPI_CHILD=1 in the ranks): the allreduce sums in rank order, with
// values that another order rounds differently (0, where (1e8-1e8)+1
// would give 1), and the broadcast copies
// rank 2's buffer; then rank 1 aborts and the job ends with its message.
func TestMPICollectives(t *testing.T) {
	if os.Getenv("NNC_MPI_CHILD") != "" {
		child()
		return
	}
	if _, err := exec.LookPath("mpirun"); err != nil {
		if os.Getenv("NNC_MPI") == "1" {
			t.Fatal("NNC_MPI=1 but no mpirun (apt install openmpi-bin)")
		}
		t.Skip("no mpirun (apt install openmpi-bin)")
	}
	out, err := mpirun(t, 3, "collectives")
	if err != nil {
		t.Fatalf("mpirun: %v\n%s", err, out)
	}
	for r := range 3 {
		for _, want := range []string{
			fmt.Sprintf("rank %d of 3: allreduce [0 3] f64 7.5 bcast [2 6.5]", r),
			fmt.Sprintf("rank %d: long allreduce in rank order: true", r),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	}
	start := time.Now()
	out, err = mpirun(t, 3, "abort")
	if err == nil {
		t.Fatalf("a job with an aborting rank exited 0:\n%s", out)
	}
	if !strings.Contains(out, "rank 1 of 3 failed, aborting the job: the loss is NaN") {
		t.Errorf("the output does not name rank 1 and its cause:\n%s", out)
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("the aborted job took %v to end", d)
	}
}

func mpirun(t *testing.T, n int, what string) (string, error) {
	t.Helper()
	cmd := exec.Command("mpirun", "--oversubscribe", "--allow-run-as-root", "-np", fmt.Sprint(n),
		"-x", "NNC_MPI_CHILD="+what, os.Args[0], "-test.run=^TestMPICollectives$|^TestMPIAllreduceCost$")
	b, err := cmd.CombinedOutput()
	return string(b), err
}

func child() {
	c, err := Init()
	if err != nil {
		fmt.Println("init:", err)
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Printf("rank %d: %v\n", c.Rank(), err)
		os.Exit(2)
	}
	if os.Getenv("NNC_MPI_CHILD") == "cost" {
		cost(c)
		return
	}
	if os.Getenv("NNC_MPI_CHILD") == "abort" {
		if c.Rank() == 1 {
			c.Abort(fmt.Errorf("the loss is NaN"))
		}
		if err := c.Barrier(); err != nil {
			fail(err)
		}
		time.Sleep(30 * time.Second) // killed by mpirun before this ends
		os.Exit(0)
	}
	vals := []float32{1e8, 1, -1e8}
	b := []float32{vals[c.Rank()], float32(c.Rank())} // in rank order ((0+1e8)+1)-1e8 = 0 in float32; (1e8-1e8)+1 would be 1
	if err := c.AllreduceF32(b); err != nil {
		fail(err)
	}
	d := []float64{float64(c.Rank()) + 1.5}
	if err := c.AllreduceF64(d); err != nil {
		fail(err)
	}
	bc := []float64{float64(c.Rank()), float64(c.Rank()) + 4.5}
	if err := c.BcastF64(bc, 2); err != nil {
		fail(err)
	}
	fmt.Printf("rank %d of %d: allreduce %v f64 %v bcast %v\n", c.Rank(), c.Size(), b, d[0], bc)
	// A longer buffer (chunks of 334, the last padded): every element is
	// the rank-order sum of the values each rank draws from its seed.
	const n = 1001
	parts := make([][]float32, c.Size())
	for r := range parts {
		rng := rand.New(rand.NewPCG(uint64(r), 7))
		parts[r] = make([]float32, n)
		for i := range parts[r] {
			parts[r][i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(8))))
		}
	}
	want := make([]float32, n)
	dist.SumInOrderF32(want, parts)
	got := slices.Clone(parts[c.Rank()])
	if err := c.AllreduceF32(got); err != nil {
		fail(err)
	}
	fmt.Printf("rank %d: long allreduce in rank order: %v\n", c.Rank(), slices.Equal(got, want))
	if err := c.Barrier(); err != nil {
		fail(err)
	}
	if err := c.Close(); err != nil {
		fail(err)
	}
	os.Exit(0)
}

// TestMPIAllreduceCost prints the time of AllreduceF32 on 2 and 3 ranks
// for buffers of 1e3 to 4e6 floats (docs/distributed.md's figures); it
// measures and asserts nothing else, and runs only with NNC_MPI_COST=1.
func TestMPIAllreduceCost(t *testing.T) {
	if os.Getenv("NNC_MPI_COST") == "" {
		t.Skip("NNC_MPI_COST=1 measures the allreduce")
	}
	for _, n := range []int{2, 3} {
		out, err := mpirun(t, n, "cost")
		if err != nil {
			t.Fatalf("mpirun: %v\n%s", err, out)
		}
		t.Logf("%d ranks:\n%s", n, out)
	}
}

// cost times the allreduce (rank 0 prints the mean of 20 calls after 3).
func cost(c dist.Comm) {
	for _, n := range []int{1000, 10000, 100000, 1000000, 4000000} {
		buf := make([]float32, n)
		var d time.Duration
		for i := range 23 {
			c.Barrier()
			t0 := time.Now()
			if err := c.AllreduceF32(buf); err != nil {
				fmt.Println(err)
				os.Exit(2)
			}
			if i >= 3 {
				d += time.Since(t0)
			}
		}
		if c.Rank() == 0 {
			fmt.Printf("allreduce of %d floats (%d bytes): %.3f ms\n", n, 4*n, d.Seconds()*1e3/20)
		}
	}
	c.Close()
	os.Exit(0)
}
