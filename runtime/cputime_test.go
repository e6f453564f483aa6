package runtime

import (
	"time"

	"github.com/nnclang/nnc/internal/cputime"
)

// cpuTime is the CPU time the test process has used so far.
func cpuTime() time.Duration { return cputime.Used() }
