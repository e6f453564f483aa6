//go:build !linux

package runtime

// AvailableMemory is the memory this process may still take, in bytes.
// Outside Linux nnc does not read it from the system and assumes 4 GiB:
// set a limit (SetMemoryLimit, --max-memory, NNC_MAX_MEMORY) to run larger
// plans.
func AvailableMemory() int64 { return fallbackMemory }
