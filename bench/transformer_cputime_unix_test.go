//go:build unix

package bench

import (
	"syscall"
	"time"
)

// procCPU is the process's user plus system CPU time (0 if unread).
func procCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
