//go:build unix

package runtime

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the test process has used so far (user and
// system), which other processes on a busy machine do not inflate as they
// do wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return time.Duration(time.Now().UnixNano())
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
