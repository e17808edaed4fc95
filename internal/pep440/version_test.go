package pep440

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// parseTests are spellings packaging accepts, with str(Version(s)).
var parseTests = []struct {
	in, want string
}{
	{"1", "1"},
	{"1.0", "1.0"},
	{"1.0.0", "1.0.0"},
	{"01.02.003", "1.2.3"},
	{"v1.0", "1.0"},
	{"V1.0", "1.0"},
	{" 1.0 ", "1.0"},
	{"\t1.0\n", "1.0"},
	{"\u00a01.0\u3000", "1.0"},
	{"\x1c1.0\x1f", "1.0"},
	{"0!1.0", "1.0"},
	{"00!1.0", "1.0"},
	{"1!1.0", "1!1.0"},
	{"012!1.0", "12!1.0"},
	{"1.0a1", "1.0a1"},
	{"1.0A1", "1.0a1"},
	{"1.0alpha1", "1.0a1"},
	{"1.0ALPHA1", "1.0a1"},
	{"1.0b2", "1.0b2"},
	{"1.0beta2", "1.0b2"},
	{"1.0c3", "1.0rc3"},
	{"1.0rc3", "1.0rc3"},
	{"1.0pre3", "1.0rc3"},
	{"1.0preview3", "1.0rc3"},
	{"1.0PreView3", "1.0rc3"},
	{"1.0a", "1.0a0"},
	{"1.0.a1", "1.0a1"},
	{"1.0-a1", "1.0a1"},
	{"1.0_a1", "1.0a1"},
	{"1.0a.1", "1.0a1"},
	{"1.0a-1", "1.0a1"},
	{"1.0a_1", "1.0a1"},
	{"1.0a.", "1.0a0"},
	{"1.0-a", "1.0a0"},
	{"1.0.0.0.0.a.", "1.0.0.0.0a0"},
	{"1.0a-", "1.0a0"},
	{"1.0a--1", "1.0a0.post1"},
	{"1.0a01", "1.0a1"},
	{"1.0post1", "1.0.post1"},
	{"1.0.post1", "1.0.post1"},
	{"1.0-post1", "1.0.post1"},
	{"1.0_post-1", "1.0.post1"},
	{"1.0.post", "1.0.post0"},
	{"1.0.post.", "1.0.post0"},
	{"1.0rev1", "1.0.post1"},
	{"1.0r1", "1.0.post1"},
	{"1.0.r", "1.0.post0"},
	{"1.0-1", "1.0.post1"},
	{"1.0-01", "1.0.post1"},
	{"1.0a1-1", "1.0a1.post1"},
	{"1.0dev1", "1.0.dev1"},
	{"1.0.dev1", "1.0.dev1"},
	{"1.0-dev1", "1.0.dev1"},
	{"1.0.dev", "1.0.dev0"},
	{"1.0.dev.", "1.0.dev0"},
	{"1.0DEV", "1.0.dev0"},
	{"1.0a1.dev2", "1.0a1.dev2"},
	{"1.0.post1.dev2", "1.0.post1.dev2"},
	{"1.0-1.dev2", "1.0.post1.dev2"},
	{"1.0a1.post2.dev3", "1.0a1.post2.dev3"},
	{"1.0+local", "1.0+local"},
	{"1.0+LOCAL.1", "1.0+local.1"},
	{"1.0+001.ABC", "1.0+1.abc"},
	{"1.0+a-b_c", "1.0+a.b.c"},
	{"1.0+1.0", "1.0+1.0"},
	{"v1!2.3.4rc5.post6.dev7+abc.8", "1!2.3.4rc5.post6.dev7+abc.8"},
	{"99999999999999999999999999999.0", "99999999999999999999999999999.0"},
	{"0000000000000000000000000000001", "1"},
	{strings.Repeat("9", 4000), strings.Repeat("9", 4000)},
	// Python's case-insensitive matching equates some non-ASCII letters
	// with ASCII ones; packaging keeps them in the label.
	{"1.0po\u017ft1", "1.0.post1"},
	{"1.0prev\u0131ew1", "1.0prev\u0131ew1"},
	{"1.0prev\u0130ew1", "1.0previ\u0307ew1"},
	{"1.0+\u212a", "1.0+k"},
	{"1.0+\u0130", "1.0+i\u0307"},
}

