package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDataCommand: nnc data describes a file (text and JSON) and, given a
// program, how its arrays bind to the train block's entry; mistakes on the
// command line are usage errors.
func TestDataCommand(t *testing.T) {
	out, errOut, code := nncCmd(t, "data", "../../data/testdata/people.csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// people.csv: 4 rows; the last column (answer) is text, so categories.
	for _, want := range []string{"people.csv (csv)", "4 rows", "x f32[4, 3]", "y i32[4]  range [0, 2]  3 categories", "classes 0: 1, 1: 1, 2: 2; imbalance (largest/smallest) 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = nncCmd(t, "data", "../../data/testdata/mnist_tiny", "testdata/data_bind.nn", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var info struct {
		Format string
		Parts  []struct {
			Name   string
			Rows   int
			Arrays []struct {
				Name, DType, Stored string
				Shape               []int
			}
		}
		Binding struct {
			Entry  string
			Part   string
			Inputs []struct {
				Input, Type, Array, Problem string
				OK                          bool
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if info.Format != "idx-splits" || len(info.Parts) != 2 || info.Parts[1].Name != "test" || info.Parts[1].Rows != 3 ||
		info.Parts[0].Arrays[0].Stored != "u8" || info.Parts[0].Arrays[0].DType != "f32" {
		t.Errorf("description %+v", info)
	}
	b := info.Binding
	if b.Entry != "C.loss" || b.Part != "train" || len(b.Inputs) != 2 || !b.Inputs[0].OK || b.Inputs[0].Array != "f32[5, 4, 4]" || !b.Inputs[1].OK {
		t.Errorf("binding %+v", b)
	}
	out, _, code = nncCmd(t, "data", "../../data/testdata/mnist_tiny", "testdata/data_bind.nn", "--entry", "C.flat")
	if code != 0 || !strings.Contains(out, "x: f32[B, 16]  <- f32[5, 4, 4]  PROBLEM: rows of the array are [4, 4], the input's [16]: the same 16 elements, so a reshape binds them") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	for _, args := range [][]string{
		{"data"},
		{"data", "a.csv", "b.csv"},
		{"data", "a.csv", "--entry", "C.loss"},
		{"data", "a.csv", "m.nn", "--entry", "C.loss", "--model", "C"},
		{"data", "a.csv", "--max-data", "-1"},
	} {
		if _, _, code := nncCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	_, errOut, code = nncCmd(t, "data", "nosuch.csv")
	if code != 1 || !strings.Contains(errOut, "nosuch.csv") {
		t.Errorf("a missing file: exit %d, %s", code, errOut)
	}
}
