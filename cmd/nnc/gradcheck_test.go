package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGradcheckCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.nn")
	src := `model M(h: int = 5) {
    param W: f32[3, h] = glorot_uniform()
    param v: f32[h] = normal()

    fn loss(x: f32[B, 3]) -> f32 {
        return mean(softplus(x @ W) * v)
    }
}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := nncCmd(t, "gradcheck", file, "--entry", "M.loss", "--shapes", "B=4", "--seed", "3", "--samples", "-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Entry  string
		OK     bool
		Tol    float64
		Checks []struct {
			Name      string
			Kind      string
			Checked   int
			MaxRelErr float64 `json:"max_rel_err"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]int{"x": 12, "W": 15, "v": 5}
	if !rep.OK || rep.Entry != "M.loss" || len(rep.Checks) != 3 {
		t.Fatalf("report: %s", out)
	}
	for _, c := range rep.Checks {
		if c.Checked != want[c.Name] || c.MaxRelErr > 1e-6 {
			t.Errorf("%s: checked %d (want %d), error %g", c.Name, c.Checked, want[c.Name], c.MaxRelErr)
		}
	}
	if !strings.Contains(errOut, "max rel err") || !strings.Contains(errOut, "M.loss: ok") {
		t.Errorf("no table on stderr: %q", errOut)
	}

	// A given input fixes B.
	out, errOut, code = nncCmd(t, "gradcheck", file, "--entry", "M.loss", "--in", "x=[[1, 2, 3]]", "--quiet")
	if code != 0 || errOut != "" || !strings.Contains(out, `"checked":3`) {
		t.Errorf("with --in: exit %d, %s %s", code, out, errOut)
	}
	if _, _, code := nncCmd(t, "gradcheck", file, "--entry", "M.loss", "--eps", "0"); code != 2 {
		t.Errorf("--eps 0: exit %d, want 2", code)
	}
	if _, errOut, code := nncCmd(t, "gradcheck", file, "--entry", "M.nope"); code != 1 {
		t.Errorf("unknown entry: exit %d, want 1 (%s)", code, errOut)
	}
}
