package runtime

import (
	"fmt"
	"strconv"
	"strings"
)

// byteUnits are the suffixes ParseBytes accepts, largest first. KB, MB and
// GB are powers of 1024, as memory sizes usually are; KiB, MiB and GiB are
// accepted as synonyms.
var byteUnits = []struct {
	suffix string
	size   int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10},
	{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10},
	{"B", 1},
}

// ParseBytes reads a memory size: a number with an optional unit, "2MB",
// "1.5GB", "512KiB", "4096". Units are powers of 1024.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.size
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad memory size %q: want a number and a unit, such as 2MB or 512KB", s)
	}
	return int64(v * float64(mult)), nil
}

// FormatBytes prints a memory size with a binary unit: "1.50 MiB".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