// invalidVersions are strings packaging.version.Version rejects.
var invalidVersions = []string{
	"",
	" ",
	"v",
	"1.",
	".1",
	"1..0",
	"1.0.",
	"1!",
	"!1",
	"1!2!3",
	"a1",
	"1.0+",
	"1.0+.a",
	"1.0+a.",
	"1.0+a..b",
	"1.0+a b",
	"1.0-",
	"1.0_1",
	"1.0.1-",
	"1.0prev",
	"1.0rc1rc2",
	"1.0.post1.post2",
	"1.0.dev1.dev2",
	"1.0dev1a1",
	"1.0.post1a1",
	"1.0.*",
	"1.0 1",
	"vv1.0",
	"1.0\x00",
	"\u0661.0",   // Arabic-Indic digit one
	"1.0\u200b",  // zero-width space is not whitespace
	"1.0+\u00e9", // é is not [a-z]
	"1.0\xff",    // invalid UTF-8
	"1.0a1-",     // dangling separator after an implicit post
	"1.0-1-2",
	"1.0+" + strings.Repeat("1", 4301),
	strings.Repeat("1", 4301),
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		v, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) = error %v, want %q", tt.in, err, tt.want)
			continue
		}
		if got := v.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, s := range invalidVersions {
		v, err := Parse(s)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want error", s, v)
			continue
		}
		var ive *InvalidVersionError
		if !errors.As(err, &ive) {
			t.Errorf("Parse(%q) error %T, want *InvalidVersionError", s, err)
		}
	}
}

func TestParseLengthLimit(t *testing.T) {
	s := "1." + strings.Repeat("0.", MaxVersionLength/2)
	s = strings.TrimSuffix(s, ".")
	if len(s) <= MaxVersionLength {
		t.Fatalf("test string too short: %d", len(s))
	}
	if _, err := Parse(s); err == nil {
		t.Errorf("Parse(%d bytes) succeeded, want error", len(s))
	}
	if _, err := Parse(s[:MaxVersionLength-1]); err != nil {
		t.Errorf("Parse(%d bytes) = %v, want success", MaxVersionLength-1, err)
	}
}

func TestAccessors(t *testing.T) {
	tests := []struct {
		in                  string
		epoch               int
		release             []string
		local, public, base string
		pre, post, dev      bool
	}{
		{"1.0", 0, []string{"1", "0"}, "", "1.0", "1.0", false, false, false},
		{"2!1.0a1", 2, []string{"1", "0"}, "", "2!1.0a1", "2!1.0", true, false, false},
		{"1.0.dev1", 0, []string{"1", "0"}, "", "1.0.dev1", "1.0", true, false, true},
		{"1.0.post1", 0, []string{"1", "0"}, "", "1.0.post1", "1.0", false, true, false},
		{"1.0.post1.dev1", 0, []string{"1", "0"}, "", "1.0.post1.dev1", "1.0", true, true, true},
		{"1.0rc1+Ubuntu-1", 0, []string{"1", "0"}, "ubuntu.1", "1.0rc1", "1.0", true, false, false},
		{"1.2.3.4.5.6", 0, []string{"1", "2", "3", "4", "5", "6"}, "", "1.2.3.4.5.6", "1.2.3.4.5.6", false, false, false},
	}
	for _, tt := range tests {
		v := MustParse(tt.in)
		if got := v.Epoch(); got != tt.epoch {
			t.Errorf("Parse(%q).Epoch() = %d, want %d", tt.in, got, tt.epoch)
		}
		if got := v.Release(); !slices.Equal(got, tt.release) {
			t.Errorf("Parse(%q).Release() = %q, want %q", tt.in, got, tt.release)
		}
		if got := v.Local(); got != tt.local {
			t.Errorf("Parse(%q).Local() = %q, want %q", tt.in, got, tt.local)
		}
		if got := v.Public().String(); got != tt.public {
			t.Errorf("Parse(%q).Public() = %q, want %q", tt.in, got, tt.public)
		}
		if got := v.BaseVersion().String(); got != tt.base {
			t.Errorf("Parse(%q).BaseVersion() = %q, want %q", tt.in, got, tt.base)
		}
		if got := v.IsPrerelease(); got != tt.pre {
			t.Errorf("Parse(%q).IsPrerelease() = %v, want %v", tt.in, got, tt.pre)
		}
		if got := v.IsPostrelease(); got != tt.post {
			t.Errorf("Parse(%q).IsPostrelease() = %v, want %v", tt.in, got, tt.post)
		}
		if got := v.IsDevrelease(); got != tt.dev {
			t.Errorf("Parse(%q).IsDevrelease() = %v, want %v", tt.in, got, tt.dev)
		}
	}
	huge := MustParse("99999999999999999999999!1")
	if got := huge.Epoch(); got != math.MaxInt {
		t.Errorf("Epoch() of a huge epoch = %d, want math.MaxInt", got)
	}
	if got := huge.EpochString(); got != "99999999999999999999999" {
		t.Errorf("EpochString() = %q", got)
	}
}

