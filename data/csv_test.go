package data

import (
	"errors"
	"strings"
	"testing"
)

func TestIris(t *testing.T) {
	d, err := ReadCSV("testdata/iris.csv", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x, y := d.Get("x"), d.Get("y")
	if !equalInts(x.Shape, []int{150, 4}) || !equalInts(y.Shape, []int{150}) {
		t.Fatalf("iris shapes %v %v", x.Shape, y.Shape)
	}
	// First and last rows of the file: 5.1,3.5,1.4,0.2,0 and 5.9,3.0,5.1,1.8,2.
	first := []float32{5.1, 3.5, 1.4, 0.2}
	last := []float32{5.9, 3.0, 5.1, 1.8}
	for i := range 4 {
		if x.F32[i] != first[i] || x.F32[149*4+i] != last[i] {
			t.Errorf("iris x[0] %v x[149] %v", x.F32[:4], x.F32[149*4:])
		}
	}
	counts := map[int32]int{}
	for _, c := range y.I32 {
		counts[c]++
	}
	if counts[0] != 50 || counts[1] != 50 || counts[2] != 50 {
		t.Errorf("iris class counts %v", counts)
	}
}

func TestDigitsCSV(t *testing.T) {
	d, err := ReadCSV("testdata/digits.csv.gz", CSVOptions{Scale: 1.0 / 16})
	if err != nil {
		t.Fatal(err)
	}
	x, y := d.Get("x"), d.Get("y")
	if !equalInts(x.Shape, []int{1797, 64}) || d.Len() != 1797 {
		t.Fatalf("digits x %v", x.Shape)
	}
	// The first row starts 0,0,5,13,9,1 and is a 0; the second is a 1.
	if x.F32[2] != 5.0/16 || x.F32[3] != 13.0/16 || y.I32[0] != 0 || y.I32[1] != 1 {
		t.Errorf("digits row 0: %v label %d %d", x.F32[:8], y.I32[0], y.I32[1])
	}
	b, err := Builtin("digits")
	if err != nil {
		t.Fatal(err)
	}
	if !sameTensor(b.Get("x"), x) || !sameTensor(b.Get("y"), y) {
		t.Error("Builtin(digits) differs from testdata/digits.csv.gz")
	}
	for _, v := range x.F32 {
		if v < 0 || v > 1 {
			t.Fatalf("digits pixel %v outside 0..1", v)
		}
	}
	if _, err := Builtin("nope"); err == nil {
		t.Error("Builtin(nope) gave no error")
	}
}

func TestCSVOptions(t *testing.T) {
	read := func(src string, o CSVOptions) *Dataset {
		t.Helper()
		d, err := DecodeCSV(strings.NewReader(src), "t.csv", o)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Named header, label first (column 1), scale.
	d := read("label,a,b\n1,2,3\n0,4,5\n", CSVOptions{LabelColumn: 1, Scale: 0.5})
	if got := d.Get("x").F32; len(got) != 4 || got[0] != 1 || got[3] != 2.5 {
		t.Errorf("x = %v", got)
	}
	if got := d.Get("y").I32; got[0] != 1 || got[1] != 0 {
		t.Errorf("y = %v", got)
	}
	// -2: second column from the end; numeric rows, no header.
	d = read("1,7,3\n4,8,6\n", CSVOptions{LabelColumn: -2})
	if got := d.Get("y").I32; got[0] != 7 || got[1] != 8 || d.Len() != 2 {
		t.Errorf("y = %v", got)
	}
	// sklearn-style numeric first line with fewer fields.
	d = read("2,3\n1,2,3,1\n4,5,6,0\n", CSVOptions{})
	if d.Len() != 2 || d.Get("x").Shape[1] != 3 {
		t.Errorf("sklearn header: %v", d.Get("x").Shape)
	}
	// HeaderNone keeps the first line; HeaderSkip drops it.
	if d := read("1,2\n3,4\n", CSVOptions{Header: HeaderNone}); d.Len() != 2 {
		t.Errorf("HeaderNone: %d rows", d.Len())
	}
	if d := read("1,2\n3,4\n", CSVOptions{Header: HeaderSkip}); d.Len() != 1 || d.Get("y").I32[0] != 4 {
		t.Errorf("HeaderSkip: %v", d.Get("y"))
	}
	// A single data line; NoLabel; another separator; label "2.0".
	if d := read("1;2.0\n", CSVOptions{Comma: ';'}); d.Len() != 1 || d.Get("y").I32[0] != 2 {
		t.Errorf("single line: %v", d.Get("y"))
	}
	if d := read("1,2\n3,4\n", CSVOptions{NoLabel: true}); d.Get("y") != nil || d.Get("x").Shape[1] != 2 {
		t.Errorf("NoLabel: %v", d.Arrays)
	}
}

func TestCSVErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"1,2,3\n4,5\n", "t.csv:2: row has 2 fields, expected 3"},
		{"a,b\n1,2\n3,x\n", `t.csv:3:3: field 2: "x" is not a number`},
		{"1,2\n3,2.5\n", `t.csv:2:3: label "2.5" is not an integer`},
		{"1,2,3\n4,  y,5\n", `t.csv:2:5: field 2: "y" is not a number`},
		{"h\n", "t.csv: no data rows"},
		{"", "t.csv: no data rows"},
		{"1,2\n\"3,4\n", "t.csv:2:"},
		{"1\n2\n", "t.csv:1: a labelled row needs at least 2 fields"},
	}
	for _, c := range cases {
		_, err := DecodeCSV(strings.NewReader(c.src), "t.csv", CSVOptions{})
		var fe *FormatError
		if err == nil || !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
	_, err := DecodeCSV(strings.NewReader("1,2\n"), "t.csv", CSVOptions{LabelColumn: 5})
	if err == nil || !strings.Contains(err.Error(), "t.csv:1: label column 5 is out of range") {
		t.Errorf("label column: %v", err)
	}
	if _, err := ReadCSV("testdata/missing.csv", CSVOptions{}); err == nil {
		t.Error("missing file: no error")
	}
}

