package data

import (
	"bytes"
	_ "embed"
	"fmt"
)

//go:embed builtin/digits.csv.gz
var digitsCSV []byte

// Builtin returns a dataset shipped inside the binary. Known names:
//
//   - "digits": the 8x8 handwritten digits of scikit-learn (UCI "Optical
//     Recognition of Handwritten Digits", CC BY 4.0): "x" f32[1797, 64],
//     pixel values 0..16 divided by 16 (so 0..1), and "y" i32[1797], the
//     digit 0..9.
//
// The project splits it with Split(0, 0.7, 0.15, 0.15): seed 0, 70%
// training (1258 rows), 15% validation (270) and 15% test (269).
func Builtin(name string) (*Dataset, error) {
	switch name {
	case "digits":
		return DecodeCSV(bytes.NewReader(digitsCSV), "builtin/digits.csv.gz", CSVOptions{Header: HeaderNone, Scale: 1.0 / 16})
	}
	return nil, fmt.Errorf("data: no builtin dataset %q (known: digits)", name)
}
