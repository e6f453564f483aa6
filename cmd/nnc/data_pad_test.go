package main

import (
	"strings"
	"testing"
)

// TestDataPad: nnc data --pad shows a ragged JSON Lines field padded to the
// longest record (testdata/train/ragged.jsonl: 48 records of 1 to 6 ids,
// make_ragged.py) with its mask, binds both to ragged.nn's inputs, and
// checks its flags.
func TestDataPad(t *testing.T) {
	const file = "../../testdata/train/ragged.jsonl"
	out, errOut, code := nncCmd(t, "data", file, "--pad", "ids")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"48 rows", "ids i32[48, 6]  range [0, 7]", "ids_mask f32[48, 6]  range [0, 1]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = nncCmd(t, "data", file, "../../testdata/train/ragged.nn", "--pad", "ids", "--max-len", "8", "--pad-value", "-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"ids i32[48, 8]  range [-1, 7]", "ids: i32[B, L]  <- i32[48, 8]", "ids_mask: f32[B, L]  <- f32[48, 8]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 1, `ragged.jsonl:2: field "ids": shape [5] where earlier records have [1]`},
		{[]string{"--pad", "ids", "--max-len", "4"}, 1, `ragged.jsonl:2: field "ids": 5 elements, more than the maximum length 4`},
		{[]string{"--max-len", "4"}, 2, "--max-len needs --pad FIELD"},
		{[]string{"--pad", "ids", "--truncate"}, 2, "--truncate needs --max-len"},
		{[]string{"--pad", "ids,", "--max-len", "4"}, 2, "--pad: want field names separated by commas"},
		{[]string{"--pad", "ids", "--max-len", "-3"}, 2, "--max-len: want a positive length"},
	} {
		_, errOut, code := nncCmd(t, append([]string{"data", file}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want exit %d, %q", c.args, code, errOut, c.code, c.want)
		}
	}
}
