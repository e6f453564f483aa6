package runtime

import "time"

// Profile accumulates the wall time of every step of the plan a session
// runs, for nnc bench's profile by op and by source line. A session with no
// profile (the default) pays one nil check per step for the hook; with one,
// each step is timed with two reads of the monotonic clock. Timing changes no value: the
// kernels run as they do without it.
type Profile struct {
	// Plan is the plan the times are of: the plan of the session's last
	// run. A run with a different plan starts the profile afresh.
	Plan *Plan
	// Nanos is the time spent in each of Plan.Steps, summed over Runs,
	// in nanoseconds (0 for an alias step, which runs no kernel).
	Nanos []int64
	// Runs counts the runs that completed since the profile started.
	Runs int
}

// SetProfile makes the session time each step of its runs into pr (nil:
// stop timing). Runs that end with an error may leave partial times.
func (s *Session) SetProfile(pr *Profile) { s.prof = pr }

// attach returns the step times for a run of p, starting pr afresh for a
// new plan.
func (pr *Profile) attach(p *Plan) []int64 {
	if pr.Plan != p || len(pr.Nanos) != len(p.Steps) {
		pr.Plan, pr.Nanos, pr.Runs = p, make([]int64, len(p.Steps)), 0
	}
	return pr.Nanos
}

// profEpoch is the origin of the step clock: time.Since reads only the
// monotonic clock, about a quarter of the cost of time.Now here.
var profEpoch = time.Now()

// runTimed runs st's kernel and returns the nanoseconds it took.
func (p *Plan) runTimed(st *Step) int64 {
	t0 := time.Since(profEpoch)
	st.Kernel(&p.ctx, st.out, st.args)
	return int64(time.Since(profEpoch) - t0)
}
