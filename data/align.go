package data

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nnclang/nnc/tensor"
)

// AlignCategories renumbers the ids of d's categorical arrays (a CSV or
// JSON Lines column of strings, an image folder's classes) by ref's
// strings, so that an id means the same string in both: each file numbers
// its strings by its own sorted values, and a test file that lacks one of
// the training file's classes would otherwise shift every id after it and
// be scored against the wrong labels. ref is the training data, d a
// validation or test file read the same way.
//
// A whole array of ids (the labels y, a JSON Lines field) is renumbered; a
// string ref does not have is an error naming it. A categorical column
// inside the feature array x must have exactly ref's strings, since its
// place in x is not recorded: a difference is an error naming the column.
func AlignCategories(ref, d *Dataset) error {
	file := ""
	if d.Source != nil {
		file = d.Source.File
	}
	refFile := "the training data"
	if ref.Source != nil && ref.Source.File != "" {
		refFile = ref.Source.File
	}
	keys := make([]string, 0, len(d.Categories))
	for k := range d.Categories {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		got, want := d.Categories[k], ref.Categories[k]
		if want == nil {
			return fileErr(file, "%s holds strings (%s), but %s of %s holds numbers", k, preview(got), k, refFile)
		}
		if slices.Equal(got, want) {
			continue
		}
		if strings.HasPrefix(k, "x.") {
			return fileErr(file, "column %s has the categories %s, %s has %s: give every file the same categories", strings.TrimPrefix(k, "x."), preview(got), refFile, preview(want))
		}
		ids := make(map[string]int32, len(want))
		for i, s := range want {
			ids[s] = int32(i)
		}
		remap := make([]int32, len(got))
		for i, s := range got {
			id, ok := ids[s]
			if !ok {
				return fileErr(file, "%s holds %q, which %s does not have (its %s: %s)", k, s, refFile, k, preview(want))
			}
			remap[i] = id
		}
		if err := renumber(d, k, remap); err != nil {
			return fileErr(file, "%s: %v", k, err)
		}
		if d.Categories != nil {
			c := make(map[string][]string, len(d.Categories))
			for kk, v := range d.Categories {
				c[kk] = v
			}
			c[k] = want
			d.Categories = c
		}
	}
	return nil
}

// renumber replaces each id v of array k by remap[v].
func renumber(d *Dataset, k string, remap []int32) error {
	if b, ok := d.Bytes[k]; ok {
		if len(remap) > 256 {
			return fmt.Errorf("%d categories in a byte array", len(remap))
		}
		out := make([]byte, len(b.Data))
		for i, v := range b.Data {
			if int(v) >= len(remap) {
				return fmt.Errorf("id %d has no category", v)
			}
			out[i] = byte(remap[v])
		}
		nb := *b
		nb.Data = out
		d.Bytes = cloneMap(d.Bytes)
		d.Bytes[k] = &nb
		return nil
	}
	t, ok := d.Arrays[k]
	if !ok {
		return fmt.Errorf("no array")
	}
	n := tensor.New(t.DType, t.Shape...)
	for i := range t.Len() {
		v := t.At(i)
		if v < 0 || v >= float64(len(remap)) || v != float64(int(v)) {
			return fmt.Errorf("id %v has no category", v)
		}
		n.Set(i, float64(remap[int(v)]))
	}
	d.Arrays = cloneMap(d.Arrays)
	d.Arrays[k] = n
	return nil
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// preview lists up to five strings.
func preview(s []string) string {
	if len(s) > 5 {
		return fmt.Sprintf("%q and %d more", s[:5], len(s)-5)
	}
	return fmt.Sprintf("%q", s)
}
