package lang

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that no input makes Load, Lower or Signature panic: every
// failure is an ErrorList of positioned errors.
func FuzzLoad(f *testing.F) {
	var seeds []string
	for _, pat := range []string{"testdata/*.nn", "testdata/examples/*.nn", "std/*.nn"} {
		files, _ := filepath.Glob(pat)
		seeds = append(seeds, files...)
	}
	for _, s := range seeds {
		src, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, c := range errorCases {
		f.Add([]byte(c.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		m, err := Load("fuzz.nn", src)
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.Code == CodeInternal {
					t.Fatalf("internal error: %v", e)
				}
				if e.Pos.Line == 0 {
					t.Fatalf("error without a position: %v", e)
				}
			}
			return
		}
		for _, entry := range m.Entries() {
			for _, training := range []bool{false, true} {
				if _, err := m.Lower(entry, LowerOptions{Training: training}); err != nil {
					if list, ok := err.(ErrorList); ok {
						for _, e := range list {
							if e.Code == CodeInternal {
								t.Fatalf("internal error: %v", e)
							}
						}
					}
				}
			}
			_, _, _ = m.Signature(entry)
		}
	})
}
