package data

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// builtinNames are the sets Builtin knows.
var builtinNames = []string{"digits"}

// IsBuiltinName reports whether src names a data set rather than a file: a
// builtin set ("digits", see Builtin) or a set known by name ("mnist",
// "fashion-mnist", see NamedSets). LoadDataset and LoadSplits read such a
// name, anything else as a file or folder.
func IsBuiltinName(src string) bool {
	for _, n := range builtinNames {
		if src == n {
			return true
		}
	}
	return IsNamedSet(src)
}

// knownNames lists the builtin and named sets, for messages.
func knownNames() string {
	return strings.Join(append(append([]string{}, builtinNames...), NamedSets()...), ", ")
}

// LoadSplits loads a data set that may come divided: a set known by name
// (mnist, fashion-mnist: their official training and test sets, see
// ReadNamed), a folder holding the four IDX files of the MNIST family (the
// same), or anything LoadDataset reads (Train only). The Go API's and the
// CLI's --data both go through it or LoadDataset, the one place that
// chooses a format.
func LoadSplits(path string, o Options) (*Splits, error) {
	if IsNamedSet(path) {
		return ReadNamed(path, "", IDXOptions{Options: o})
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() && isIDXDir(path) {
		return ReadIDXDir(path, IDXOptions{Options: o})
	}
	d, err := LoadDataset(path, o)
	if err != nil {
		return nil, err
	}
	return &Splits{Train: d}, nil
}

// LoadDataset loads a dataset by its name; it is the one place that chooses
// the format. A builtin name ("digits") is read by Builtin; a file by its
// suffix (each may also end in ".gz" where noted):
//
//   - .csv, .csv.gz: ReadCSV with default CSV options;
//   - .npz: ReadNPZ (arrays sharing their leading dimension);
//   - .npy, .npy.gz: ReadNPY, one array named after the file ("x.npy": x);
//   - .safetensors: ReadSafetensors;
//   - .jsonl, .jsonl.gz, .ndjson: ReadJSONL with default options;
//   - an IDX file (.idx, .idx.gz, or a name with -idx1-ubyte / -idx3-ubyte):
//     ReadIDX, with the labels file of the MNIST naming when it exists
//     (IDXLabelsFor);
//   - a folder: ReadImageFolder with default options.
//
// A set that comes with official splits (mnist, or a folder of the four
// MNIST files) is an error here: load it with LoadSplits. o.MaxBytes
// bounds each file's size after inflation; unless o.AllowNonFinite, a NaN
// or infinite feature is an error naming the file and the row (and the
// column, for CSV). o does not apply to builtin sets.
func LoadDataset(path string, o Options) (*Dataset, error) {
	for _, n := range builtinNames {
		if path == n {
			return Builtin(path)
		}
	}
	if _, err := o.limit(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	switch {
	case IsNamedSet(path) || err == nil && fi.IsDir() && isIDXDir(path):
		return nil, fmt.Errorf("%s: the set comes as official training and test sets; load it with LoadSplits (in a train block: data = %s(...))", path, strings.ReplaceAll(filepath.Base(path), "-", "_"))
	case err != nil && !strings.Contains(filepath.Base(path), "."):
		return nil, fmt.Errorf("%w (a data set is a file, a folder, or one of the names %s)", err, knownNames())
	case err != nil:
		return nil, err
	case fi.IsDir():
		return ReadImageFolder(path, ImageOptions{Options: o})
	}
	d, err := loadFile(path, o)
	if err != nil {
		return nil, err
	}
	if !o.AllowNonFinite {
		if err := d.CheckFinite(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// loadFile reads a data file by its suffix.
func loadFile(path string, o Options) (*Dataset, error) {
	base := strings.ToLower(filepath.Base(path))
	plain := strings.TrimSuffix(base, ".gz")
	switch {
	case strings.HasSuffix(plain, ".csv"):
		return ReadCSV(path, CSVOptions{MaxBytes: o.MaxBytes, AllowNonFinite: o.AllowNonFinite})
	case strings.HasSuffix(base, ".npz"):
		return ReadNPZ(path, o)
	case strings.HasSuffix(plain, ".npy"):
		return ReadNPY(map[string]string{strings.TrimSuffix(filepath.Base(strings.TrimSuffix(path, ".gz")), ".npy"): path}, o)
	case strings.HasSuffix(base, ".safetensors"):
		return ReadSafetensors(path, o)
	case strings.HasSuffix(plain, ".jsonl"), strings.HasSuffix(plain, ".ndjson"):
		return ReadJSONL(path, JSONLOptions{Options: o})
	case strings.HasSuffix(plain, ".idx"), strings.Contains(plain, "-idx1-ubyte"), strings.Contains(plain, "-idx3-ubyte"):
		return ReadIDX(path, IDXLabelsFor(path), IDXOptions{Options: o})
	}
	return nil, fmt.Errorf("%s: unknown data format (want .csv, .npz, .npy, .safetensors, .jsonl, an IDX file, each possibly gzipped, or a folder of images)", path)
}

// datasetOf makes a dataset of the arrays of a file, which must share
// their leading dimension.
func datasetOf(path string, ts map[string]*tensor.Tensor, bs map[string]*ByteArray) (*Dataset, error) {
	if len(bs) == 0 {
		bs = nil
	}
	d := &Dataset{Arrays: ts, Bytes: bs, Source: &Source{File: path}}
	if err := d.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// ReadNPZ reads the arrays of a .npz archive as a dataset: they must share
// their leading dimension (the rows). int8 and uint8 arrays stay bytes
// (Dataset.Bytes, converting to i32; Dataset.AsFloat makes them f32).
// Archives whose arrays are not rows of one table (a graph's sparse parts)
// are read with LoadNPZ.
func ReadNPZ(path string, o Options, names ...string) (*Dataset, error) {
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
	ts, bs, err := readNPZ(f, fi.Size(), path, limit, names)
	if err != nil {
		return nil, err
	}
	return datasetOf(path, ts, bs)
}

// ReadNPY reads .npy files (gzipped or not) as the arrays of a dataset,
// keyed by name: ReadNPY(map[string]string{"x": "images.npy", "y":
// "labels.npy"}, o). The arrays must share their leading dimension. int8
// and uint8 arrays stay bytes (see ReadNPZ); uncompressed arrays of 4 MiB
// or more are memory-mapped (see Options.NoMap).
func ReadNPY(files map[string]string, o Options) (*Dataset, error) {
	ts, bs := map[string]*tensor.Tensor{}, map[string]*ByteArray{}
	var first string
	for _, name := range sortedKeysOf(files) {
		t, b, err := loadNPYArray(files[name], o)
		if err != nil {
			return nil, err
		}
		if b != nil {
			bs[name] = b
		} else {
			ts[name] = t
		}
		if first == "" {
			first = files[name]
		}
	}
	return datasetOf(first, ts, bs)
}

// ReadSafetensors reads the tensors of a safetensors file as a dataset:
// they must share their leading dimension.
func ReadSafetensors(path string, o Options) (*Dataset, error) {
	ts, err := LoadSafetensorsWith(path, o)
	if err != nil {
		return nil, err
	}
	return datasetOf(path, ts, nil)
}

func sortedKeysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
