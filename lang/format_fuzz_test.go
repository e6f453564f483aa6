package lang

import (
	"bytes"
	"testing"
)

// FuzzFormat checks that Format never panics and, for source that parses,
// that its result parses to the same syntax tree and formats to itself.
func FuzzFormat(f *testing.F) {
	for _, src := range repoSources(f) {
		f.Add(src)
	}
	for _, c := range errorCases {
		f.Add([]byte(c.src))
	}
	f.Add([]byte(firstLook))
	f.Add([]byte("fn sq(x: f32[N]) -> f32[N] = x * x // c\nmodel M() {\n    fn g(x: f32) = -(x + 1) ** 2\n}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := Format("fuzz.nn", src)
		f1, perr := parse("fuzz.nn", src)
		if perr != nil {
			if err == nil {
				t.Fatalf("Format accepted what Parse rejects: %v", perr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Format failed on parsed source: %v", err)
		}
		f2, err := parse("fuzz.nn", out)
		if err != nil {
			t.Fatalf("formatted text does not parse: %v\n%s", err, out)
		}
		if d := sameAST(f1, f2); d != "" {
			t.Fatalf("syntax tree changed:\n%s\nformatted:\n%s", d, out)
		}
		again, err := Format("fuzz.nn", out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent (%v):\n%s\nthen:\n%s", err, out, again)
		}
	})
}