// orderedVersions is sorted ascending; equal neighbours are marked.
var orderedVersions = []string{
	"0",
	"0.1.dev0",
	"0.1a0",
	"0.1",
	"1.0.dev456",
	"1.0a1",
	"1.0a2.dev456",
	"1.0a12.dev456",
	"1.0a12",
	"1.0b1.dev456",
	"1.0b2",
	"1.0b2.post345.dev456",
	"1.0b2.post345",
	"1.0b2-346",
	"1.0c1.dev456",
	"1.0c1",
	"1.0rc2",
	"1.0c3",
	"1.0",
	"1.0+abc.5",
	"1.0+abc.7",
	"1.0+5",
	"1.0+5.abc",
	"1.0.post456.dev34",
	"1.0.post456",
	"1.1.dev1",
	"1.2",
	"1.2+123abc",
	"1.2+123abc456",
	"1.2+abc",
	"1.2+abc123",
	"1.2+abc123def",
	"1.2+1234.abc",
	"1.2+123456",
	"1.2.r32+123456",
	"1.2.rev33+123456",
	"1.10",
	"18446744073709551615",
	"18446744073709551616",
	"99999999999999999999999999999999",
	"1!0.1",
	"1!1.0",
	"2!0",
}

func TestCompareOrder(t *testing.T) {
	vs := make([]Version, len(orderedVersions))
	for i, s := range orderedVersions {
		vs[i] = MustParse(s)
	}
	for i := range vs {
		for j := range vs {
			want := cmpInt(i, j)
			if got := Compare(vs[i], vs[j]); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", orderedVersions[i], orderedVersions[j], got, want)
			}
		}
	}
	shuffled := slices.Clone(vs)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, Compare)
	for i := range shuffled {
		if shuffled[i].String() != vs[i].String() {
			t.Errorf("sorted[%d] = %s, want %s", i, shuffled[i], vs[i])
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", 0},
		{"1.0", "1", 0},
		{"0", "0.0.0.0", 0},
		{"v1.0", "1.0", 0},
		{"1.0a", "1.0a0", 0},
		{"1.0-1", "1.0.post1", 0},
		{"1.0rev1", "1.0.post1", 0},
		{"1.0c1", "1.0rc1", 0},
		{"1.0+abc", "1.0+ABC", 0},
		{"1.0+1", "1.0+01", 0},
		{"1.0+a-b", "1.0+a.b", 0},
		{"0!1.0", "1.0", 0},
		{"1.0", "1.0+0", -1},
		{"1.0+a", "1.0+0", -1},
		{"1.0+a", "1.0+a.0", -1},
		{"1.0+a.b", "1.0+a.0", -1},
		{"1.0.dev1", "1.0a1", -1},
		{"1.0.dev1", "1.0a1.dev1", -1},
		{"1.0a1.dev1", "1.0a1", -1},
		{"1.0.post1.dev1", "1.0.post1", -1},
		{"1.0.post1.dev1", "1.0", 1},
		{"1.0", "1.0.post0", -1},
		{"1.0.post0", "1.0.1", -1},
		{"1.0.1a1", "1.0.1", -1},
		{"1.1a1", "1.0.99", 1},
		{"1!0", "9999", 1},
		{"1.0.0.0.1", "1.0", 1},
		{"1.0.0.0.1", "1.0.0.1", -1},
		{"100", "99", 1},
		{"1.0a10", "1.0a9", 1},
		{"1.0b1", "1.0a99", 1},
		{"1.0rc1", "1.0b99", 1},
		// Non-ASCII spellings keep their label, which sorts by code point.
		{"1.0po\u017ft1", "1.0.post1", 1},
		{"1.0prev\u0131ew1", "1.0rc1", -1},
		{"1.0+\u212a", "1.0+k", 0},
	}
	for _, tt := range tests {
		a, b := MustParse(tt.a), MustParse(tt.b)
		if got := Compare(a, b); got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Compare(b, a); got != -tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
		if got := a.Equal(b); got != (tt.want == 0) {
			t.Errorf("Parse(%q).Equal(%q) = %v, want %v", tt.a, tt.b, got, tt.want == 0)
		}
	}
}

func TestZeroVersion(t *testing.T) {
	var z Version
	if got := z.String(); got != "" {
		t.Errorf("Version{}.String() = %q, want \"\"", got)
	}
	if got := Compare(z, MustParse("0")); got != -1 {
		t.Errorf("Compare(Version{}, 0) = %d, want -1", got)
	}
	if z.Epoch() != 0 || z.IsPrerelease() || z.Local() != "" {
		t.Errorf("Version{} accessors are not zero")
	}
}

func TestTextMarshaling(t *testing.T) {
	v := MustParse("V1.0-ALPHA")
	b, err := v.MarshalText()
	if err != nil || string(b) != "1.0a0" {
		t.Fatalf("MarshalText() = %q, %v", b, err)
	}
	var w Version
	if err := w.UnmarshalText([]byte(" 1.0a ")); err != nil || !w.Equal(v) {
		t.Fatalf("UnmarshalText = %v, %v", w, err)
	}
	if err := w.UnmarshalText([]byte("nope")); err == nil {
		t.Fatalf("UnmarshalText(nope) succeeded")
	}
}
