//go:build !unix

package cputime

import "time"

// Supported says whether Used reads the process's CPU time: not here.
const Supported = false

// Used falls back to wall time where getrusage is not available.
func Used() time.Duration { return time.Duration(time.Now().UnixNano()) }
