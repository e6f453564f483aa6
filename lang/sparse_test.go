package lang

import (
	"testing"
)

// TestSparseSignature: an entry's sparse parameter is three inputs, named
// by SparseInput's convention, whose shapes share N and a shape variable
// of their own for the entries.
func TestSparseSignature(t *testing.T) {
	m, err := Load("s.nn", []byte(`fn f(A: sparse f32[N, M], X: f32[M, 4]) -> f32[N, 4] {
    return A @ X
}
`))
	if err != nil {
		t.Fatal(err)
	}
	in, out, err := m.Signature("f")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A.indptr: i32[N + 1]", "A.indices: i32[A.nnz]", "A.values: f32[A.nnz]", "X: f32[M, 4]"}
	if len(in) != len(want) {
		t.Fatalf("inputs %v", in)
	}
	for k, a := range in {
		if got := a.Name + ": " + a.Type.String(); got != want[k] {
			t.Errorf("input %d is %s, want %s", k, got, want[k])
		}
	}
	if len(out) != 1 || out[0].String() != "f32[N, 4]" {
		t.Errorf("results %v", out)
	}
	for _, c := range []struct {
		name, param, part string
		ok                bool
	}{
		{"A.indptr", "A", "indptr", true}, {"adj.values", "adj", "values", true}, {"m/A.indices", "m/A", "indices", true},
		{"x", "", "", false}, {"p.0", "", "", false}, {".values", "", "", false}, {"A.values.x", "", "", false},
	} {
		p, part, ok := SparseInput(c.name)
		if p != c.param || part != c.part || ok != c.ok {
			t.Errorf("SparseInput(%q) = %q, %q, %v", c.name, p, part, ok)
		}
	}
}
