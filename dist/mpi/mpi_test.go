//go:build mpi

package mpi

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
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
		t.Skip("no mpirun (apt install openmpi-bin)")
	}
	out, err := mpirun(t, 3, "collectives")
	if err != nil {
		t.Fatalf("mpirun: %v\n%s", err, out)
	}
	for r := range 3 {
		want := fmt.Sprintf("rank %d of 3: allreduce [0 3] f64 7.5 bcast [2 6.5]", r)
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
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
	cmd := exec.Command("mpirun", "--oversubscribe", "--allow-run-as-root", "-np", fmt.Sprint(n),
		"-x", "NNC_MPI_CHILD="+what, os.Args[0], "-test.run=^TestMPICollectives$")
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
	if err := c.Barrier(); err != nil {
		fail(err)
	}
	if err := c.Close(); err != nil {
		fail(err)
	}
	os.Exit(0)
}
