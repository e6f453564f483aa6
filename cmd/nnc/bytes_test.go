package main

import (
	"strings"
	"testing"
)

// TestParseBytes: the sizes --max-memory and NNC_MAX_MEMORY take, and the
// ones they refuse.
func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"2MB", 2 << 20}, {"512KB", 512 << 10}, {"1.5GiB", 3 << 29}, {"4096", 4096}, {"10 B", 10},
		{"3k", 3072}, {" 1gb ", 1 << 30}, {"2TB", 2 << 40}, {".5KB", 512}, {"2.", 2},
		// Rounded to the nearest byte, halves up: 1.0005 KiB = 1024.512 B; 0.5 B.
		{"1.0005KB", 1025}, {"1.0004KB", 1024}, {"0.5B", 1}, {"1.5", 2},
		// 2^63-1 bytes is the largest size.
		{"9223372036854775807", 1<<63 - 1}, {"8388607.99999999999TiB", 1<<63 - 11}, // 2^63 - 1e-11·2^40 = 2^63 - 10.995
	} {
		got, err := parseBytes(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, why string }{
		{"", "want a number"}, {"MB", "want a number"}, {"-1MB", "want a number"}, {"2XB", "want a number"},
		{"NaNMB", "want a number"}, {"NaN", "want a number"}, {"Inf", "want a number"}, {"+Inf GB", "want a number"},
		{"-0", "want a number"}, {"+5MB", "want a number"}, {"1e30B", "want a number"}, {"1e3", "want a number"},
		{"0x10", "want a number"}, {"1_000", "want a number"}, {"1..5MB", "want a number"}, {".", "want a number"},
		{"0", "less than one byte"}, {"0.0GB", "less than one byte"}, {"0.4B", "less than one byte"},
		{"99999999999GB", "more than 2^63-1 bytes"}, {"9223372036854775808", "more than 2^63-1 bytes"},
		{"8388608TiB", "more than 2^63-1 bytes"},
	} {
		got, err := parseBytes(c.in)
		if err == nil || !strings.Contains(err.Error(), c.why) || got != 0 {
			t.Errorf("parseBytes(%q) = %d, %v; want an error saying %q", c.in, got, err, c.why)
		}
	}
}
