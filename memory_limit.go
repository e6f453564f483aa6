package nnc

import "github.com/nnclang/nnc/runtime"

// SetMemoryLimit sets the most memory, in bytes, that running one plan may
// take (the arena of a Func call, a training step, an evaluation or a
// gradient check), and the most one parameter tensor may take. A larger plan
// is refused before anything is allocated, with an error giving its peak,
// the limit and the position of its largest value. 0 restores the default:
// the memory available to the process when the plan first runs (on Linux
// the smallest of MemAvailable, the cgroup's room and the address space
// left under ulimit -v; 4 GiB elsewhere). A negative limit is an error.
// The limit holds for the whole process. (The nnc command sets it from its
// --max-memory flag or the environment variable NNC_MAX_MEMORY.)
func SetMemoryLimit(bytes int64) error { return runtime.SetMemoryLimit(bytes) }

// MemoryLimit returns the limit in force: the one set by SetMemoryLimit, or
// (set false) the memory available now.
func MemoryLimit() (limit int64, set bool) { return runtime.MemoryLimit() }

// MemoryError is the error of a plan or parameter refused for being larger
// than the memory limit; errors.As finds it in the errors nnc returns.
type MemoryError = runtime.MemoryError
