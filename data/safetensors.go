package data

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// Safetensors: an 8-byte little-endian header length, a JSON header mapping
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data that follows the header), and the data. An
// optional "__metadata__" entry maps strings to strings.

var stDTypes = map[string]tensor.DType{
	"F32": tensor.F32, "F64": tensor.F64, "I32": tensor.I32, "I64": tensor.I64, "BOOL": tensor.Bool,
}

func stName(dt tensor.DType) string {
	for k, v := range stDTypes {
		if v == dt {
			return k
		}
	}
	return ""
}

// maxSTHeader bounds the JSON header (the reference implementation uses 100 MB).
const maxSTHeader = 100 << 20

// LoadSafetensors reads every tensor of a safetensors file, keyed by name.
// A file larger than the default size limit (see Options) is refused
// before it is read.
func LoadSafetensors(path string) (map[string]*tensor.Tensor, error) {
	return LoadSafetensorsWith(path, Options{})
}

// LoadSafetensorsWith is LoadSafetensors with options (only MaxBytes
// applies).
func LoadSafetensorsWith(path string, o Options) (map[string]*tensor.Tensor, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() && fi.Size() > limit+maxSTHeader {
		return nil, fileErr(path, "the file is %d bytes, more than the limit of %d bytes", fi.Size(), limit)
	}
	return DecodeSafetensors(f, path, o)
}

// DecodeSafetensors is LoadSafetensors reading from r; name is used in
// errors. Reading stops with an error past o.MaxBytes (plus the largest
// header allowed, 100 MB).
func DecodeSafetensors(r io.Reader, name string, o Options) (map[string]*tensor.Tensor, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(&limitedReader{r: r, limit: limit + maxSTHeader})
	if err != nil {
		return nil, fileErr(name, "reading: %v", err)
	}
	return ParseSafetensors(b, name)
}

