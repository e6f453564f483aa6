//go:build !unix

package cputime

import "time"

// Used falls back to wall time where getrusage is not available.
func Used() time.Duration { return time.Duration(time.Now().UnixNano()) }
