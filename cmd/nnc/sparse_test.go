package main

import (
	"strings"
	"testing"
)

// TestSparseInputs: a sparse parameter is three --in inputs (by hand: row
// 0 of A = [[0, 2], [1, 1]] times X = [[1, 2], [3, 4]] is [6, 8], row 1
// [4, 6]); a column out of range is an error naming the entry; check takes
// the sparse input's count of entries, A.nnz, in --shapes (2 FLOPs an
// entry and column: 2 · 10 · 2 = 40).
func TestSparseInputs(t *testing.T) {
	p := writeFile(t, "s.nn", "fn f(A: sparse f32[N, M], X: f32[M, F]) -> f32[N, F] {\n    return A @ X\n}\n")
	args := []string{"run", p, "--entry", "f", "--in", "A.indptr=[0, 1, 3]", "--in", "A.values=[2, 1, 1]", "--in", "X=[[1, 2], [3, 4]]"}
	out, errOut, code := nncCmd(t, append(args, "--in", "A.indices=[1, 0, 1]")...)
	if code != 0 || !strings.Contains(out, `"data":[6,8,4,6]`) {
		t.Errorf("run: exit %d, %s %s", code, out, errOut)
	}
	_, errOut, code = nncCmd(t, append(args, "--in", "A.indices=[1, 0, 5]")...)
	if code != 1 || !strings.Contains(errOut, "spmm: column index 5 out of range [0, 2) at position 2 of the column indices") {
		t.Errorf("a bad column: exit %d, %s", code, errOut)
	}
	out, errOut, code = nncCmd(t, "check", p, "--shapes", "A.nnz=10,N=4,M=3,F=2")
	if code != 0 || !strings.Contains(out, "FLOPs 40 per call") {
		t.Errorf("check: exit %d, %s %s", code, out, errOut)
	}
}