// TestCSVColumnsAndCategories reads people.csv choosing columns by name
// and number, a text column and a text label as categories, and compares
// with what make_fixtures.py computed.
func TestCSVColumnsAndCategories(t *testing.T) {
	f := loadFixtures(t)
	d, err := ReadCSV("testdata/people.csv", CSVOptions{Columns: []string{"income", "city", "1"}, Categorical: []string{"city"}, Label: "answer"})
	if err != nil {
		t.Fatal(err)
	}
	x, y := d.Get("x"), d.Get("y")
	if !equalInts(x.Shape, []int{4, 3}) {
		t.Fatalf("x %v", x.Shape)
	}
	for i, w := range f.CSV.X {
		if x.F32[i] != float32(w) {
			t.Errorf("x[%d] = %v, want %v", i, x.F32[i], w)
		}
	}
	if !equalI32(y.I32, f.CSV.Y) || strings.Join(d.Categories["y"], ",") != strings.Join(f.CSV.Answers, ",") ||
		strings.Join(d.Categories["x.city"], ",") != strings.Join(f.CSV.Cities, ",") {
		t.Errorf("y %v, categories %v", y.I32, d.Categories)
	}
	for o, want := range map[*CSVOptions]string{
		{Label: "nope"}:                         `people.csv:2: no column "nope" (columns age, city, income, answer; or a number from 1 to 4)`,
		{Columns: []string{"age", "answer"}}:    `column "answer" is chosen twice`,
		{Columns: []string{"age", "city"}}:      `people.csv:2:4: field 2: "Paris" is not a number (list the column as categorical`,
		{Columns: []string{"5"}, NoLabel: true}: `no column "5"`,
	} {
		_, err := ReadCSV("testdata/people.csv", *o)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", *o, err, want)
		}
	}
	// A header naming the selected columns is detected even when every
	// column is text.
	d, err = DecodeCSV(strings.NewReader("name,color\nbob,red\nann,blue\n"), "t.csv", CSVOptions{Categorical: []string{"name"}, Label: "color"})
	if err != nil || d.Len() != 2 || strings.Join(d.Categories["y"], ",") != "blue,red" || d.Get("y").I32[0] != 1 {
		t.Errorf("all-text CSV: %v %v", d, err)
	}
}
