package data

import (
	"strings"
	"testing"
)

func readCSVString(t *testing.T, name, text string, o CSVOptions) *Dataset {
	t.Helper()
	d, err := DecodeCSV(strings.NewReader(text), name, o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAlignCategories: a test file that lacks one of the training file's
// classes numbers its labels by its own strings (c would be 1); aligned,
// each label means the training file's class (c is 2).
func TestAlignCategories(t *testing.T) {
	train := readCSVString(t, "train.csv", "1,a\n2,b\n3,c\n4,a\n", CSVOptions{})
	test := readCSVString(t, "test.csv", "5,c\n6,a\n7,c\n", CSVOptions{})
	if got := test.Arrays["y"].I32; got[0] != 1 || got[1] != 0 {
		t.Fatalf("before: test labels %v; want the file's own numbering [1 0 1]", got)
	}
	if err := AlignCategories(train, test); err != nil {
		t.Fatal(err)
	}
	want := []int32{2, 0, 2} // c a c by the training file's [a b c]
	for i, w := range want {
		if got := test.Arrays["y"].I32[i]; got != w {
			t.Errorf("label %d: %d, want %d", i, got, w)
		}
	}
	if got := test.Categories["y"]; strings.Join(got, ",") != "a,b,c" {
		t.Errorf("categories %v", got)
	}
}

func TestAlignCategoriesErrors(t *testing.T) {
	train := readCSVString(t, "train.csv", "f,l\nx,a\ny,b\n", CSVOptions{Header: HeaderSkip, Categorical: []string{"f"}})
	cases := []struct {
		name, text, want string
	}{
		{"unknown label", "f,l\nx,a\ny,d\n", `test.csv: y holds "d", which train.csv does not have`},
		{"feature categories differ", "f,l\nx,a\nz,b\n", `test.csv: column f has the categories ["x" "z"], train.csv has ["x" "y"]`},
	}
	for _, c := range cases {
		d := readCSVString(t, "test.csv", c.text, CSVOptions{Header: HeaderSkip, Categorical: []string{"f"}})
		err := AlignCategories(train, d)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	numeric := readCSVString(t, "n.csv", "1,0\n2,1\n", CSVOptions{})
	strs := readCSVString(t, "s.csv", "1,a\n2,b\n", CSVOptions{})
	if err := AlignCategories(numeric, strs); err == nil || !strings.Contains(err.Error(), "holds numbers") {
		t.Errorf("strings against numbers: %v", err)
	}
}

// TestCSVHeaderWiderThanRows: a header naming more columns than the first
// data row has is an error at that row, not an index out of range when a
// column is chosen by a header name past the row's end (a fuzzing find:
// "B,0\n0" choosing column "0").
func TestCSVHeaderWiderThanRows(t *testing.T) {
	_, err := DecodeCSV(strings.NewReader("B,0\n0"), "f.csv", CSVOptions{Columns: []string{"0"}, Label: "1"})
	if err == nil || !strings.Contains(err.Error(), `f.csv:2: column "0" is field 2 of the header, but the rows have 1 fields`) {
		t.Errorf("got %v", err)
	}
}
