package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestCheckJSONInputs: an entry's inputs print with the same lower-case keys
// as every other field of check --json ("Name", "Type", "DType" before).
func TestCheckJSONInputs(t *testing.T) {
	out, errOut, code := nncCmd(t, "check", "../../models/digits.nn", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		Entries []struct {
			Name   string           `json:"name"`
			Inputs []map[string]any `json:"inputs"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Entries) == 0 || len(s.Entries[0].Inputs) == 0 {
		t.Fatalf("no entry inputs in %s", out)
	}
	want := map[string]any{"name": "x", "type": "f32[B, 64]", "dtype": "f32"}
	if got := s.Entries[0].Inputs[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("%s input 0 = %v, want %v", s.Entries[0].Name, got, want)
	}
}
