//go:build race

package kernels

// raceEnabled says whether the tests run under the race detector, where
// Go code runs several times slower: tests whose many shapes check
// numerics (not concurrency) take a subset of them then, and the plain
// `go test ./...` runs them all.
const raceEnabled = true
