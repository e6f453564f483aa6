// Package sysmem reads how much memory this process may still take: the
// one place nnc asks the system, shared by the runtime's memory limit and
// the data loaders' size limit.
package sysmem

// Fallback is the memory assumed available where the system cannot be
// asked (outside Linux, or without /proc): 4 GiB.
const Fallback int64 = 4 << 30
