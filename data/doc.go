// Package data loads and prepares the arrays a model trains on: datasets of
// named arrays sharing a leading dimension, seeded splits and batches, and
// readers and writers for CSV, IDX (the MNIST format), NPY, NPZ and
// safetensors.
//
// Loaders never panic on malformed input: they return a *FormatError naming
// the file and the line (text formats) or byte offset (binary formats).
package data
