package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// TestJSONL reads rows.jsonl: numbers, arrays, nested arrays, booleans and
// strings as categories, every field of the first record.
func TestJSONL(t *testing.T) {
	f := loadFixtures(t)
	d, err := ReadJSONL("testdata/rows.jsonl", JSONLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.Names(), " "); got != "img label n ok x" {
		t.Fatalf("arrays %q", got)
	}
	x, label, n, ok, img := d.Get("x"), d.Get("label"), d.Get("n"), d.Get("ok"), d.Get("img")
	if x.DType != tensor.F32 || !equalInts(x.Shape, []int{3, 3}) {
		t.Fatalf("x %v%v", x.DType, x.Shape)
	}
	for i, w := range f.JSONL.X {
		if x.F32[i] != float32(w) {
			t.Errorf("x[%d] = %v, want %v", i, x.F32[i], w)
		}
	}
	if label.DType != tensor.I32 || !equalI32(label.I32, f.JSONL.Label) || strings.Join(d.Categories["label"], ",") != strings.Join(f.JSONL.Categories, ",") {
		t.Errorf("label %v, categories %v", label, d.Categories)
	}
	if n.DType != tensor.I32 || !equalI32(n.I32, f.JSONL.N) {
		t.Errorf("n %v", n)
	}
	if ok.DType != tensor.Bool || ok.Bool[0] != (f.JSONL.OK[0] == 1) || ok.Bool[1] != (f.JSONL.OK[1] == 1) {
		t.Errorf("ok %v", ok)
	}
	if img.DType != tensor.I32 || !equalInts(img.Shape, []int{3, 2, 2}) || !equalI32(img.I32, f.JSONL.Img) {
		t.Errorf("img %v", img)
	}
	if !equalI32(d.Source.Rows, f.JSONL.Lines) {
		t.Errorf("lines %v, want %v", d.Source.Rows, f.JSONL.Lines)
	}
	d, err = ReadJSONL("testdata/rows.jsonl", JSONLOptions{Fields: []string{"n"}, Types: map[string]tensor.DType{"n": tensor.F64}})
	if err != nil || d.Get("n").DType != tensor.F64 || d.Get("n").F64[2] != 2147483647 || len(d.Names()) != 1 {
		t.Errorf("Fields and Types: %v %v", d, err)
	}
}

