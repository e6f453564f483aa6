package sysmem

import (
	"runtime"
	"testing"
)

func TestAvailable(t *testing.T) {
	n := Available()
	if n <= 0 {
		t.Fatalf("Available() = %d, want > 0", n)
	}
	if runtime.GOOS != "linux" && n != Fallback {
		t.Errorf("Available() = %d outside Linux, want Fallback %d", n, Fallback)
	}
}
