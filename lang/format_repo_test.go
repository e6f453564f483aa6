package lang

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// repoSources returns every .nn program of the repository (the files, and
// the main.nn of each conformance case), keyed by a readable name.
func repoSources(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != ".." && (strings.HasPrefix(n, ".") || n == "fuzz") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(path, ".nn"):
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[path] = src
		case strings.HasSuffix(path, ".txtar"):
			a, err := txtar.ParseFile(path)
			if err != nil {
				return err
			}
			for _, f := range a.Files {
				if strings.HasSuffix(f.Name, ".nn") {
					out[path+"/"+f.Name] = f.Data
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRepoFormatted keeps every .nn program in the repository canonically
// formatted (run `nnc fmt -w` on a file this test names). A program that
// does not parse (a syntax-error case) must make Format report the
// parser's error.
func TestRepoFormatted(t *testing.T) {
	srcs := repoSources(t)
	if len(srcs) < 10 {
		t.Fatalf("found only %d programs", len(srcs))
	}
	for name, src := range srcs {
		f, perr := Parse("main.nn", src)
		got, err := Format("main.nn", src)
		if perr != nil {
			if err == nil || err.Error() != perr.Error() {
				t.Errorf("%s: Format error %v, Parse error %v", name, err, perr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != string(src) {
			t.Errorf("%s is not formatted; canonical form:\n%s", name, got)
			continue
		}
		f2, err := Parse("main.nn", got)
		if err != nil {
			t.Errorf("%s: formatted text does not parse: %v", name, err)
		} else if d := sameAST(f, f2); d != "" {
			t.Errorf("%s: syntax tree changed:\n%s", name, d)
		}
	}
}
