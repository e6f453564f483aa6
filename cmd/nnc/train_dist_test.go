//go:build unix && !mpi

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainShardsFlags: --shards trains (the final line on stdout), a
// shard count below 1 and --shards with --distributed are usage errors
// (code 2), and --distributed in an nnc built without MPI says so.
func TestTrainShardsFlags(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.nn")
	src := strings.Replace(loopModel, "epochs    = 3", "epochs    = 1", 1)
	if err := os.WriteFile(model, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := nncCmd(t, "train", model, "--quiet", "--shards", "3")
	if code != 0 || !strings.Contains(out, "test accuracy") {
		t.Errorf("--shards 3: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, args := range [][]string{{"--shards", "0"}, {"--shards", "-2"}, {"--shards", "2", "--distributed"}} {
		if _, errOut, code := nncCmd(t, append([]string{"train", model, "--quiet"}, args...)...); code != 2 {
			t.Errorf("%v: code %d (want 2), stderr %q", args, code, errOut)
		}
	}
	_, errOut, code = nncCmd(t, "train", model, "--quiet", "--distributed")
	if code != 1 || !strings.Contains(errOut, "built without MPI: build it with -tags mpi") {
		t.Errorf("--distributed without MPI: code %d, stderr %q", code, errOut)
	}
}
