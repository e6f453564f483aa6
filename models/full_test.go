package models

import (
	"os"
	"testing"
)

// fullRun skips a full training run unless NNC_FULL asks for it.
// NNC_FULL=1 (what .ci/run sets) runs the full runs that fit CI's time
// budget; NNC_FULL=all runs those and the long ones (long = true: more than
// about three minutes on this project's 2-core machine), which check the
// published-result thresholds that CI cannot afford on every run.
func fullRun(t *testing.T, long bool) {
	t.Helper()
	switch v := os.Getenv("NNC_FULL"); {
	case v == "all":
	case v == "1" && !long:
	case v == "1":
		t.Skip("a long training run: set NNC_FULL=all")
	default:
		t.Skip("a full training run: set NNC_FULL=1 (or NNC_FULL=all for the long ones)")
	}
}
