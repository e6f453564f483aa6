package sysmem

import "testing"

func TestAvailableAtMostMemTotal(t *testing.T) {
	total, ok := kbField("/proc/meminfo", "MemTotal:")
	if !ok {
		t.Skip("no MemTotal in /proc/meminfo")
	}
	if n := Available(); n > total {
		t.Errorf("Available() = %d is more than MemTotal %d", n, total)
	}
}

func TestKBField(t *testing.T) {
	if _, ok := kbField("/proc/meminfo", "NoSuchField:"); ok {
		t.Error("kbField found a field that does not exist")
	}
	if _, ok := kbField("/nonexistent/meminfo", "MemTotal:"); ok {
		t.Error("kbField read a file that does not exist")
	}
}
