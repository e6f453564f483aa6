//go:build mpi

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The distributed tests run nnc (built with -tags mpi) under mpirun on
// this machine: go test -tags mpi ./cmd/nnc -run TestDistributedMPI.

// distModels are a digits MLP (batch 31: uneven shards over 2 and 3
// ranks) and a CNN with batch normalization and dropout.
var distModels = map[string]string{
	"mlp": `import "std/nn"

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
    epochs    = EPOCHS
    optimizer = adam(lr = 1e-2)
}
`,
	"cnn": `import "std/nn"

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
    epochs    = EPOCHS
    optimizer = sgd(lr = 0.05, momentum = 0.9)
}
`,
}

// buildMPI builds nnc with -tags mpi into dir.
func buildMPI(t *testing.T, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("mpirun"); err != nil {
		if os.Getenv("NNC_MPI") == "1" {
			t.Fatal("NNC_MPI=1 but no mpirun (apt install openmpi-bin libopenmpi-dev)")
		}
		t.Skip("no mpirun (apt install openmpi-bin libopenmpi-dev)")
	}
	bin := filepath.Join(dir, "nnc")
	if out, err := exec.Command("go", "build", "-tags", "mpi", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags mpi: %v\n%s", err, out)
	}
	return bin
}

func writeModel(t *testing.T, dir, name string, epochs int) string {
	t.Helper()
	path := filepath.Join(dir, name+".nn")
	src := strings.Replace(distModels[name], "EPOCHS", strconv.Itoa(epochs), 1)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// mpirunCmd is the command running nnc on n ranks of this machine.
func mpirunCmd(n int, bin string, args ...string) *exec.Cmd {
	return exec.Command("mpirun", append([]string{"--oversubscribe", "--allow-run-as-root", "-np", strconv.Itoa(n), bin}, args...)...)
}

func runOK(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return string(out)
}

// TestDistributedMPI: mpirun -np 2 and -np 3 train the MLP and the CNN
// (with batch norm and dropout) and models/digits.nn (2 of its epochs) to
// parameters bitwise equal to --shards 2 and 3 in one process. The zoo's
// CNNs train on 60,000 images, too long for CI: the CNN here is a small
// one on the same digits.
func TestDistributedMPI(t *testing.T) {
	dir := t.TempDir()
	bin := buildMPI(t, dir)
	zoo, err := filepath.Abs(filepath.Join("..", "..", "models", "digits.nn"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mlp", "cnn", "digits"} {
		model, extra := zoo, []string{"--epochs", "2"}
		if name != "digits" {
			model, extra = writeModel(t, dir, name, 2), nil
		}
		for _, n := range []int{2, 3} {
			emu := filepath.Join(dir, fmt.Sprintf("%s-shards%d.safetensors", name, n))
			runOK(t, exec.Command(bin, append([]string{"train", "--quiet", "--shards", strconv.Itoa(n), "-o", emu, model}, extra...)...))
			got := filepath.Join(dir, fmt.Sprintf("%s-np%d.safetensors", name, n))
			out := runOK(t, mpirunCmd(n, bin, append([]string{"train", "--quiet", "--distributed", "-o", got, model}, extra...)...))
			if c := strings.Count(out, "test accuracy"); c != 1 {
				t.Errorf("%s -np %d: %d final lines, want rank 0's only:\n%s", name, n, c, out)
			}
			if !bytes.Equal(readBytes(t, emu), readBytes(t, got)) {
				t.Errorf("%s: mpirun -np %d's parameters differ from --shards %d's", name, n, n)
			}
		}
	}
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDistributedKillResume kills rank 1 of a 3-rank job once it has
// written a checkpoint: the job ends within seconds, mpirun naming the
// rank; the run resumed from the checkpoint on 3 ranks ends with the
// parameters of an uninterrupted --shards 3 run, and on 2 ranks with those
// of --shards 2 resumed from the same checkpoint.
func TestDistributedKillResume(t *testing.T) {
	dir := t.TempDir()
	bin := buildMPI(t, dir)
	model := writeModel(t, dir, "mlp", 60)
	ck := filepath.Join(dir, "ck")
	args := []string{"train", "--quiet", "--checkpoint", `every = "100 steps", keep = 2`, "--checkpoint-dir", ck}
	cmd := mpirunCmd(3, bin, append(args, "--distributed", "-o", filepath.Join(dir, "killed.safetensors"), model)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := waitCheckpoint(t, ck, cmd)
	pid := rankPID(t, cmd.Process.Pid, 1)
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(killed)
	if err == nil {
		t.Fatalf("the job with a killed rank exited 0:\n%s", out.String())
	}
	if took > 20*time.Second {
		t.Errorf("the job ended %v after rank 1 was killed", took)
	}
	if !strings.Contains(out.String(), "rank 1") {
		t.Errorf("mpirun's report does not name rank 1:\n%s", out.String())
	}
	t.Logf("killed rank 1 (pid %d) after checkpoint %s: the job ended in %v", pid, filepath.Base(first), took.Round(time.Millisecond))
	// The checkpoint to resume from: the oldest kept (the newest may be
	// one rank 0 was writing when the job ended).
	cks, _ := filepath.Glob(filepath.Join(ck, "*.safetensors"))
	if len(cks) == 0 {
		t.Fatal("no checkpoint")
	}
	from := filepath.Join(dir, "from.safetensors")
	if err := os.WriteFile(from, readBytes(t, cks[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	// Each later run checkpoints into a directory of its own.
	again := func(name string, more ...string) []string {
		a := []string{"train", "--quiet", "--checkpoint", `every = "100 steps", keep = 2`, "--checkpoint-dir", filepath.Join(dir, name)}
		return append(append(a, more...), "-o", filepath.Join(dir, name+".safetensors"), model)
	}
	runOK(t, exec.Command(bin, again("ref3", "--shards", "3")...))
	runOK(t, mpirunCmd(3, bin, again("resumed3", "--distributed", "--resume", from)...))
	if !bytes.Equal(readBytes(t, filepath.Join(dir, "ref3.safetensors")), readBytes(t, filepath.Join(dir, "resumed3.safetensors"))) {
		t.Errorf("resumed on 3 ranks from %s: the parameters differ from an uninterrupted --shards 3 run's", filepath.Base(cks[0]))
	}
	runOK(t, exec.Command(bin, again("ref2", "--shards", "2", "--resume", from)...))
	runOK(t, mpirunCmd(2, bin, again("resumed2", "--distributed", "--resume", from)...))
	if !bytes.Equal(readBytes(t, filepath.Join(dir, "ref2.safetensors")), readBytes(t, filepath.Join(dir, "resumed2.safetensors"))) {
		t.Errorf("resumed on 2 ranks from %s: the parameters differ from --shards 2 resumed from it", filepath.Base(cks[0]))
	}
}

// waitCheckpoint waits for the first checkpoint in dir (at most a
// minute) and returns its path.
func waitCheckpoint(t *testing.T, dir string, cmd *exec.Cmd) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m, _ := filepath.Glob(filepath.Join(dir, "*.safetensors")); len(m) > 0 {
			return m[0]
		}
	}
	cmd.Process.Kill()
	t.Fatal("no checkpoint written within a minute")
	return ""
}

// rankPID finds the process of the given rank among mpirun's children
// (OMPI_COMM_WORLD_RANK in its environment).
func rankPID(t *testing.T, mpirun, rank int) int {
	t.Helper()
	want := fmt.Sprintf("OMPI_COMM_WORLD_RANK=%d", rank)
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", mpirun))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			env, _ := os.ReadFile("/proc/" + s + "/environ")
			for _, kv := range bytes.Split(env, []byte{0}) {
				if string(kv) == want {
					pid, _ := strconv.Atoi(s)
					return pid
				}
			}
		}
	}
	t.Fatalf("no child of mpirun %d has %s", mpirun, want)
	return 0
}

// TestDistributedRankFails: a rank that fails before training (its model
// file is missing) or in a step (a loss that is not finite) ends the job
// promptly with a message naming a rank and the cause.
func TestDistributedRankFails(t *testing.T) {
	dir := t.TempDir()
	bin := buildMPI(t, dir)
	model := writeModel(t, dir, "mlp", 2)
	wrap := filepath.Join(dir, "wrap.sh")
	script := "#!/bin/sh\nif [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then exec " + bin + " train --quiet --distributed " + filepath.Join(dir, "missing.nn") +
		"; fi\nexec " + bin + " train --quiet --distributed " + model + "\n"
	if err := os.WriteFile(wrap, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cmd  *exec.Cmd
		want []string
	}{
		{mpirunCmd(3, wrap), []string{"nnc: rank 1 of 3 failed, aborting the job:", "missing.nn"}},
		{mpirunCmd(3, bin, "train", "--quiet", "--distributed", "--optimizer", "sgd(lr = 1e30)", model), []string{"failed, aborting the job: epoch 1, step", "the loss is"}},
	} {
		start := time.Now()
		out, err := c.cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%v: exit status 0:\n%s", c.cmd.Args, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%v: the output lacks %q:\n%s", c.cmd.Args, w, out)
			}
		}
		if d := time.Since(start); d > 60*time.Second {
			t.Errorf("%v: the job took %v to end", c.cmd.Args, d)
		}
	}
}
