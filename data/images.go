package data

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif"  // GIF decoder
	_ "image/jpeg" // JPEG decoder
	_ "image/png"  // PNG decoder
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// ImageOptions configures ReadImageFolder. The zero value reads RGB images
// of the first image's size as f32 in [0, 1].
type ImageOptions struct {
	Options
	// Gray reads one channel, the luma of each pixel (ITU-R 601:
	// 0.299 R + 0.587 G + 0.114 B, as Go's color.GrayModel), instead of
	// three (R, G, B).
	Gray bool
	// Height and Width are the size every image must have; 0 takes the
	// first image's size (both must be given, or neither).
	Height, Width int
	// Resize resizes an image of another size to Height×Width by bilinear
	// interpolation with pixel centres aligned (as PyTorch's
	// interpolate(mode="bilinear", align_corners=False) without
	// antialiasing); without it such an image is an error.
	Resize bool
	// X and Y name the images and labels arrays; "" means "x" and "y".
	X, Y string
}

// maxImagePixels bounds the pixels one image may declare before it is
// decoded (a PNG header can claim 2^31 × 2^31).
const maxImagePixels = 1 << 28

// imageExts are the file suffixes read as images.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true}

// ReadImageFolder reads a folder with one sub-folder per class, each
// holding that class's images (PNG, JPEG or GIF, by suffix; other files
// and names starting with '.' are skipped), into "x", the images as bytes
// of shape [N, C, H, W] (C = 3 for RGB, 1 for Gray; converted to f32 in
// [0, 1] when batched), and "y", the class ids (i32). Classes are numbered
// in the order of their folder names, sorted; images are ordered by class,
// then by file name, so the order is the same on every machine. The class
// names are recorded in Dataset.Categories[y]. Each image's declared size
// is checked before it is decoded; the total is bounded by MaxBytes. A GIF
// contributes its first frame.
func ReadImageFolder(dir string, o ImageOptions) (*Dataset, error) {
	limit, err := o.limit()
	if err != nil {
		return nil, err
	}
	xn, yn := IDXOptions{X: o.X, Y: o.Y}.names()
	if o.Height < 0 || o.Width < 0 || (o.Height == 0) != (o.Width == 0) {
		return nil, fmt.Errorf("data: ImageOptions: give both Height and Width (positive), or neither; got %d×%d", o.Height, o.Width)
	}
	classes, files, err := listImages(dir)
	if err != nil {
		return nil, err
	}
	ch := 3
	if o.Gray {
		ch = 1
	}
	r := &imageReader{o: o, ch: ch, limit: limit, h: o.Height, w: o.Width}
	labels := make([]int32, 0, len(files))
	for _, f := range files {
		if err := r.add(f.path); err != nil {
			return nil, err
		}
		labels = append(labels, int32(f.class))
	}
	n := len(files)
	x := &ByteArray{Shape: []int{n, ch, r.h, r.w}, Data: r.data, DType: tensor.F32, Scale: 1.0 / 255}
	y := &tensor.Tensor{DType: tensor.I32, Shape: []int{n}, I32: labels}
	return &Dataset{
		Arrays:     map[string]*tensor.Tensor{yn: y},
		Bytes:      map[string]*ByteArray{xn: x},
		Categories: map[string][]string{yn: classes},
		Source:     &Source{File: dir},
	}, nil
}

// imageFile is one image of a folder.
type imageFile struct {
	path  string
	class int
}

// listImages lists the class folders of dir (sorted) and their images.
func listImages(dir string) ([]string, []imageFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var classes []string
	var files []imageFile
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		sub, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, err
		}
		var names []string
		for _, f := range sub {
			ext := strings.ToLower(filepath.Ext(f.Name()))
			if f.Type().IsRegular() && imageExts[ext] && !strings.HasPrefix(f.Name(), ".") {
				names = append(names, f.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			files = append(files, imageFile{filepath.Join(dir, e.Name(), n), len(classes)})
		}
		classes = append(classes, e.Name())
	}
	if len(classes) == 0 {
		return nil, nil, fileErr(dir, "no class folders (an image folder holds one sub-folder of images per class)")
	}
	if len(files) == 0 {
		return nil, nil, fileErr(dir, "no images (.png, .jpg, .jpeg or .gif) in the class folders")
	}
	return classes, files, nil
}

// imageReader decodes images into one growing byte slice.
type imageReader struct {
	o     ImageOptions
	ch    int
	h, w  int
	limit int64
	data  []byte
}

// add reads one image file and appends its pixels.
func (r *imageReader) add(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// An image file is read whole; it may not exceed what is left of the
	// limit (a file larger than the pixels it could hold is refused too).
	left := r.limit - int64(len(r.data))
	b, err := io.ReadAll(io.LimitReader(f, left+1))
	if err != nil {
		return fileErr(path, "reading: %v", err)
	}
	if int64(len(b)) > left {
		return fileErr(path, "the images are more than the limit of %d bytes", r.limit)
	}
	return r.addBytes(b, path)
}

// addBytes decodes one image held in memory and appends its pixels,
// channels first. The size its header declares is checked first.
func (r *imageReader) addBytes(b []byte, path string) error {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fileErr(path, "not a PNG, JPEG or GIF image: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return fileErr(path, "the image declares %d×%d pixels (at most %d in all)", cfg.Width, cfg.Height, maxImagePixels)
	}
	if r.h == 0 {
		r.h, r.w = cfg.Height, cfg.Width
	}
	if (cfg.Height != r.h || cfg.Width != r.w) && !r.o.Resize {
		return fileErr(path, "the image is %d×%d (height × width), not %d×%d like the others (set Resize to resize it)", cfg.Height, cfg.Width, r.h, r.w)
	}
	// What the image decodes to (8 bytes a pixel at most), its planes when
	// resized (3 bytes a pixel), and what it adds.
	add := int64(r.ch) * int64(r.h) * int64(r.w)
	if int64(len(r.data))+add+11*int64(cfg.Width)*int64(cfg.Height) > r.limit {
		return fileErr(path, "the images are more than the limit of %d bytes", r.limit)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return fileErr(path, "decoding: %v", err)
	}
	if ib := img.Bounds(); ib.Dx() != cfg.Width || ib.Dy() != cfg.Height {
		return fileErr(path, "the image decodes to %d×%d pixels, its header said %d×%d", ib.Dy(), ib.Dx(), cfg.Height, cfg.Width)
	}
	r.data = appendPixels(r.data, img, r.ch, r.h, r.w)
	return nil
}
