package pep440

import (
	"testing"
)

// FuzzParse checks that Parse never panics and that the normal form is
// stable: parsing String() again gives an equal version with the same
// string. (Labels spelled with non-ASCII letters are the exception packaging
// makes too: "poſt" prints as "post", "İ" lower-cases to two characters.)
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	for _, s := range invalidVersions {
		f.Add(s)
	}
	for _, s := range orderedVersions {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		if Compare(v, v) != 0 {
			t.Fatalf("Compare(%q, itself) != 0", s)
		}
		str := v.String()
		if v.odd || !isASCII(str) {
			return
		}
		w, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", s, str, err)
		}
		if w.String() != str || Compare(v, w) != 0 {
			t.Fatalf("Parse(%q) = %q, re-parsed %q (Compare %d)", s, str, w.String(), Compare(v, w))
		}
		if p := v.Public(); p.HasLocal() || Compare(p, v) > 0 {
			t.Fatalf("Parse(%q).Public() = %q", s, p)
		}
	})
}

// FuzzCompare checks that Compare is antisymmetric and agrees with the
// normal forms of release-only versions.
func FuzzCompare(f *testing.F) {
	for i := 1; i < len(orderedVersions); i++ {
		f.Add(orderedVersions[i-1], orderedVersions[i])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err := Parse(a)
		if err != nil {
			return
		}
		vb, err := Parse(b)
		if err != nil {
			return
		}
		ab, ba := Compare(va, vb), Compare(vb, va)
		if ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if va.String() == vb.String() && !va.odd && !vb.odd && ab != 0 {
			t.Fatalf("Compare(%q, %q) = %d for equal normal forms", a, b, ab)
		}
	})
}

// FuzzSpecifierSet checks that parsing and matching never panic and that
// String() parses back to the same set.
func FuzzSpecifierSet(f *testing.F) {
	for _, tt := range containsTests {
		f.Add(tt.spec, tt.version, uint8(tt.pre))
	}
	for _, s := range invalidSpecifiers {
		f.Add(s, "1.0", uint8(0))
	}
	f.Fuzz(func(t *testing.T, spec, version string, pre uint8) {
		set, err := ParseSpecifierSet(spec)
		if err != nil {
			return
		}
		str := set.String()
		again, err := ParseSpecifierSet(str)
		if err != nil {
			t.Fatalf("ParseSpecifierSet(%q).String() = %q, which does not parse: %v", spec, str, err)
		}
		if again.String() != str {
			t.Fatalf("ParseSpecifierSet(%q) = %q, re-parsed %q", spec, str, again.String())
		}
		v, err := Parse(version)
		if err != nil {
			return
		}
		p := Prereleases(pre % 3)
		got, err := set.Match(v, p)
		if err == nil && got != again.Contains(v, p) {
			t.Fatalf("Contains(%q) differs between %q and its re-parse", version, spec)
		}
		if got && p == PrereleasesExclude && v.IsPrerelease() {
			t.Fatalf("ParseSpecifierSet(%q).Contains(%q, False) = true for a pre-release", spec, version)
		}
	})
}

// FuzzParseSpecifier checks that a single specifier never panics, that its
// string parses back to itself, and that ScanSpecifier takes all of it.
func FuzzParseSpecifier(f *testing.F) {
	for _, tt := range parseSpecifierTests {
		f.Add(tt.in)
	}
	for _, s := range invalidSpecifiers {
		f.Add(s)
	}
	f.Add("== ")
	f.Fuzz(func(t *testing.T, s string) {
		ScanSpecifier(s)
		sp, err := ParseSpecifier(s)
		if err != nil {
			return
		}
		again, err := ParseSpecifier(sp.String())
		if err != nil || again != sp {
			t.Fatalf("ParseSpecifier(%q) = %q, re-parsed %q, %v", s, sp, again, err)
		}
		if n := ScanSpecifier(sp.String()); n != len(sp.String()) {
			t.Fatalf("ScanSpecifier(%q) = %d, want %d", sp.String(), n, len(sp.String()))
		}
		sp.Contains(MustParse("1.0"), PrereleasesDefault)
	})
}