type stEntry struct {
	DType   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// ParseSafetensors decodes a safetensors file held in memory, validating the
// header, every tensor's offsets and size against the file, and that tensors
// do not overlap.
func ParseSafetensors(b []byte, name string) (map[string]*tensor.Tensor, error) {
	if len(b) < 8 {
		return nil, offErr(name, 0, "safetensors file is %d bytes, shorter than its 8-byte header length", len(b))
	}
	hlen := binary.LittleEndian.Uint64(b)
	if hlen > maxSTHeader || hlen > uint64(len(b)-8) {
		return nil, offErr(name, 0, "safetensors header length %d exceeds the file (%d bytes)", hlen, len(b))
	}
	header := b[8 : 8+hlen]
	data := b[8+hlen:]
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(header))
	if err := dec.Decode(&raw); err != nil {
		return nil, offErr(name, 8, "safetensors header: %v", err)
	}
	if dup := duplicateKey(header); dup != "" {
		return nil, offErr(name, 8, "safetensors header: the name %q appears twice", dup)
	}
	if rest := bytes.TrimRight(header[dec.InputOffset():], " \x00"); len(rest) > 0 {
		return nil, offErr(name, 8+dec.InputOffset(), "safetensors header: text after the JSON object")
	}
	type span struct {
		begin, end int64
		name       string
	}
	var spans []span
	out := make(map[string]*tensor.Tensor, len(raw))
	for _, key := range sortedKeys(raw) {
		if key == "__metadata__" {
			var meta map[string]string
			if err := json.Unmarshal(raw[key], &meta); err != nil {
				return nil, offErr(name, 8, "safetensors __metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(raw[key], &e); err != nil {
			return nil, offErr(name, 8, "safetensors tensor %q: %v", key, err)
		}
		dt, ok := stDTypes[e.DType]
		if !ok {
			return nil, offErr(name, 8, "safetensors tensor %q: unsupported dtype %q (supported: F32 F64 I32 I64 BOOL)", key, e.DType)
		}
		if len(e.Offsets) != 2 || e.Offsets[0] < 0 || e.Offsets[1] < e.Offsets[0] || e.Offsets[1] > int64(len(data)) {
			return nil, offErr(name, 8, "safetensors tensor %q: data_offsets %v outside the %d data bytes", key, e.Offsets, len(data))
		}
		size := e.Offsets[1] - e.Offsets[0]
		dims := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || d > int64(len(data)+1) && size > 0 {
				return nil, offErr(name, 8, "safetensors tensor %q: bad shape %v", key, e.Shape)
			}
			dims[i] = int(d)
		}
		n, err := checkedElems(dims, int(size)/dt.Size())
		if err != nil || int64(n*dt.Size()) != size {
			return nil, offErr(name, 8, "safetensors tensor %q: shape %v of %v needs %s bytes, data_offsets give %d",
				key, e.Shape, dt, needBytes(dims, dt), size)
		}
		t := tensor.New(dt, dims...)
		if err := decodeLE(t, data[e.Offsets[0]:e.Offsets[1]]); err != nil {
			return nil, offErr(name, 8+int64(hlen)+e.Offsets[0], "safetensors tensor %q: %v", key, err)
		}
		out[key] = t
		spans = append(spans, span{e.Offsets[0], e.Offsets[1], key})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	for i := 1; i < len(spans); i++ {
		if spans[i].begin < spans[i-1].end {
			return nil, offErr(name, 8, "safetensors tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}
	return out, nil
}

// duplicateKey returns a key that appears twice in the top-level JSON
// object of header (already decoded once without error), or "".
func duplicateKey(header []byte) string {
	dec := json.NewDecoder(bytes.NewReader(header))
	if _, err := dec.Token(); err != nil { // {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := tok.(string)
		if seen[key] {
			return key
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

func needBytes(dims []int, dt tensor.DType) string {
	n := int64(dt.Size())
	for _, d := range dims {
		if d != 0 && n > (1<<62)/int64(d) {
			return "too many"
		}
		n *= int64(d)
	}
	return strconv.FormatInt(n, 10)
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// EncodeSafetensors returns the tensors as a safetensors file: names sorted,
// data laid out in that order, the header padded with spaces to a multiple
// of 8 bytes. metadata may be nil.
func EncodeSafetensors(tensors map[string]*tensor.Tensor, metadata map[string]string) ([]byte, error) {
	names := sortedNames(tensors)
	var h strings.Builder
	h.WriteByte('{')
	sep := ""
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata)
		if err != nil {
			return nil, err
		}
		h.WriteString(`"__metadata__":`)
		h.Write(m)
		sep = ","
	}
	var off int64
	for _, n := range names {
		if n == "__metadata__" {
			return nil, fmt.Errorf("data: a tensor cannot be named __metadata__")
		}
		t := tensors[n]
		dt := stName(t.DType)
		if dt == "" {
			return nil, fmt.Errorf("data: tensor %q has no safetensors dtype (%v)", n, t.DType)
		}
		key, _ := json.Marshal(n)
		shape, _ := json.Marshal(append([]int{}, t.Shape...))
		size := int64(t.Len() * t.DType.Size())
		fmt.Fprintf(&h, `%s%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, sep, key, dt, shape, off, off+size)
		off += size
		sep = ","
	}
	h.WriteByte('}')
	hs := h.String()
	if pad := (8 - len(hs)%8) % 8; pad > 0 {
		hs += strings.Repeat(" ", pad)
	}
	out := make([]byte, 0, 8+len(hs)+int(off))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(hs)))
	out = append(out, hs...)
	for _, n := range names {
		out = tensor.AppendLE(out, tensors[n])
	}
	return out, nil
}

// SaveSafetensors writes the tensors to path as a safetensors file (through a
// temporary file and a rename). Names are parameter paths such as "l1.W".
func SaveSafetensors(path string, tensors map[string]*tensor.Tensor) error {
	return SaveSafetensorsMeta(path, tensors, nil)
}

// SaveSafetensorsMeta is SaveSafetensors with the header's __metadata__
// strings (none when metadata is empty).
func SaveSafetensorsMeta(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	b, err := EncodeSafetensors(tensors, metadata)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// SafetensorsMetadata reads the __metadata__ strings of a safetensors
// file's header (nil when it has none) without reading its tensors. The
// header is bounded (100 MB) and must fit in the file.
func SafetensorsMetadata(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var n [8]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return nil, offErr(path, 0, "safetensors file is shorter than its 8-byte header length")
	}
	hlen := binary.LittleEndian.Uint64(n[:])
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if hlen > maxSTHeader || fi.Mode().IsRegular() && hlen > uint64(fi.Size()-8) {
		return nil, offErr(path, 0, "safetensors header length %d exceeds the file (%d bytes)", hlen, fi.Size())
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(f, header); err != nil {
		return nil, offErr(path, 8, "safetensors header: %v", err)
	}
	var h struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(header, &h); err != nil {
		return nil, offErr(path, 8, "safetensors header: %v", err)
	}
	return h.Meta, nil
}
