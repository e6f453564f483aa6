package data

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	z, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	z.Write(b)
	z.Close()
	return buf.Bytes()
}

func wantErr(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one containing %q", what, parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not contain %q", what, err, p)
		}
	}
}

func TestCSVNonFinite(t *testing.T) {
	for _, tc := range []struct{ csv, want string }{
		{"a,b,y\n1,2,0\n3,NaN,1\n", `f.csv:3:3: field 2: "NaN" is not a finite number`},
		{"1,2,0\n3,4,1\n-inf,4,1\n", `f.csv:3:1: field 1: "-inf" is not a finite number`},
		{"1,2,0\n3,+Inf,1\n", `f.csv:2:3: field 2: "+Inf" is not a finite number`},
		{"1,2,0\n3,1e39,1\n", `f.csv:2:3: field 2: "1e39" is beyond the f32 range`},
	} {
		_, err := DecodeCSV(strings.NewReader(tc.csv), "f.csv", CSVOptions{})
		wantErr(t, tc.csv, err, tc.want)
		d, err := DecodeCSV(strings.NewReader(tc.csv), "f.csv", CSVOptions{AllowNonFinite: true})
		if err != nil {
			t.Errorf("%q with AllowNonFinite: %v", tc.csv, err)
			continue
		}
		if d.Get("x").Len() != 2*d.Len() {
			t.Errorf("%q: x is %v", tc.csv, d.Get("x").Shape)
		}
	}
	_, err := DecodeCSV(strings.NewReader("1,2,0\n3,4,99999999999\n"), "f.csv", CSVOptions{})
	wantErr(t, "huge label", err, `f.csv:2:5: label "99999999999" is out of the i32 range`)
}

