package sysmem

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Available is the memory this process may still take, in bytes: the
// smallest of the system's available memory (MemAvailable in
// /proc/meminfo), the room left under the process's cgroup limit (v2
// memory.max, or v1 memory.limit_in_bytes, less what the cgroup uses) and
// the address space left under its RLIMIT_AS (ulimit -v, less the
// process's current size). It is read anew at each call; Fallback when none of
// these can be read.
func Available() int64 {
	avail := int64(-1)
	take := func(v int64, ok bool) {
		if ok && (avail < 0 || v < avail) {
			avail = max(v, 0)
		}
	}
	take(meminfoAvailable())
	take(cgroupRoom())
	take(addressSpaceRoom())
	if avail < 0 {
		return Fallback
	}
	return avail
}

// meminfoAvailable reads MemAvailable from /proc/meminfo.
func meminfoAvailable() (int64, bool) {
	return kbField("/proc/meminfo", "MemAvailable:")
}

// kbField reads a "Name:   123 kB" line of a /proc file, in bytes.
func kbField(path, name string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		fields := strings.Fields(line[len(name):])
		if len(fields) == 0 {
			return 0, false
		}
		v, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || v < 0 || v > 1<<52 {
			return 0, false
		}
		return v << 10, true
	}
	return 0, false
}

// readInt reads a file holding one integer; false for "max", a missing file
// or a value of 2^62 or more (cgroup v1's "no limit").
func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v < 0 || v >= 1<<62 {
		return 0, false
	}
	return v, true
}

// cgroupRoom is the cgroup's memory limit less its usage, from the cgroup
// of the process (/proc/self/cgroup) or, failing that, the root of the
// cgroup mount (a container's own cgroup).
func cgroupRoom() (int64, bool) {
	var v2, v1 []string
	if b, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 || strings.Contains(parts[2], "..") {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				v2 = append(v2, "/sys/fs/cgroup"+strings.TrimSuffix(parts[2], "/"))
			case strings.Contains(","+parts[1]+",", ",memory,"):
				v1 = append(v1, "/sys/fs/cgroup/memory"+strings.TrimSuffix(parts[2], "/"))
			}
		}
	}
	v2 = append(v2, "/sys/fs/cgroup")
	v1 = append(v1, "/sys/fs/cgroup/memory")
	for _, dir := range v2 {
		if lim, ok := readInt(dir + "/memory.max"); ok {
			used, _ := readInt(dir + "/memory.current")
			return lim - used, true
		}
	}
	for _, dir := range v1 {
		if lim, ok := readInt(dir + "/memory.limit_in_bytes"); ok {
			used, _ := readInt(dir + "/memory.usage_in_bytes")
			return lim - used, true
		}
	}
	return 0, false
}

// addressSpaceRoom is RLIMIT_AS less the process's current virtual size.
func addressSpaceRoom() (int64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil || r.Cur >= 1<<62 {
		return 0, false
	}
	size, ok := kbField("/proc/self/status", "VmSize:")
	if !ok {
		return 0, false
	}
	return int64(r.Cur) - size, true
}