func equalI32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestJSONLErrors: each malformed record is an error naming the file, the
// line and the field.
func TestJSONLErrors(t *testing.T) {
	for src, want := range map[string]string{
		`{"x": [1, 2]}` + "\n" + `{"x": [1]}`: `f.jsonl:2: field "x": shape [1] where earlier records have [2]`,
		`{"x": [[1, 2], [3]]}`:                `f.jsonl:1: field "x": a ragged array`,
		`{"x": 1}` + "\n" + `{"y": 1}`:        `f.jsonl:2: the record has no field "x"`,
		`{"x": null}`:                         `f.jsonl:1: field "x": null is not a value`,
		`{"x": 1}` + "\n" + `{"x": "a"}`:      `f.jsonl:2: field "x": a string where earlier records have a number`,
		`[1, 2]`:                              `f.jsonl:1: not a JSON object`,
		`{"x": 1} {"x": 2}`:                   `f.jsonl:1: text after the JSON object`,
		`{"x": ["a"]}`:                        `f.jsonl:1: field "x": arrays must hold numbers`,
		`{"x": 1e999}`:                        `f.jsonl:1: field "x": "1e999" is beyond the f64 range`,
		`{"x": {"a": 1}}`:                     `f.jsonl:1: field "x": "{\"a\": 1}" is not a number`,
		"\n\n":                                `f.jsonl: no records`,
		`{"x": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`: `nested deeper than 32 levels`,
	} {
		_, err := DecodeJSONL(strings.NewReader(src), "f.jsonl", JSONLOptions{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: error %v, want %q", src, err, want)
		}
	}
	_, err := DecodeJSONL(strings.NewReader(`{"x": 1}`), "f.jsonl", JSONLOptions{Options: Options{MaxBytes: 4}})
	if err == nil || !strings.Contains(err.Error(), "limit of 4 bytes") {
		t.Errorf("over the limit: %v", err)
	}
}

// TestImageFolder reads the PNG folder written by make_fixtures.py: classes
// sorted, files sorted by name, channels first, RGB and gray, resized.
func TestImageFolder(t *testing.T) {
	f := loadFixtures(t)
	check := func(what string, o ImageOptions, shape []int, want []int) {
		t.Helper()
		d, err := ReadImageFolder("testdata/images", o)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		x := d.Bytes["x"]
		if x == nil || !equalInts(x.Shape, shape) || len(x.Data) != len(want) {
			t.Fatalf("%s: x %+v", what, x)
		}
		for i, w := range want {
			if int(x.Data[i]) != w {
				t.Fatalf("%s: byte %d is %d, want %d", what, i, x.Data[i], w)
			}
		}
		if !equalI32(d.Get("y").I32, f.Images.Labels) || strings.Join(d.Categories["y"], ",") != strings.Join(f.Images.Classes, ",") {
			t.Errorf("%s: labels %v classes %v", what, d.Get("y"), d.Categories)
		}
		if xf := d.Get("x"); xf.DType != tensor.F32 || xf.F32[1] != float32(want[1])/255 {
			t.Errorf("%s: as f32 %v", what, xf.F32[:2])
		}
	}
	check("rgb", ImageOptions{}, []int{3, 3, 3, 4}, f.Images.RGB)
	check("gray", ImageOptions{Gray: true}, []int{3, 1, 3, 4}, f.Images.Gray)
	check("resized", ImageOptions{Height: 5, Width: 2, Resize: true}, []int{3, 3, 5, 2}, f.Images.Resized)
	_, err := ReadImageFolder("testdata/images", ImageOptions{Height: 5, Width: 2})
	if err == nil || !strings.Contains(err.Error(), "10.png: the image is 3×4 (height × width), not 5×2") {
		t.Errorf("a size mismatch without Resize: %v", err)
	}
}

// TestImageFolderGIFJPEG: GIF and JPEG files (made with Go's encoders)
// read as their pixels; a PNG declaring 2^16 × 2^16 pixels is refused
// before decoding; a broken file is named.
func TestImageFolderGIFJPEG(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "c"), 0o755)
	pal := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.RGBA{10, 20, 30, 255}, color.RGBA{200, 100, 50, 255}})
	pal.SetColorIndex(1, 0, 1)
	var g bytes.Buffer
	if err := gif.Encode(&g, pal, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "c", "a.gif"), g.Bytes(), 0o644)
	flat := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for i := 0; i < len(flat.Pix); i += 4 {
		copy(flat.Pix[i:], []byte{128, 64, 32, 255})
	}
	var j bytes.Buffer
	if err := jpeg.Encode(&j, flat, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "c", "b.jpg"), j.Bytes(), 0o644)
	d, err := ReadImageFolder(dir, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := d.Bytes["x"].Data
	// GIF, channels first: R plane 10 200 10 10, G 20 100 20 20, B 30 50 30 30.
	wantGIF := []byte{10, 200, 10, 10, 20, 100, 20, 20, 30, 50, 30, 30}
	if !bytes.Equal(x[:12], wantGIF) {
		t.Errorf("GIF pixels %v, want %v", x[:12], wantGIF)
	}
	for i, w := range []int{128, 128, 128, 128, 64, 64, 64, 64, 32, 32, 32, 32} {
		if v := int(x[12+i]); v < w-3 || v > w+3 {
			t.Errorf("JPEG byte %d is %d, want %d±3", i, v, w)
		}
	}
	// A PNG header claiming 2^16 × 2^16 pixels.
	ihdr := []byte{'I', 'H', 'D', 'R', 0, 1, 0, 0, 0, 1, 0, 0, 8, 2, 0, 0, 0}
	huge := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...)
	huge = binary.BigEndian.AppendUint32(huge, crc32.ChecksumIEEE(ihdr))
	os.WriteFile(filepath.Join(dir, "c", "c.png"), huge, 0o644)
	_, err = ReadImageFolder(dir, ImageOptions{})
	if err == nil || !strings.Contains(err.Error(), "c.png: the image declares 65536×65536 pixels") {
		t.Errorf("a huge PNG: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "c", "c.png"), []byte("not a png"), 0o644)
	_, err = ReadImageFolder(dir, ImageOptions{})
	if err == nil || !strings.Contains(err.Error(), "c.png: not a PNG, JPEG or GIF image") {
		t.Errorf("a broken PNG: %v", err)
	}
	if _, err := ReadImageFolder(t.TempDir(), ImageOptions{}); err == nil || !strings.Contains(err.Error(), "no class folders") {
		t.Errorf("an empty folder: %v", err)
	}
}

// TestLoadDatasetChoosesByKind: LoadDataset reads each kind of file by its
// suffix (or a folder as images), and LoadSplits gives a plain file as the
// training set only.
func TestLoadDatasetChoosesByKind(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "train-images-idx3-ubyte")
	os.WriteFile(img, idxBytes(0x08, []uint32{2, 2, 2}, []byte{0, 51, 102, 255, 1, 2, 3, 4}), 0o644)
	os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte.gz"), gz(idxBytes(0x08, []uint32{2}, []byte{3, 9})), 0o644)
	for path, want := range map[string]string{
		"testdata/npy/f4.npy":            "f4",
		"testdata/rows.jsonl":            "img label n ok x",
		"testdata/images":                "x y",
		"testdata/arrays.npz":            "",
		"testdata/people.csv":            "x y",
		"testdata/reference.safetensors": "",
		img:                              "x y",
	} {
		d, err := LoadDataset(path, Options{})
		if path == "testdata/arrays.npz" || path == "testdata/reference.safetensors" || path == "testdata/people.csv" {
			// Arrays of different rows, and a CSV with a text column not
			// listed: errors naming the file.
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: %v", path, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if got := strings.Join(d.Names(), " "); got != want {
			t.Errorf("%s: arrays %q, want %q", path, got, want)
		}
	}
	d, err := LoadDataset(img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if y := d.Get("y"); y.I32[0] != 3 || y.I32[1] != 9 {
		t.Errorf("IDX labels beside the images: %v", y)
	}
	if x := d.Get("x"); x.F32[1] != 0.2 || x.F32[3] != 1 {
		t.Errorf("IDX images as f32 / 255: %v", x.F32)
	}
	s, err := LoadSplits("testdata/rows.jsonl", Options{})
	if err != nil || s.Train == nil || s.Val != nil || s.Test != nil || s.Train.Len() != 3 {
		t.Errorf("LoadSplits of a plain file: %+v %v", s, err)
	}
}
