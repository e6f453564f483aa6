package data

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// Fuzz targets of the readers added for issue 11. Each must return a value
// or a *FormatError (or an error about the options) on any input, never
// panic, and its results must be consistent. Run one longer with, for
// example, go test -fuzz FuzzReadJSONL ./data.

func FuzzReadJSONL(f *testing.F) {
	b, err := os.ReadFile("testdata/rows.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"x": [[1, 2], [3, 4]], "y": "a"}` + "\n" + `{"x": [[5, 6], [7, 8]], "y": "b"}`))
	f.Add([]byte(`{"a": true}` + "\n\n" + `{"a": false}`))
	f.Add(gz([]byte(`{"v": 1.5}`)))
	f.Add([]byte(`{"ids": [1, 2, 3], "y": 1}` + "\n" + `{"ids": [], "y": 0}` + "\n" + `{"ids": [4, 5, 6, 7, 8], "y": 0}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeJSONL(bytes.NewReader(b), "f.jsonl", JSONLOptions{Options: Options{MaxBytes: 1 << 20}})
		checkFormatErr(t, err)
		if err == nil {
			checkDataset(t, d)
		}
		// The same bytes with the field ids padded (to at most 4 elements,
		// longer records cut when the input's length is even).
		o := JSONLOptions{Options: Options{MaxBytes: 1 << 20}, Pad: map[string]float64{"ids": -1}, MaxLen: 4, Truncate: len(b)%2 == 0}
		d, err = DecodeJSONL(bytes.NewReader(b), "f.jsonl", o)
		checkFormatErr(t, err)
		if err == nil {
			checkDataset(t, d)
			checkMask(t, d.Arrays["ids"], d.Arrays["ids_mask"])
		}
	})
}

// checkMask checks a padded field against its mask: [N, 4] both, the mask
// ones then zeros in each row, the padding -1.
func checkMask(t *testing.T, a, mask *tensor.Tensor) {
	t.Helper()
	if a == nil || mask == nil || len(a.Shape) != 2 || a.Shape[1] != 4 || !slices.Equal(a.Shape, mask.Shape) {
		t.Fatalf("padded field %v and mask %v", a, mask)
	}
	for i, m := range mask.F32 {
		if m != 0 && m != 1 || i%4 > 0 && m > mask.F32[i-1] {
			t.Fatalf("mask %v", mask.F32)
		}
		if m == 0 && a.At(i) != -1 {
			t.Fatalf("padding %v where the mask is 0", a.At(i))
		}
	}
}

// checkDataset checks that a dataset's arrays agree with their shapes and
// share their rows, and that its categories cover its ids.
func checkDataset(t *testing.T, d *Dataset) {
	t.Helper()
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	for name, a := range d.Arrays {
		if a.Len() != tensor.NumElems(a.Shape) {
			t.Fatalf("%s: %d elements for shape %v", name, a.Len(), a.Shape)
		}
		if cats, ok := d.Categories[name]; ok {
			for _, id := range a.I32 {
				if id < 0 || int(id) >= len(cats) {
					t.Fatalf("%s: id %d outside %d categories", name, id, len(cats))
				}
			}
		}
	}
	if d.Source != nil && d.Source.Rows != nil && len(d.Source.Rows) != d.Len() {
		t.Fatalf("%d source rows for %d rows", len(d.Source.Rows), d.Len())
	}
}

func FuzzReadCSVColumns(f *testing.F) {
	b, err := os.ReadFile("testdata/people.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "income", "city", "answer")
	f.Add([]byte("a,b,c\n1,x,0\n2,y,1\n"), "1", "b", "3")
	f.Add([]byte("name,color\nbob,red\n"), "name", "name", "color")
	f.Fuzz(func(t *testing.T, b []byte, col, cat, label string) {
		o := CSVOptions{Columns: []string{col}, Categorical: []string{cat}, Label: label, MaxBytes: 1 << 20}
		d, err := DecodeCSV(bytes.NewReader(b), "f.csv", o)
		checkFormatErr(t, err)
		if err == nil {
			checkDataset(t, d)
			if d.Get("x").Shape[1] != 1 {
				t.Fatalf("one column chosen, x is %v", d.Get("x").Shape)
			}
		}
		d, err = DecodeCSV(bytes.NewReader(b), "f.csv", CSVOptions{TextColumns: true, MaxBytes: 1 << 20})
		checkFormatErr(t, err)
		if err == nil {
			checkDataset(t, d)
		}
	})
}

func FuzzReadText(f *testing.F) {
	b, err := os.ReadFile("testdata/shakespeare_head.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:300], false, 0.5, "")
	f.Add([]byte("ab\nc\xffd"), true, 0.0, "?")
	f.Add([]byte("héllo wörld"), false, 0.3, "<unk>")
	f.Fuzz(func(t *testing.T, b []byte, asBytes bool, to float64, unknown string) {
		o := TextOptions{Bytes: asBytes, VocabTo: to, Unknown: unknown}
		if !(to >= 0 && to <= 1) {
			o.VocabTo = 0
		}
		txt, err := decodeText(b, "f.txt", o, 1<<20)
		if err != nil {
			if !strings.Contains(err.Error(), "f.txt") {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		if len(txt.IDs) > len(b) {
			t.Fatalf("%d ids for %d bytes", len(txt.IDs), len(b))
		}
		s, err := txt.Decode(txt.IDs)
		if err != nil {
			t.Fatal(err)
		}
		if unknown == "" && s != string(b) {
			t.Fatalf("decoding the ids gives %q, not %q", s, b)
		}
		v, err := ParseVocab(mustVocabJSON(t, txt.Vocab), "v.json")
		if err != nil || v.Len() != txt.Vocab.Len() {
			t.Fatalf("the vocabulary does not survive saving: %v", err)
		}
	})
}

func mustVocabJSON(t *testing.T, v *Vocab) []byte {
	p := filepath.Join(t.TempDir(), "v.json")
	if err := SaveVocab(p, v); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseVocab(f *testing.F) {
	f.Add([]byte(`{"level": "char", "tokens": ["\n", " ", "a", "<unk>"]}`))
	f.Add([]byte(`{"level": "byte", "tokens": ["\u0000", "ÿ"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseVocab(b, "v.json")
		checkFormatErr(t, err)
		if err == nil {
			for i, tok := range v.Tokens {
				if id, ok := v.ID(tok); !ok || int(id) != i {
					t.Fatalf("token %q: id %d, %v", tok, id, ok)
				}
			}
		}
	})
}

func FuzzReadImage(f *testing.F) {
	for _, p := range []string{"testdata/images/a_cat/2.png", "testdata/images/b_dog/1.png"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false, 0, 0)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Black, color.White})
	var g, p bytes.Buffer
	gif.Encode(&g, pal, nil)
	png.Encode(&p, image.NewGray16(image.Rect(0, 0, 2, 5)))
	f.Add(g.Bytes(), true, 4, 3)
	f.Add(p.Bytes(), false, 1, 7)
	f.Fuzz(func(t *testing.T, b []byte, gray bool, h, w int) {
		ch := 3
		if gray {
			ch = 1
		}
		h, w = h%16, w%16
		if h <= 0 || w <= 0 {
			h, w = 0, 0
		}
		r := &imageReader{o: ImageOptions{Gray: gray, Resize: true}, ch: ch, limit: 1 << 22, h: h, w: w}
		err := r.addBytes(b, "f.png")
		checkFormatErr(t, err)
		if err == nil && len(r.data) != ch*r.h*r.w {
			t.Fatalf("%d bytes for %d×%d×%d", len(r.data), ch, r.h, r.w)
		}
	})
}
