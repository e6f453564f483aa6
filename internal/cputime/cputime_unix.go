//go:build unix

// Package cputime reads the CPU time the process has used, for tests that
// compare the cost of two sizes of input as a ratio and for nnc bench's
// CPU time per call.
package cputime

import (
	"syscall"
	"time"
)

// Supported says whether Used reads the process's CPU time (getrusage).
const Supported = true

// Used is the CPU time the test process has used so far (user and
// system), which other processes on a busy machine do not inflate as they
// do wall time.
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return time.Duration(time.Now().UnixNano())
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
