package sandbox

import (
	"encoding"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bytes is a size in bytes. Its text form uses binary units: "256MiB",
// "1GiB", "512B".
type Bytes int64

// Common sizes.
const (
	KiB Bytes = 1 << 10
	MiB Bytes = 1 << 20
	GiB Bytes = 1 << 30
	TiB Bytes = 1 << 40
)

var (
	_ encoding.TextMarshaler   = Bytes(0)
	_ encoding.TextUnmarshaler = (*Bytes)(nil)
)

// sizeUnits are the suffixes ParseBytes accepts, longest first. K, M, G and
// T are binary, as in docker --memory and ulimit; the SI forms (kB, MB, GB,
// TB) are decimal.
var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"k", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// ParseBytes parses a size such as "256MiB", "1.5GiB", "64M" or "1000000"
// (bytes). Fractions are rounded down to whole bytes. Negative sizes and
// sizes of 8 EiB or more are refused.
func ParseBytes(s string) (Bytes, error) {
	num, mult := strings.TrimSpace(s), 1.0
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	if num == "" || strings.ContainsAny(num, "+-eEnNxX_") {
		return 0, fmt.Errorf("bad size %q: want a number with an optional unit such as 256MiB or 1GiB", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q: want a number with an optional unit such as 256MiB or 1GiB", s)
	}
	v := f * mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Bytes(v), nil
}

// String returns the size in the largest binary unit that divides it
// exactly: "1GiB", "1536MiB", "1000B".
func (b Bytes) String() string {
	if b == 0 {
		return "0B"
	}
	for _, u := range []struct {
		name string
		n    Bytes
	}{{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if b%u.n == 0 {
			return strconv.FormatInt(int64(b/u.n), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// MarshalText implements [encoding.TextMarshaler].
func (b Bytes) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler] with [ParseBytes].
func (b *Bytes) UnmarshalText(text []byte) error {
	v, err := ParseBytes(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// Set implements pflag.Value, so a Bytes can be a command-line flag.
func (b *Bytes) Set(s string) error { return b.UnmarshalText([]byte(s)) }

// Type implements pflag.Value.
func (b *Bytes) Type() string { return "size" }