// The dataset remembers each row's line, through Split.
func TestCSVSourceLines(t *testing.T) {
	d, err := DecodeCSV(strings.NewReader("a,y\n\n1,0\n2,1\n3,2\n"), "f.csv", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{d.Source.Where(0), d.Source.Where(2)}; got[0] != "f.csv:3" || got[1] != "f.csv:5" {
		t.Errorf("rows 0 and 2 are at %v, want f.csv:3 and f.csv:5", got)
	}
	s := d.Subset([]int{2, 0})
	if got := s.Source.Where(0); got != "f.csv:5" {
		t.Errorf("subset row 0 is at %s, want f.csv:5", got)
	}
	if s.Get("x").F32[0] != 3 {
		t.Errorf("subset row 0 holds %v, want 3", s.Get("x").F32[0])
	}
}

// A 32 MiB gzipped CSV bomb is refused once it inflates past the limit,
// with the file named.
func TestCSVBomb(t *testing.T) {
	raw := []byte("x0,x1,y\n" + strings.Repeat("0,0,0\n", 32<<20/6))
	gz := gzipped(raw)
	_, err := DecodeCSV(bytes.NewReader(gz), "bomb.csv.gz", CSVOptions{MaxBytes: 4 << 20})
	wantErr(t, "bomb", err, "bomb.csv.gz", "more than the limit of 4194304 bytes")
	// The arrays are bounded too: rows of "0,0,0" decode to 12 bytes per 6.
	_, err = DecodeCSV(bytes.NewReader(raw[:3<<20]), "big.csv", CSVOptions{MaxBytes: 4 << 20})
	wantErr(t, "arrays", err, "big.csv:", "the data is more than the limit of 4194304 bytes")
	_, err = DecodeCSV(bytes.NewReader(gz), "bomb.csv.gz", CSVOptions{MaxBytes: -1})
	wantErr(t, "negative limit", err, "MaxBytes is -1")
}

func TestCSVLongLine(t *testing.T) {
	defer func(old int64) { maxLine = old }(maxLine)
	maxLine = 1 << 10
	long := "1,2,0\n3,4,1\n" + strings.Repeat("5", 2000) + ",6,1\n"
	_, err := DecodeCSV(strings.NewReader(long), "f.csv", CSVOptions{})
	wantErr(t, "long line", err, "f.csv:3: the line is longer than 1024 bytes")
	noNewline := strings.Repeat("5,", 1000)
	_, err = DecodeCSV(strings.NewReader(noNewline), "f.csv", CSVOptions{})
	wantErr(t, "no newline", err, "f.csv:1: the line is longer than 1024 bytes")
}

// npyFile is a .npy header for descr and shape followed by data.
func npyFile(descr, shape string, data []byte) []byte {
	h := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	h += strings.Repeat(" ", (64-(10+len(h)+1)%64)%64) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	return append(append(b, h...), data...)
}

func TestNPYLimits(t *testing.T) {
	// A header declaring 2^40 elements over a stream: refused before any
	// allocation.
	_, err := DecodeNPY(bytes.NewReader(gzipped(npyFile("<f4", "(1099511627776,)", nil))), "huge.npy", Options{})
	wantErr(t, "huge", err, "huge.npy: offset 10: .npy shape [1099511627776] of 4-byte elements is more than the limit")
	_, err = DecodeNPY(bytes.NewReader(gzipped(npyFile("<f4", "(4294967296, 4294967296)", nil))), "ovf.npy", Options{})
	wantErr(t, "overflow", err, "ovf.npy: offset 10:", "more than the limit")
	// A gzipped bomb of 16 MiB of zeros under a 1 MiB limit.
	bomb := gzipped(npyFile("<f4", "(4194304,)", make([]byte, 16<<20)))
	_, err = DecodeNPY(bytes.NewReader(bomb), "bomb.npy.gz", Options{MaxBytes: 1 << 20})
	wantErr(t, "bomb", err, "bomb.npy.gz: offset 10: .npy shape [4194304] of 4-byte elements is more than the limit of 1048576 bytes")
	// The same within the limit decodes, and data past the shape is refused.
	x, err := DecodeNPY(bytes.NewReader(bomb), "ok.npy.gz", Options{MaxBytes: 32 << 20})
	if err != nil || x.Len() != 4194304 {
		t.Fatalf("within the limit: %v", err)
	}
	extra := gzipped(npyFile("<f4", "(2,)", make([]byte, 12)))
	_, err = DecodeNPY(bytes.NewReader(extra), "extra.npy", Options{})
	wantErr(t, "extra", err, "extra.npy: offset 136: .npy shape [2] of float32 needs 8 bytes of data, the file has more")
	short := gzipped(npyFile("<f8", "(3,)", make([]byte, 20)))
	_, err = DecodeNPY(bytes.NewReader(short), "short.npy", Options{})
	wantErr(t, "short", err, "short.npy: offset 128: .npy shape [3] of float64 needs 24 bytes of data, the file has 20")
}

func TestIDXLimits(t *testing.T) {
	head := []byte{0, 0, 0x08, 3}
	for range 3 {
		head = binary.BigEndian.AppendUint32(head, 65535)
	}
	_, err := DecodeIDX(bytes.NewReader(gzipped(head)), "huge.idx", Options{})
	wantErr(t, "huge", err, "huge.idx: offset 4: IDX shape [65535 65535 65535] of 1-byte elements is more than the limit")
	bomb := append([]byte{0, 0, 0x08, 1}, binary.BigEndian.AppendUint32(nil, 8<<20)...)
	bomb = gzipped(append(bomb, make([]byte, 8<<20)...))
	_, err = DecodeIDX(bytes.NewReader(bomb), "bomb.idx.gz", Options{MaxBytes: 1 << 20})
	wantErr(t, "bomb", err, "bomb.idx.gz: offset 4:", "more than the limit of 1048576 bytes")
	x, err := DecodeIDX(bytes.NewReader(bomb), "ok.idx.gz", Options{MaxBytes: 64 << 20})
	if err != nil || x.Len() != 8<<20 {
		t.Fatalf("within the limit: %v", err)
	}
}

// deflated compresses b.
func deflated(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// rawNPZ writes an archive of members (name, content), each deflated, with
// declared as its claimed inflated size when > 0.
func rawNPZ(t *testing.T, path string, declared uint64, members ...[2][]byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		size := uint64(len(m[1]))
		if declared > 0 {
			size = declared
		}
		crc := crc32IEEE(m[1])
		comp := deflated(m[1])
		w, err := zw.CreateRaw(&zip.FileHeader{Name: string(m[0]), Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(len(comp)), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp)
	}
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNPZLimits(t *testing.T) {
	dir := t.TempDir()
	member := npyFile("<f4", "(2097152,)", make([]byte, 8<<20))
	p := filepath.Join(dir, "bomb.npz")
	rawNPZ(t, p, 0, [2][]byte{[]byte("x.npy"), member})
	_, err := LoadNPZWith(p, Options{MaxBytes: 1 << 20})
	wantErr(t, "bomb", err, "bomb.npz[x.npy]: declared size 8388736 bytes is more than the limit of 1048576 bytes")
	m, err := LoadNPZWith(p, Options{MaxBytes: 64 << 20})
	if err != nil || m["x"].Len() != 2097152 {
		t.Fatalf("within the limit: %v", err)
	}
	// A member that claims to inflate to 1 KiB but holds 8 MiB.
	lie := filepath.Join(dir, "lie.npz")
	rawNPZ(t, lie, 1024, [2][]byte{[]byte("x.npy"), member})
	_, err = LoadNPZ(lie)
	wantErr(t, "lie", err, "lie.npz[x.npy]")
	// Two members named x.npy.
	dup := filepath.Join(dir, "dup.npz")
	small := npyFile("<f4", "(1,)", make([]byte, 4))
	rawNPZ(t, dup, 0, [2][]byte{[]byte("x.npy"), small}, [2][]byte{[]byte("x.npy"), small})
	_, err = LoadNPZ(dup)
	wantErr(t, "duplicate", err, `dup.npz[x.npy]: the archive holds two arrays named "x"`)
}

func TestSafetensorsDuplicateName(t *testing.T) {
	h := `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	b = append(append(b, h...), make([]byte, 8)...)
	_, err := ParseSafetensors(b, "dup.safetensors")
	wantErr(t, "duplicate", err, `dup.safetensors: offset 8: safetensors header: the name "a" appears twice`)
}

func TestSafetensorsSizeLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.safetensors")
	if err := SaveSafetensors(p, map[string]*tensor.Tensor{"w": tensor.New(tensor.F32, 1<<20)}); err != nil {
		t.Fatal(err)
	}
	_, err := LoadSafetensorsWith(p, Options{MaxBytes: 1})
	if err != nil {
		t.Fatalf("a 4 MiB file is within 1 byte plus the 100 MB header allowance: %v", err)
	}
	_, err = DecodeSafetensors(strings.NewReader(strings.Repeat("x", 200<<20)), "s.safetensors", Options{MaxBytes: 1})
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "more than the limit of 104857601 bytes") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadDatasetNonFinite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.npz")
	x := tensor.FromFloat64s(tensor.F32, []int{3, 2}, []float64{0, 1, 2, 3, 4, math.Inf(-1)})
	y := tensor.FromFloat64s(tensor.I32, []int{3}, []float64{0, 1, 2})
	if err := SaveNPZ(p, map[string]*tensor.Tensor{"x": x, "y": y}); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDataset(p, Options{})
	wantErr(t, "inf", err, p+`: row 2: array "x", element 1 of the row: -Inf is not finite`)
	d, err := LoadDataset(p, Options{AllowNonFinite: true})
	if err != nil || d.Len() != 3 || d.Source.Where(1) != p+": row 1" {
		t.Errorf("AllowNonFinite: %v", err)
	}
	_, err = LoadDataset(p, Options{MaxBytes: -5})
	wantErr(t, "negative", err, "MaxBytes is -5")
}

func TestDefaultMaxBytes(t *testing.T) {
	if n := DefaultMaxBytes(); n <= 0 || n > 4*FallbackMaxBytes {
		t.Errorf("DefaultMaxBytes() = %d", n)
	}
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// allocated is the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A short stream whose header declares a large array (within the limit)
// fails without allocating the declared size (the fuzzer's finding: 13
// bytes declaring 2.7 GB of i32).
func TestShortStreamsAllocateLittle(t *testing.T) {
	idx := []byte("\x00\x00\x08\x02\x37\x00\x00\x25\x00\x00\x00\x03\xf2")
	var err error
	n := allocated(func() { _, err = DecodeIDX(bytes.NewReader(idx), "f.idx", Options{MaxBytes: 1 << 40}) })
	wantErr(t, "idx", err, "f.idx: offset 12: IDX shape [922746917 3] needs 2768240751 bytes of data, the file has 1")
	if n > 1<<20 {
		t.Errorf("ReadIDX allocated %d bytes for a 13-byte stream", n)
	}
	npy := npyFile("<f8", "(100000000,)", []byte{1, 2, 3})
	n = allocated(func() { _, err = DecodeNPY(bytes.NewReader(npy), "f.npy", Options{MaxBytes: 1 << 40}) })
	wantErr(t, "npy", err, "f.npy: offset 128: .npy shape [100000000] of float64 needs 800000000 bytes of data, the file has 3")
	if n > 1<<20 {
		t.Errorf("ReadNPY allocated %d bytes for a %d-byte stream", n, len(npy))
	}
}
