package main

import (
	"fmt"
	"math/big"
	"strings"
)

// byteUnits are the suffixes parseBytes accepts, longest first. KB, MB, GB
// and TB are powers of 1024, as memory sizes usually are; KiB, MiB, GiB and
// TiB are accepted as synonyms.
var byteUnits = []struct {
	suffix string
	size   int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10},
	{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10},
	{"B", 1},
}

// parseBytes reads a memory size: a decimal number with an optional unit,
// "2MB", "1.5GB", "512KiB", "4096" (bytes). Units are powers of 1024 and
// case-insensitive. The number is digits with an optional fraction, no sign
// and no exponent; the size is rounded to the nearest byte (halves up). An
// empty string, a sign, NaN, Inf, an exponent, a size below one byte (0,
// 0.4B) and a size above 2^63-1 bytes are errors.
func parseBytes(s string) (int64, error) {
	bad := func(why string) error {
		return fmt.Errorf("bad memory size %q: %s", s, why)
	}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if len(t) >= len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.size
			break
		}
	}
	if !plainDecimal(t) {
		return 0, bad("want a number and a unit, such as 2MB, 1.5GB or 512KB")
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return 0, bad("want a number and a unit, such as 2MB, 1.5GB or 512KB")
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	// Round to the nearest byte, halves up: floor(r + 1/2).
	r.Add(r, big.NewRat(1, 2))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	switch {
	case n.Sign() == 0:
		return 0, bad("less than one byte")
	case !n.IsInt64():
		return 0, bad("more than 2^63-1 bytes")
	}
	return n.Int64(), nil
}

// plainDecimal reports whether t is digits with at most one '.', and at
// least one digit: "12", "1.5", ".5", "2.".
func plainDecimal(t string) bool {
	digits, dots := 0, 0
	for _, c := range t {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}
