package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// Splits are the parts of a data set that comes divided: the official
// training and test sets of MNIST, for example. A part the set does not
// have is nil. The official test set stays the test set: nothing here
// re-splits it.
type Splits struct {
	Train, Val, Test *Dataset
}

// IDXOptions configures ReadIDX, Mnist and FashionMnist. The zero value
// reads byte images as f32 pixels in [0, 1] into "x" and labels into "y".
type IDXOptions struct {
	Options
	// X and Y name the images and labels arrays; "" means "x" and "y".
	X, Y string
	// Scale multiplies byte images as they convert to f32: 0 means 1/255
	// (pixels 0..255 to [0, 1]); 1 keeps 0..255. Images of other types
	// are kept as the file holds them.
	Scale float64
	// Ints makes byte images convert to i32 values (0..255, or -128..127
	// for signed bytes) instead of scaled f32.
	Ints bool
}

func (o IDXOptions) names() (x, y string) {
	x, y = o.X, o.Y
	if x == "" {
		x = "x"
	}
	if y == "" {
		y = "y"
	}
	return x, y
}

// ReadIDX reads an IDX images file and, unless labels is "", an IDX labels
// file with one label per image, into a dataset. Byte images (type 0x08 or
// 0x09, as MNIST's) stay one byte per pixel in Dataset.Bytes, converted to
// f32 (times o.Scale, by default 1/255) row by row when batched; images of
// other types are tensors. The images keep the file's shape ([N, 28, 28]
// for MNIST; Dataset.Reshape changes it for free). Labels must be integers
// (bytes or int32, read as i32) with as many rows as there are images.
// Both files may be gzipped; uncompressed byte images of 4 MiB or more are
// memory-mapped (see Options.NoMap).
func ReadIDX(images, labels string, o IDXOptions) (*Dataset, error) {
	xn, yn := o.names()
	if xn == yn {
		return nil, fmt.Errorf("data: ReadIDX: the images and labels are both named %q", xn)
	}
	t, b, err := loadIDXArray(images, o.Options)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Arrays: map[string]*tensor.Tensor{}, Source: &Source{File: images}}
	switch {
	case b != nil && len(b.Shape) < 1 || t != nil && len(t.Shape) < 1:
		return nil, fileErr(images, "an IDX images file needs a leading dimension (one row per image), got a scalar")
	case b != nil:
		if !o.Ints {
			b.DType, b.Scale = tensor.F32, o.Scale
			if b.Scale == 0 {
				b.Scale = 1.0 / 255
			}
		}
		d.Bytes = map[string]*ByteArray{xn: b}
	default:
		d.Arrays[xn] = t
	}
	if labels == "" {
		return d, nil
	}
	lab, err := LoadIDXWith(labels, o.Options)
	if err != nil {
		return nil, err
	}
	if len(lab.Shape) != 1 || lab.DType != tensor.I32 {
		return nil, fileErr(labels, "expected an IDX vector of integer labels, got %v%v", lab.DType, lab.Shape)
	}
	if n := d.Len(); lab.Shape[0] != n {
		return nil, fileErr(labels, "%d labels for %d images in %s", lab.Shape[0], n, images)
	}
	d.Arrays[yn] = lab
	return d, nil
}

// Reshape gives each row of the array named name the shape row (the
// element count must match): [N, 28, 28] images become [N, 1, 28, 28] or
// [N, 784]. No data is copied.
func (d *Dataset) Reshape(name string, row ...int) error {
	_, shape, ok := d.Type(name)
	if !ok {
		return fmt.Errorf("data: no array %q", name)
	}
	have := tensor.NumElems(shape[1:])
	want, err := checkedElems(row, have)
	if err != nil || want != have {
		return fmt.Errorf("data: array %q has rows of shape %v (%d elements), not %v", name, shape[1:], have, row)
	}
	ns := append([]int{shape[0]}, row...)
	if t, ok := d.Arrays[name]; ok {
		t.Shape = ns
	} else {
		d.Bytes[name].Shape = ns
	}
	return nil
}

// idxFiles are the file names of the MNIST family, without ".gz".
var idxFiles = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// findIDX returns dir/base or dir/base.gz, whichever exists, or "".
func findIDX(dir, base string) string {
	for _, p := range []string{filepath.Join(dir, base), filepath.Join(dir, base+".gz")} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// isIDXDir reports whether dir holds the four files of the MNIST family.
func isIDXDir(dir string) bool {
	for _, f := range idxFiles {
		if findIDX(dir, f) == "" {
			return false
		}
	}
	return true
}

// ReadIDXDir reads a folder holding the four files of the MNIST family
// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte, each possibly gzipped with a ".gz" suffix) as
// the official training and test sets, as ReadIDX reads each pair.
func ReadIDXDir(dir string, o IDXOptions) (*Splits, error) {
	var paths [4]string
	for i, f := range idxFiles {
		if paths[i] = findIDX(dir, f); paths[i] == "" {
			return nil, fmt.Errorf("%s: no file %s (or %s.gz)", dir, f, f)
		}
	}
	train, err := ReadIDX(paths[0], paths[1], o)
	if err != nil {
		return nil, err
	}
	test, err := ReadIDX(paths[2], paths[3], o)
	if err != nil {
		return nil, err
	}
	return &Splits{Train: train, Test: test}, nil
}

// IDXLabelsFor returns the labels file that goes with an images file of
// the MNIST family ("...-images-idx3-ubyte[.gz]" → "...-labels-idx1-ubyte",
// with or without ".gz", whichever exists), or "".
func IDXLabelsFor(images string) string {
	dir, base := filepath.Split(images)
	base = strings.TrimSuffix(base, ".gz")
	if !strings.Contains(base, "-images-idx3-ubyte") {
		return ""
	}
	return findIDX(dir, strings.Replace(base, "-images-idx3-ubyte", "-labels-idx1-ubyte", 1))
}
