package lang

import (
	"fmt"
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
		f, perr := parse("main.nn", src)
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
		f2, err := parse("main.nn", got)
		if err != nil {
			t.Errorf("%s: formatted text does not parse: %v", name, err)
		} else if d := sameAST(f, f2); d != "" {
			t.Errorf("%s: syntax tree changed:\n%s", name, d)
		}
	}
}

// TestFormatCommentsEverywhere puts a comment at the end of every line and
// on a line of its own before every line of each program, and checks that
// formatting keeps each comment exactly once, keeps the syntax tree and is
// idempotent.
func TestFormatCommentsEverywhere(t *testing.T) {
	for name, src := range repoSources(t) {
		if _, err := parse("main.nn", src); err != nil {
			continue // a syntax-error case
		}
		lines := strings.Split(strings.TrimRight(string(src), "\n"), "\n")
		var sb strings.Builder
		var marks []string
		for i, l := range lines {
			own, trail := fmt.Sprintf("<o%d>", i), fmt.Sprintf("<t%d>", i)
			marks = append(marks, own, trail)
			fmt.Fprintf(&sb, "// %s\n%s // %s\n", own, l, trail)
		}
		commented := sb.String()
		checkKeepsComments(t, name, commented, marks)
	}
}

func checkKeepsComments(t *testing.T, name, src string, marks []string) {
	t.Helper()
	got, err := Format("main.nn", []byte(src))
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	for _, m := range marks {
		if n := strings.Count(string(got), m); n != 1 {
			t.Errorf("%s: comment %s appears %d times in\n%s", name, m, n, got)
			return
		}
	}
	again, err := Format("main.nn", got)
	if err != nil || string(again) != string(got) {
		t.Errorf("%s: not idempotent (%v):\n%s\nthen\n%s", name, err, got, again)
		return
	}
	f1, _ := parse("main.nn", []byte(src))
	f2, err := parse("main.nn", got)
	if err != nil {
		t.Errorf("%s: %v", name, err)
	} else if d := sameAST(f1, f2); d != "" {
		t.Errorf("%s: syntax tree changed:\n%s", name, d)
	}
}

// TestFormatJoinsLines breaks every line of each program after each comma
// (where a newline does not end a statement) and checks that formatting
// gives the same text as for the original program.
func TestFormatJoinsLines(t *testing.T) {
	n := 0
	for name, src := range repoSources(t) {
		want, err := Format("main.nn", src)
		if err != nil {
			continue // a syntax-error case
		}
		lines := strings.Split(string(src), "\n")
		for i, l := range lines {
			if !strings.Contains(l, "//") && !strings.Contains(l, `"`) {
				lines[i] = strings.ReplaceAll(l, ", ", ",\n        ")
			}
		}
		broken := strings.Join(lines, "\n")
		if broken == string(src) {
			continue
		}
		n++
		got, err := Format("main.nn", []byte(broken))
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, broken)
		} else if string(got) != string(want) {
			t.Errorf("%s: formatted as\n%s\nwant\n%s", name, got, want)
		}
	}
	if n < 10 {
		t.Errorf("only %d programs have commas", n)
	}
}
