//go:build !unix

package bench

import "time"

// procCPU is 0 where the process's CPU time is not read.
func procCPU() time.Duration { return 0 }
