package runtime

import "github.com/nnclang/nnc/internal/sysmem"

// AvailableMemory is the memory this process may still take, in bytes: on
// Linux the smallest of MemAvailable, the room left under the process's
// cgroup limit and the address space left under ulimit -v, read anew at
// each call; elsewhere, or when none can be read, 4 GiB (set a limit with
// SetMemoryLimit, --max-memory or NNC_MAX_MEMORY to run larger plans).
func AvailableMemory() int64 { return sysmem.Available() }
