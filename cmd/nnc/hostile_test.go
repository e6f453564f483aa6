package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

// The hostile-input suite runs the nnc binary on every case in
// testdata/hostile: malformed, huge, deep or lying inputs, each of which must
// end in a clean error (exit status 1 or 2, a message that names the position
// or the file) within a time limit and an address-space cap, never in a
// panic, a runtime fatal error or an internal error. See
// testdata/hostile/README.md for the case format.

// hostileCase is one parsed testdata/hostile case.
type hostileCase struct {
	args   []string
	exit   int
	stderr []*regexp.Regexp
	stdout []*regexp.Regexp
	memKB  int64
	gens   [][]string
	files  []txtar.File
}

// forbidden is what no run may print: signs that nnc crashed or hit a bug.
var forbidden = regexp.MustCompile(`panic|goroutine |fatal error|internal error|runtime error`)

const (
	hostileTimeout = 60 * time.Second
	hostileMemKB   = 2 << 20 // 2 GiB of address space
)

var (
	nncBinOnce sync.Once
	nncBin     string
	nncBinErr  error
)

// buildNNC builds the command once per test process.
func buildNNC(t *testing.T) string {
	t.Helper()
	nncBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nnc-hostile-")
		if err != nil {
			nncBinErr = err
			return
		}
		nncBin = filepath.Join(dir, "nnc")
		out, err := exec.Command("go", "build", "-o", nncBin, ".").CombinedOutput()
		if err != nil {
			nncBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if nncBinErr != nil {
		t.Fatal(nncBinErr)
	}
	return nncBin
}

func TestHostile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no hostile cases found")
	}
	if testing.Short() {
		t.Skip("the hostile-input suite builds and runs the binary; skipped with -short")
	}
	bin := buildNNC(t)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := parseHostile(file)
			if err != nil {
				t.Fatal(err)
			}
			runHostile(t, bin, c)
		})
	}
}

// parseHostile reads a case: directive lines before the first file, then the
// files.
func parseHostile(file string) (*hostileCase, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	ar := txtar.Parse(data)
	c := &hostileCase{exit: -1, memKB: hostileMemKB, files: ar.Files}
	for i, line := range strings.Split(string(ar.Comment), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want key: value, got %q", file, i+1, line)
		}
		val = strings.TrimSpace(val)
		switch key {
		case "args":
			c.args = strings.Fields(val)
		case "exit":
			c.exit, err = strconv.Atoi(val)
		case "stderr", "stdout":
			var re *regexp.Regexp
			re, err = regexp.Compile(val)
			if key == "stderr" {
				c.stderr = append(c.stderr, re)
			} else {
				c.stdout = append(c.stdout, re)
			}
		case "mem":
			var n int64
			n, err = parseSize(val)
			c.memKB = n >> 10
		case "gen":
			f := strings.Fields(val)
			if len(f) < 2 {
				err = fmt.Errorf("gen: want FILE KIND [ARGS]")
			}
			c.gens = append(c.gens, f)
		default:
			err = fmt.Errorf("unknown directive %q", key)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, i+1, err)
		}
	}
	if len(c.args) == 0 || c.exit < 0 {
		return nil, fmt.Errorf("%s: a case needs args: and exit:", file)
	}
	if c.exit == 0 && len(c.stdout) == 0 {
		return nil, fmt.Errorf("%s: a case that succeeds must say what it prints (stdout:)", file)
	}
	if c.exit != 0 && len(c.stderr) == 0 {
		return nil, fmt.Errorf("%s: a failing case must say what it reports (stderr:)", file)
	}
	return c, nil
}

// parseSize reads 512MB, 2GB, 1024KB (binary units).
func parseSize(s string) (int64, error) {
	units := []struct {
		suf string
		n   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suf) {
			v, err := strconv.ParseInt(strings.TrimSuffix(s, u.suf), 10, 64)
			if err != nil || v <= 0 || v > 1<<40/u.n {
				return 0, fmt.Errorf("bad size %q", s)
			}
			return v * u.n, nil
		}
	}
	return 0, fmt.Errorf("bad size %q: want a unit (KB, MB, GB)", s)
}

func runHostile(t *testing.T, bin string, c *hostileCase) {
	dir := t.TempDir()
	for _, f := range c.files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range c.gens {
		if err := generate(filepath.Join(dir, g[0]), g[1], g[2:]); err != nil {
			t.Fatalf("gen %v: %v", g, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	script := fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, c.memKB)
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", script, bin}, c.args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTRACEBACK=single")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("nnc %s: still running after %v", strings.Join(c.args, " "), hostileTimeout)
	}
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running nnc: %v", err)
		}
		code = ee.ExitCode()
	}
	so, se := stdout.String(), stderr.String()
	report := fmt.Sprintf("nnc %s (%v)\nexit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(c.args, " "), took.Round(time.Millisecond), code, clip(so), clip(se))
	if code != c.exit {
		t.Errorf("exit status %d, want %d\n%s", code, c.exit, report)
	}
	if forbidden.MatchString(se) || forbidden.MatchString(so) {
		t.Errorf("output shows a crash or an internal error\n%s", report)
	}
	for _, re := range c.stderr {
		if !re.MatchString(se) {
			t.Errorf("stderr does not match %q\n%s", re, report)
		}
	}
	for _, re := range c.stdout {
		if !re.MatchString(so) {
			t.Errorf("stdout does not match %q\n%s", re, report)
		}
	}
}

// clip shortens long output in failure reports.
func clip(s string) string {
	if len(s) > 4000 {
		return s[:2000] + "\n...\n" + s[len(s)-2000:]
	}
	return s
}
